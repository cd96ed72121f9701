"""The knowledge-base page: empty start, create -> search -> edit -> delete, JSONL import preview and refusal."""

from __future__ import annotations

import json

import pytest

from analysis.knowledge import KnowledgeBase, default_embedder
from analysis.settings import Settings
from tests.ui.conftest import assert_clean, new_app, texts

PAGE = "pages/knowledge.py"


@pytest.fixture
def kb_env(data_dir, monkeypatch):
    monkeypatch.setenv("SREWB_KB_EMBEDDER", "hashing")
    return data_dir


def stored() -> KnowledgeBase:
    s = Settings()
    return KnowledgeBase(s.kb_uri, default_embedder(s))


def open_page():
    at = new_app().run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    return at


def submit(at, key: str):
    at.button(key=f"FormSubmitter:{key}-" + ("Add entry" if key.startswith("kb.form.new") else "Save changes")).click()
    return at.run()


def test_page_opens_on_an_empty_knowledge_base(kb_env):
    at = open_page()
    assert texts(at, "title") == ["Knowledge base"]
    assert any("knowledge base is empty" in t for t in texts(at, "info"))
    assert stored().count() == 0


def test_create_search_edit_delete(kb_env):
    at = open_page()
    submit(at, "kb.form.new0")
    assert any("needs a title" in e for e in texts(at, "error"))
    assert stored().count() == 0

    at.text_input(key="kb.form.new0.title").input("Checkout pool exhaustion after deploy")
    at.text_area(key="kb.form.new0.summary").input("Checkout 5xx spiked; HikariPool timeouts after release 2.4.1.")
    at.text_area(key="kb.form.new0.root_cause").input("Connection pool shrunk to 10 by a config change")
    at.selectbox(key="kb.form.new0.category").select("config_change")
    at.text_input(key="kb.form.new0.services").input("checkout, checkout-db")
    at.text_input(key="kb.form.new0.tags").input("hikari, pool")
    at.text_area(key="kb.form.new0.runbook").input("Roll back 2.4.1\nRestore pool size to 50")
    submit(at, "kb.form.new0")
    assert_clean(at)
    [entry] = stored().all_entries()
    assert entry.title == "Checkout pool exhaustion after deploy" and entry.source == "manual"
    assert entry.services == ["checkout", "checkout-db"] and entry.category == "config_change"
    assert entry.runbook == ["Roll back 2.4.1", "Restore pool size to 50"]
    assert any("added" in s for s in texts(at, "success"))

    at.text_input(key="kb.q").input("hikari pool timeouts checkout").run()
    assert_clean(at)
    assert any("Checkout pool exhaustion" in m for m in texts(at, "markdown"))
    assert any(c.startswith("Why it matched") for c in texts(at, "caption"))
    at.selectbox(key="kb.f.category").select("disk_full").run()
    assert any("Nothing matched" in t for t in texts(at, "info"))

    at.selectbox(key="kb.edit.id").select(entry.id).run()
    form = f"kb.form.{entry.id}"
    assert at.text_input(key=f"{form}.title").value == entry.title
    at.text_area(key=f"{form}.resolution").input("Rolled back and raised the pool size")
    submit(at, form)
    assert_clean(at)
    assert stored().get(entry.id).resolution == "Rolled back and raised the pool size"
    assert stored().get(entry.id).runbook == entry.runbook

    at.button(key="kb.delete").click().run()
    assert any("cannot be undone" in w for w in texts(at, "warning"))
    assert stored().count() == 1
    at.button(key="kb.delete.no").click().run()
    assert stored().count() == 1
    at.button(key="kb.delete").click().run()
    at.button(key="kb.delete.yes").click().run()
    assert_clean(at)
    assert stored().count() == 0
    assert any("deleted" in s for s in texts(at, "success"))


def _jsonl(*records) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def test_jsonl_import_preview_then_commit(kb_env):
    kb = stored()
    from analysis.knowledge import KBEntry

    kb.upsert([KBEntry(id="pm-1", title="Old title for disk full", summary="old")])
    at = open_page()
    data = _jsonl({"id": "pm-1", "title": "Disk full on db-3", "summary": "WAL filled the volume",
                   "category": "disk_full", "services": ["db"]},
                  {"id": "pm-2", "title": "Certificate expired on edge", "summary": "TLS handshakes failed"})
    at.file_uploader(key="kb.import.files0").upload("pm.jsonl", data, "application/x-ndjson").run()
    assert_clean(at)
    assert any("2 entries: 1 new, 1 update" in t for t in texts(at, "info"))
    assert stored().get("pm-1").title == "Old title for disk full"  # preview stores nothing
    at.button(key="kb.import.go").click().run()
    assert_clean(at)
    assert sorted(e.id for e in stored().all_entries()) == ["pm-1", "pm-2"]
    assert stored().get("pm-1").title == "Disk full on db-3"
    assert any("Imported 2 entries (1 new, 1 updated)" in s for s in texts(at, "success"))


