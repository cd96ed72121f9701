"""The Bedrock components in Streamlit's AppTest: settings form, test connection (local endpoint), ledger, payload preview."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from bedrock_fake_server import FakeConverse


def _app(data_dir: str, endpoint: str) -> None:
    from pathlib import Path

    from analysis.settings import Settings
    from analysis.store import Store
    from components.bedrock_settings import render_bedrock_settings

    settings = Settings(data_dir=Path(data_dir), backend="bedrock", bedrock_endpoint_url=endpoint)
    store = Store(settings.data_dir)
    if not store.list_llm_calls():
        store.record_llm_call(incident_id="inc-a", run_id="r1", agent="log", model="m", tokens_in=1000,
                              tokens_out=100, latency_ms=10.0, cost_usd=0.0015, cache_hit=False, status="ok",
                              error="", request_hash="h1")
        store.record_llm_call(incident_id="inc-a", run_id="r2", agent="log", model="m", tokens_in=1000,
                              tokens_out=100, latency_ms=0.0, cost_usd=0.0, cache_hit=True, status="ok",
                              error="", request_hash="h1")
    render_bedrock_settings(settings, store)


def test_settings_form_ledger_and_test_connection(tmp_path):
    with FakeConverse() as fake:
        at = AppTest.from_function(_app, args=(str(tmp_path / "data"), fake.url), default_timeout=60)
        at.run()
        assert not at.exception
        assert at.radio(key="settings.backend").value == "bedrock"
        assert at.text_input(key="settings.model.vision").value.startswith("us.anthropic")
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Calls"] == "2" and metrics["Cache hits"] == "1"
        at.button(key="settings.test").click().run()
        assert not at.exception
        assert len(at.success) == 2 and not at.error
        assert len(fake.requests) == 2
        at.text_input(key="settings.region").set_value("eu-west-1").run()
        assert at.session_state["settings.bedrock"].bedrock_region == "eu-west-1"


def _preview_app(log_path: str) -> None:
    from pathlib import Path

    from analysis.llm.bedrock_backend import preview_analysis
    from analysis.models import ArtifactKind, IncidentInput
    from analysis.settings import Settings
    from bedrock_fixtures import loaded
    from components.bedrock_settings import render_payload_preview

    settings = Settings(data_dir=Path(log_path).parent / "data")
    arts = [loaded(settings, "app.log", Path(log_path).read_bytes(), ArtifactKind.log, 1)]
    render_payload_preview(preview_analysis(IncidentInput(title="t"), arts, settings))


def test_payload_preview_component_shows_redacted_json():
    from bedrock_fixtures import FIXTURES

    at = AppTest.from_function(_preview_app, args=(str(FIXTURES / "basic" / "app.log"),), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.tabs) == 4
    code = at.code[0].value
    assert "pool exhausted" in code and "db-01.prod.internal" not in code and "<HOST_1>" in code
