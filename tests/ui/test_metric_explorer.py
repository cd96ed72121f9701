"""Metric explorer page: opens without an incident, charts a sample's metrics, search/picker and range work."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from analysis.models import IncidentInput
from analysis.samples import open_sample
from analysis.settings import Settings
from analysis.store import Store
from analysis.workflow import run_stored_analysis, upload
from components.metric_explorer import clamp_range
from tests.ui.conftest import assert_clean, new_app, texts

PAGE = "pages/metrics.py"
T0 = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)


def _long_csv() -> bytes:
    """Three labelled series: db cpu jumps at minute 40, api latency at 41, cache hits stay flat."""
    rows = ["timestamp,metric,service,value"]
    for i in range(90):
        ts = (T0 + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(f"{ts},cpu_percent,orders-db,{(92 + i % 3) if i >= 40 else (30 + i % 4)}")
        rows.append(f"{ts},p99_ms,orders-api,{(2400 + 7 * (i % 5)) if i >= 41 else (180 + i % 6)}")
        rows.append(f"{ts},hit_ratio,<b>cache</b>,{0.9 + 0.01 * (i % 3)}")
    return ("\n".join(rows) + "\n").encode()


def _open(inc_id: str):
    at = new_app()
    at.query_params["incident"] = inc_id
    at.switch_page(PAGE).run()
    assert_clean(at)
    return at


def test_page_opens_without_an_incident_and_without_metrics(data_dir):
    at = new_app().run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert "Metric explorer" in texts(at, "title")
    assert any("No incident is open" in t for t in texts(at, "info"))
    inc = Store(Settings().data_dir).create_incident(IncidentInput(title="No metrics here"))
    at = _open(inc.id)
    assert any("no metric CSV yet" in t for t in texts(at, "info"))


def test_sample_incident_charts_its_metrics_with_onset_order(data_dir):
    settings = Settings()
    store = Store(settings.data_dir)
    inc = open_sample(store, "orders-db-overload", settings)
    at = _open(inc.id)
    assert texts(at, "title") == ["Orders API timing out"]
    [chart] = at.get("plotly_chart")
    assert len(at.multiselect[0].value) >= 1
    onsets = at.dataframe[0].value
    assert list(onsets.columns[:3]) == ["#", "series", "onset (UTC)"] and len(onsets) >= 1
    assert onsets["onset (UTC)"].tolist() == sorted(onsets["onset (UTC)"].tolist())
    assert "orders-db" in " ".join(onsets["series"])
    assert chart.proto.spec  # a plotly figure was sent
    assert not [e for e in at.expander if "Log and change events" in e.label]  # no analysis yet


def test_log_events_of_the_analysis_align_with_the_charts(data_dir):
    settings = Settings()
    store = Store(settings.data_dir)
    inc = open_sample(store, "orders-db-overload", settings)
    run_stored_analysis(store, inc.id, settings)
    at = _open(inc.id)
    [chart] = at.get("plotly_chart")
    shapes = json.loads(chart.proto.spec)["layout"]["shapes"]
    assert any(sh.get("line", {}).get("dash") == "dot" for sh in shapes)  # log events drawn as dotted lines
    assert any("dotted lines" in c for c in texts(at, "caption"))
    [exp] = [e for e in at.expander if "Log and change events" in e.label]
    logs = at.dataframe[-1].value
    assert len(logs) >= 1 and set(logs["source"]) - {"metric", "metrics"} and "orders" in " ".join(logs["event"])


def test_search_filters_the_picker_and_range_is_shared(data_dir):
    settings = Settings()
    store = Store(settings.data_dir)
    inc = store.create_incident(IncidentInput(title="Checkout slow", services=["orders-api"]))
    upload(store, inc.id, [("metrics.csv", _long_csv())], settings)
    at = _open(inc.id)
    assert len(at.multiselect[0].options) == 3, at.multiselect[0].options
    # moved-first order: the db moved before the api
    assert "orders-db" in at.multiselect[0].options[0] and "orders-api" in at.multiselect[0].options[1]
    onsets = at.dataframe[0].value
    assert ["orders-db" in onsets["series"].iloc[0], "orders-api" in onsets["series"].iloc[1]] == [True, True]
    titles = [a["text"] for a in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["annotations"]]
    assert any("&lt;b&gt;cache&lt;/b&gt;" in t for t in titles) and not any("<b>" in t for t in titles), titles
    at.text_input[0].input("ORDERS-API").run()
    assert_clean(at)
    assert len(at.multiselect[0].options) == 1 and "orders-api" in at.multiselect[0].options[0]
    assert at.multiselect[0].value == at.multiselect[0].options
    at.text_input[0].input("").run()
    at.toggle[0].set_value(True).run()
    assert_clean(at)
    assert len(at.multiselect[0].options) == 2 and not any("cache" in o for o in at.multiselect[0].options)
    # narrowing the time range is stored in the session and drops onsets outside it
    lo, hi = at.slider[0].value
    at.slider[0].set_value((lo, lo + timedelta(minutes=20))).run()
    assert_clean(at)
    assert at.session_state["view.time_range"] == (T0, T0 + timedelta(minutes=20))
    assert any("No series deviated" in c for c in texts(at, "caption"))
    at.button(key=[b.key for b in at.button if b.key.endswith(".reset")][0]).click().run()
    assert_clean(at)
    assert "view.time_range" not in at.session_state and at.slider[0].value == (lo, hi)
    # a range chosen in another view (the log explorer) moves the slider
    at.session_state["view.time_range"] = (T0 + timedelta(minutes=35), T0 + timedelta(minutes=50))
    at.run()
    assert at.slider[0].value == (lo + timedelta(minutes=35), lo + timedelta(minutes=50))
    assert "orders-db" in at.dataframe[0].value["series"].iloc[0]


def test_clamp_range_keeps_a_chosen_window_inside_the_data():
    span = (T0, T0 + timedelta(hours=1))
    assert clamp_range(span, None) == span
    assert clamp_range(span, (T0 - timedelta(days=1), T0 - timedelta(hours=1))) == span  # misses the data
    assert clamp_range(span, (T0 + timedelta(minutes=10), T0 + timedelta(hours=3))) == (
        T0 + timedelta(minutes=10), T0 + timedelta(hours=1))
