"""Log explorer page: opens without an incident, lists a sample's templates, selection highlights, filters narrow."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from analysis.models import IncidentInput
from analysis.samples import open_sample
from analysis.settings import Settings
from analysis.store import Store
from analysis.workflow import upload
from components.log_explorer import marked_html, per_line_frame
from tests.ui.conftest import assert_clean, make_log, new_app, texts

PAGE = "pages/logs.py"
SAMPLE = "checkout-deploy-regression"


def _open(inc_id: str):
    at = new_app()
    at.query_params["incident"] = inc_id
    at.switch_page(PAGE).run()
    assert_clean(at)
    return at


def _hits(at) -> set[int]:
    [viewer] = at.get("html")
    return {int(n) for n in re.findall(r'<tr class="[^"]*\bhit\b[^"]*" data-line="(\d+)"', viewer.proto.body)}


def _shown(at) -> list[int]:
    [viewer] = at.get("html")
    return [int(n) for n in re.findall(r'data-line="(\d+)"', viewer.proto.body)]


def _select(at, template_text: str):
    table = at.dataframe[0]
    row = table.value["template"].tolist().index(template_text)
    at.session_state[table.key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    return at


def test_page_opens_without_an_incident_and_without_logs(data_dir):
    at = new_app().run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert "Log explorer" in texts(at, "title")
    assert any("No incident is open" in t for t in texts(at, "info"))
    inc = Store(Settings().data_dir).create_incident(IncidentInput(title="No logs here"))
    at = _open(inc.id)
    assert any("no log yet" in t for t in texts(at, "info"))


def test_sample_templates_and_selection_highlights_its_lines(data_dir):
    settings = Settings()
    inc = open_sample(Store(settings.data_dir), SAMPLE, settings)
    at = _open(inc.id)
    assert at.selectbox[0].options == ["checkout-service.log", "web-frontend-access.log"]
    table = at.dataframe[0].value
    assert list(table.columns) == ["template", "level", "matching", "count", "first seen (UTC)", "last seen (UTC)",
                                   "rate", "id"]
    assert "Order <*> failed" in table["template"].tolist()
    assert table["matching"].tolist() == sorted(table["matching"].tolist(), reverse=True)
    assert all(len(r) > 1 for r in table["rate"])  # sparkline points
    assert at.get("plotly_chart")  # the template-rate chart
    assert _hits(at) == set()
    assert _shown(at)[:3] == [1, 2, 3] and len(_shown(at)) == 500
    _select(at, "Order <*> failed")
    hits = _hits(at)
    assert 366 in hits and 370 in hits and 1 not in hits
    assert min(_shown(at)) < 366 <= max(_shown(at))  # the page moved to the selection
    assert any("Selected" in c and "ERROR" in c for c in texts(at, "caption"))
    # every highlighted line is an error record line, none of the placed-order lines are
    body = at.get("html")[0].proto.body
    for n in sorted(hits)[:20]:
        row = re.search(rf'data-line="{n}"><td class="n">{n}</td><td class="t">([^<]*)', body).group(1)
        assert "placed" not in row
    # only this template's lines
    at.toggle[0].set_value(True).run()
    assert_clean(at)
    assert set(_shown(at)) == _hits(at) and 366 in _shown(at)


def test_level_and_text_filters_narrow_templates_and_lines(data_dir):
    settings = Settings()
    store = Store(settings.data_dir)
    inc = store.create_incident(IncidentInput(title="Checkout pool", services=["checkout"]))
    upload(store, inc.id, [("checkout.log", make_log())], settings)
    at = _open(inc.id)
    assert set(at.multiselect[0].options) == {"ERROR", "INFO"}
    assert len(at.dataframe[0].value) == 3
    at.multiselect[0].set_value(["ERROR"]).run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert table["level"].tolist() == ["ERROR"] and table["matching"].tolist() == [29]
    shown = _shown(at)
    assert len(shown) == 29 and all(n > 61 and n % 2 == 1 for n in shown)  # line i+1 for even i > 60
    assert any("29 of 120 lines match" in c for c in texts(at, "caption"))
    at.multiselect[0].set_value([]).run()
    at.text_input[0].input("DEPLOYED CHECKOUT").run()
    assert_clean(at)
    assert _shown(at) == [61]
    assert at.dataframe[0].value["template"].tolist()[0].startswith("Deployed checkout version")
    at.text_input[0].input("no such text anywhere").run()
    assert_clean(at)
    assert any("No template has a line matching" in c for c in texts(at, "caption"))


def test_time_range_follows_the_shared_range_and_writes_back(data_dir):
    settings = Settings()
    store = Store(settings.data_dir)
    inc = store.create_incident(IncidentInput(title="Checkout pool"))
    upload(store, inc.id, [("checkout.log", make_log())], settings)
    t0 = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)
    at = new_app()
    at.query_params["incident"] = inc.id
    at.session_state["view.time_range"] = (t0 + timedelta(minutes=12), t0 + timedelta(minutes=13))
    at.switch_page(PAGE).run()
    assert_clean(at)
    shown = _shown(at)
    assert shown[0] == 73 and shown[-1] == 84  # 10 s per line: minutes 12 and 13
    [slider] = [s for s in at.slider if s.label == "Time range (UTC)"]
    slider.set_value((datetime(2025, 3, 4, 9, 0), datetime(2025, 3, 4, 9, 1))).run()
    assert_clean(at)
    assert _shown(at) == list(range(1, 13))
    assert at.session_state["view.time_range"] == (t0, t0 + timedelta(minutes=1))


def test_per_line_frame_and_marked_html_escape():
    lines = ["2025-03-04 09:00:00 ERROR boom <b>x</b>", "java.lang.IllegalStateException: bad",
             "\tat a.b.C.d(C.java:1)", "2025-03-04 09:01:00 INFO fine"]
    f = per_line_frame(lines, "app.log")
    assert f["record"].tolist() == [1, 1, 1, 4]
    assert f["level"].tolist() == ["ERROR", "ERROR", "ERROR", "INFO"]
    assert f["template"].iloc[0] == f["template"].iloc[2] != f["template"].iloc[3]
    assert str(f["ts"].iloc[2]) == "2025-03-04 09:00:00+00:00"
    out = marked_html(list(enumerate(lines, 1)), {1, 4})
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert re.findall(r'<tr class="[^"]*\bhit\b[^"]*" data-line="(\d+)"', out) == ["1", "4"]


def test_rate_figure_top_templates_escaped_and_picked_kept():
    from components.log_explorer import LogExplored, per_line_frame
    from components.log_explorer_charts import rate_figure
    from analysis.engines.logs import analyze_log

    lines = make_log().decode().splitlines() + ["2025-03-04 09:20:00.000 WARN  [main] c.e.X : odd <b>tag</b> seen"]
    a = analyze_log(lines, artifact_id="a", name="c.log")
    f = per_line_frame(lines, "c.log")
    ex = LogExplored(a, f, True)
    mask = f["line"].to_numpy() > 0
    fig = rate_figure(ex, mask, ex.span, top=1)
    assert len(fig.data) == 1 and sum(fig.data[0].y) == 90  # the placed-order template, 90 records
    odd = next(t.id for t in a.templates if "odd" in t.template)
    fig = rate_figure(ex, mask, ex.span, top=1, picked=odd)
    assert len(fig.data) == 2 and "&lt;b&gt;" in fig.data[1].name and "<b>" not in fig.data[1].name
    assert fig.data[1].line.width > fig.data[0].line.width


def test_log_without_timestamps_opens_without_time_filter_or_chart(data_dir):
    settings = Settings()
    store = Store(settings.data_dir)
    inc = store.create_incident(IncidentInput(title="Plain notes"))
    body = "".join(f"worker {i % 4} picked job {i}\n" if i % 5 else f"job {i} failed: disk quota exceeded\n"
                   for i in range(40)).encode()
    upload(store, inc.id, [("worker.log", body)], settings)
    at = _open(inc.id)
    assert any("no timestamps" in c for c in texts(at, "caption"))
    assert not at.get("plotly_chart") and not [s for s in at.slider if s.label == "Time range (UTC)"]
    at.text_input[0].input("quota").run()
    assert_clean(at)
    assert _shown(at) == list(range(1, 41, 5))


def test_evidence_link_opens_the_file_at_the_line(data_dir):
    settings = Settings()
    inc = open_sample(Store(settings.data_dir), SAMPLE, settings)
    access = next(a for a in Store(settings.data_dir).list_artifacts(inc.id) if a.name == "web-frontend-access.log")
    at = new_app()
    at.query_params.update({"incident": inc.id, "artifact": access.id, "line": "900"})
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert at.selectbox[0].value == access.id
    assert _hits(at) == {900} and min(_shown(at)) < 900 <= max(_shown(at))
    assert "artifact" not in at.query_params
