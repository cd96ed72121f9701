"""The Settings page in the whole app: opens, backend switch (and that analyses use it), test connection, ledger.

Bedrock is stood in for by the local Converse server of ``tests/llm`` through SREWB_BEDROCK_ENDPOINT_URL
(AppTest runs the app in this process, so botocore's Stubber cannot reach the page's client).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.models import ArtifactKind, IncidentInput
from analysis.settings import Settings
from analysis.store import Store
from tests.llm.bedrock_fake_server import FakeConverse
from tests.ui.conftest import assert_clean, make_log, new_app, texts

SETTINGS = "pages/settings.py"
REPORT = "pages/report.py"
PREVIEW = "What will be sent to Bedrock"


@pytest.fixture
def fake(data_dir, monkeypatch):
    """A local Converse endpoint the app's Settings point at (read when the app builds its Settings)."""
    with FakeConverse() as server:
        monkeypatch.setenv("SREWB_BEDROCK_ENDPOINT_URL", server.url)
        yield server


def _settings_page():
    at = new_app(timeout=60)
    at.switch_page(SETTINGS).run()
    assert_clean(at)
    return at


def _edited(at) -> Settings:
    return at.session_state["settings.bedrock"]


def _incident_with_log() -> tuple[Store, str]:
    store = Store(Settings().data_dir)
    inc = store.create_incident(IncidentInput(title="Checkout errors", services=["checkout"]))
    store.add_artifact(inc.id, "checkout.log", make_log(), ArtifactKind.log)
    return store, inc.id


def test_settings_page_opens_offline_with_an_empty_ledger(data_dir):
    at = _settings_page()
    assert texts(at, "title") == ["Settings"]
    assert at.radio(key="settings.backend").value == "offline"
    assert _edited(at).backend == "offline"
    assert at.text_input(key="settings.model.supervisor").value == Settings().bedrock_model_supervisor
    assert any("No Bedrock calls recorded yet" in t for t in texts(at, "info"))
    assert not any("redacted" in c for c in texts(at, "caption"))  # the redaction note is for Bedrock mode only


def test_switching_to_bedrock_and_back_changes_what_the_report_page_does(data_dir):
    store, inc_id = _incident_with_log()
    at = _settings_page()
    at.radio(key="settings.backend").set_value("bedrock").run()
    assert_clean(at)
    assert _edited(at).backend == "bedrock"
    assert any("redacted" in c for c in texts(at, "caption"))
    at.text_input(key="settings.region").set_value(" eu-central-1 ").run()
    assert _edited(at).bedrock_region == "eu-central-1"

    at.query_params["incident"] = inc_id
    at.switch_page(REPORT).run()
    assert_clean(at)
    assert any("backend **bedrock**" in c for c in texts(at, "caption"))
    assert [e.label for e in at.expander if e.label == PREVIEW] == [PREVIEW]

    at.switch_page(SETTINGS).run()  # the page re-opens on the session's edit, not on the environment's default
    assert at.radio(key="settings.backend").value == "bedrock"
    assert at.text_input(key="settings.region").value == "eu-central-1"
    at.radio(key="settings.backend").set_value("offline").run()
    assert _edited(at).backend == "offline"
    at.switch_page(REPORT).run()
    assert_clean(at)
    assert any("backend **offline**" in c for c in texts(at, "caption"))
    assert PREVIEW not in [e.label for e in at.expander]
    assert store.list_runs(inc_id) == []


def test_an_analysis_started_after_the_switch_goes_to_bedrock(fake):
    store, inc_id = _incident_with_log()
    at = _settings_page()
    at.radio(key="settings.backend").set_value("bedrock").run()
    at.query_params["incident"] = inc_id
    at.switch_page(REPORT).run()
    at.button(key="report.analyse").click().run()
    assert_clean(at)
    [run] = store.list_runs(inc_id)
    assert run.status == "completed" and run.backend == "bedrock"
    assert fake.requests, "the analysis called the configured endpoint"
    assert {c["incident_id"] for c in store.list_llm_calls()} == {inc_id}
    report = store.get_report(run.id)
    assert "bedrock" in {a.backend for a in report.agents}


def test_test_connection_reports_each_model(fake):
    at = _settings_page()
    assert at.text_input(key="settings.endpoint").value == fake.url
    at.radio(key="settings.backend").set_value("bedrock").run()
    at.button(key="settings.test").click().run()
    assert_clean(at)
    models = {Settings().bedrock_model_log, Settings().bedrock_model_vision, Settings().bedrock_model_supervisor}
    ok = texts(at, "success")
    assert len(ok) == len(models) and not texts(at, "error"), ok + texts(at, "error")
    assert all("answered in" in line for line in ok)
    assert sorted(r.model_id for r in fake.requests) == sorted(models)


def test_test_connection_failure_is_one_sentence(fake):
    fake.error = (403, "AccessDeniedException", "User is not authorized to perform bedrock:InvokeModel")
    at = _settings_page()
    at.button(key="settings.test").click().run()
    assert_clean(at)
    errors = texts(at, "error")
    assert len(errors) == 2 and not texts(at, "success")  # two distinct default models (fast, strong)
    assert all("AccessDenied" in e and "bedrock:InvokeModel" in e and "Traceback" not in e for e in errors), errors


def test_ledger_shows_recorded_calls_per_incident_and_agent(data_dir):
    store = Store(Settings().data_dir)
    inc = store.create_incident(IncidentInput(title="Payments slow"))
    for agent, cost, hit in (("log", 0.0015, False), ("supervisor", 0.02, False), ("log", 0.0, True)):
        store.record_llm_call(incident_id=inc.id, run_id="run-1", agent=agent, model="m", tokens_in=1000,
                              tokens_out=100, latency_ms=12.0, cost_usd=cost, cache_hit=hit, status="ok", error="",
                              request_hash=f"h-{agent}")
    at = _settings_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Calls"] == "3" and metrics["Cache hits"] == "1" and metrics["Spent (USD)"] == "0.0215"
    per_incident, per_agent = (d.value for d in at.dataframe)
    assert per_incident["incident_id"].tolist() == [inc.id] and per_incident["title"].tolist() == ["Payments slow"]
    assert per_incident["calls"].tolist() == [3] and per_incident["budget_left_usd"].tolist() == [round(Settings().bedrock_budget_usd - 0.0215, 4)]
    assert sorted(per_agent["agent"].tolist()) == ["log", "supervisor"]
    assert at.selectbox(key="settings.ledger.incident").options == ["(all)", inc.id]


def _preview_app() -> None:
    from analysis.settings import Settings
    from analysis.store import Store
    from components.bedrock_settings import payload_previews, render_payload_preview

    settings = Settings(backend="bedrock")
    store = Store(settings.data_dir)
    [inc] = store.list_incidents()
    render_payload_preview(payload_previews(store, inc.id, settings))


def test_payload_preview_is_computed_once_per_incident_content(data_dir, monkeypatch):
    import analysis.llm.bedrock_backend as bb

    store, inc_id = _incident_with_log()
    calls = []
    real = bb.preview_analysis
    monkeypatch.setattr(bb, "preview_analysis", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = AppTest.from_function(_preview_app, default_timeout=60).run()
    assert not at.exception
    assert [t.label for t in at.tabs][:1] == ["log"]
    assert "Timeout acquiring connection" in at.code[0].value
    at.run()
    assert len(calls) == 1, "a rerun reuses the payloads"
    store.add_artifact(inc_id, "second.log", make_log().replace(b"Order", b"Basket"), ArtifactKind.log)
    at.run()
    assert len(calls) == 2, "new artifacts mean new payloads"
