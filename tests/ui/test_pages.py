"""Every page opens on an empty install, the first-run screen, and the incident form."""

from __future__ import annotations

from analysis.settings import Settings
from analysis.store import Store
from tests.ui.conftest import assert_clean, new_app, texts


def test_every_page_opens_on_an_empty_install(data_dir, samples_dir):
    at = new_app().run()
    assert_clean(at)
    assert "SRE Workbench" in texts(at, "title")
    assert any("Open a sample incident" in b.label for b in at.button)
    at.switch_page("pages/incident.py").run()
    assert_clean(at)
    assert "New incident" in texts(at, "title")
    at.switch_page("pages/report.py").run()
    assert_clean(at)
    assert any("No incident is open" in t for t in texts(at, "info"))
    at.switch_page("pages/settings.py").run()
    assert_clean(at)
    assert "Settings" in texts(at, "title")


def test_first_run_sample_opens_an_incident_with_its_artifacts(data_dir, samples_dir):
    at = new_app().run()
    at.button(key="home.sample.tiny-checkout").click().run()
    assert_clean(at)
    assert texts(at, "title") == ["Tiny checkout outage"]
    labels = [e.label.replace("\\", "") for e in at.expander]  # labels are Markdown-escaped
    assert any(label.startswith("checkout.log") for label in labels)
    assert any(label.startswith("checkout.csv") for label in labels)
    store = Store(Settings().data_dir)
    [inc] = store.list_incidents()
    assert inc.services == ["checkout"] and inc.severity.value == "SEV2"
    assert sorted(a.kind.value for a in store.list_artifacts(inc.id)) == ["log", "metrics"]


def test_create_incident_needs_a_title(data_dir, samples_dir):
    at = new_app().run()
    at.button(key="FormSubmitter:home.new-Create incident").click().run()
    assert any("needs a title" in e for e in texts(at, "error"))
    assert Store(Settings().data_dir).list_incidents() == []
    at.text_input(key="home.new.title").input("Payments slow")
    at.text_input(key="home.new.services").input("payments, payments-db, payments")
    at.selectbox(key="home.new.severity").select("SEV1")
    at.button(key="FormSubmitter:home.new-Create incident").click().run()
    assert_clean(at)
    assert texts(at, "title") == ["Payments slow"]
    [inc] = Store(Settings().data_dir).list_incidents()
    assert inc.services == ["payments", "payments-db"] and inc.severity.value == "SEV1"


def test_incident_list_filters_and_opens(data_dir, samples_dir):
    store = Store(Settings().data_dir)
    from analysis.models import IncidentInput

    a = store.create_incident(IncidentInput(title="Disk full on db-3", services=["db"]))
    store.create_incident(IncidentInput(title="Cert expired", services=["edge"]))
    at = new_app().run()
    assert_clean(at)
    at.text_input(key="home.filter").input("disk").run()
    assert [b.key for b in at.button if b.key and b.key.startswith("home.open.")] == [f"home.open.{a.id}"]
    at.button(key=f"home.open.{a.id}").click().run()
    assert texts(at, "title") == ["Disk full on db\\-3"]  # Markdown-escaped; the browser shows db-3
    assert at.query_params.get("incident") in (a.id, [a.id])


def test_upload_limit_in_config_matches_settings():
    import tomllib

    from tests.ui.conftest import REPO_ROOT

    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == Settings().max_upload_mb