def test_bad_jsonl_line_is_refused_with_its_number(kb_env):
    at = open_page()
    data = _jsonl({"id": "a", "title": "Fine"}, "{not json", {"id": "c", "title": "Also fine"})
    at.file_uploader(key="kb.import.files0").upload("bad.jsonl", data, "application/x-ndjson").run()
    errors = [e.replace("\\", "") for e in texts(at, "error")]  # messages are Markdown-escaped
    assert any(e.startswith("bad.jsonl:") and "lines 2 (" in e and "nothing was imported" in e for e in errors), errors
    assert not [b for b in at.button if b.key == "kb.import.go"]
    assert stored().count() == 0


def test_promote_a_reviewed_report_with_a_prefilled_editable_form(kb_env):
    from datetime import datetime, timezone

    from analysis.models import Hypothesis, IncidentInput, IncidentReport, RemediationStep
    from analysis.store import Store

    store = Store(Settings().data_dir)
    inc = store.create_incident(IncidentInput(title="Checkout errors after deploy", services=["checkout"],
                                              description="5xx on checkout from 09:10, pool timeouts"))
    run = store.start_run(inc.id, "offline")
    hyp = Hypothesis(id="h1", category="deployment_regression", service="checkout", confidence=0.8,
                     statement="Release 2.4.1 shrank the DB pool", remediation=[RemediationStep(text="Roll back 2.4.1")])
    store.finish_run(run.id, IncidentReport(incident_id=inc.id, run_id=run.id, created_at=datetime.now(timezone.utc),
                                            hypotheses=[hyp]))
    at = new_app()
    at.query_params["incident"] = inc.id
    at.switch_page("pages/report.py").run()
    assert_clean(at)
    key = f"report.promote.{run.id}"
    assert at.button(key=key).disabled, "an unreviewed report cannot be promoted"
    store.add_review(inc.id, verdict="accepted", run_id=run.id, hypothesis_id="h1")
    at.run()
    at.button(key=key).click().run()
    assert_clean(at)
    form = f"{key}.form"
    assert at.text_input(key=f"{form}.title").value == "Checkout errors after deploy"
    assert at.text_area(key=f"{form}.summary").value == "5xx on checkout from 09:10, pool timeouts"
    assert at.text_area(key=f"{form}.root_cause").value == "Release 2.4.1 shrank the DB pool"
    assert at.text_area(key=f"{form}.resolution").value == ""
    assert at.selectbox(key=f"{form}.category").value == "deployment_regression"
    at.text_area(key=f"{form}.resolution").input("Rolled back")
    at.button(key=f"FormSubmitter:{form}-Save to knowledge base").click().run()
    assert_clean(at)
    [entry] = stored().all_entries()
    assert entry.source == "promoted" and entry.id == inc.id  # the incident id is the entry id (no "inc-inc-")
    assert entry.resolution == "Rolled back" and entry.runbook == ["Roll back 2.4.1"]
    assert entry.services == ["checkout"]


def test_near_duplicates_are_found_and_merged(kb_env):
    from analysis.knowledge import KBEntry

    text = "Checkout returned 5xx because the database connection pool was exhausted after the deploy"
    stored().upsert([KBEntry(id="a", title="Checkout pool exhausted", summary=text, services=["checkout"]),
                     KBEntry(id="b", title="Checkout pool exhausted", summary=text, tags=["hikari"],
                             resolution="Rolled back"),
                     KBEntry(id="c", title="Certificate expired on edge", summary="TLS handshakes failed")])
    at = open_page()
    at.slider(key="kb.dup.threshold").set_value(0.8)
    at.button(key="kb.dup.find").click().run()
    assert [b.key for b in at.button if b.key and b.key.startswith("kb.dup.0.")] == ["kb.dup.0.keep.a", "kb.dup.0.keep.b"]
    assert_clean(at)
    at.button(key="kb.dup.0.keep.a").click().run()
    assert_clean(at)
    assert sorted(e.id for e in stored().all_entries()) == ["a", "c"]
    merged = stored().get("a")
    assert merged.tags == ["hikari"] and merged.resolution == "Rolled back" and merged.services == ["checkout"]
    assert any("Merged b into a" in s for s in texts(at, "success"))
