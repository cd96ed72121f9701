"""Store tests on a real DuckDB file in a temp dir: CRUD, lifecycle, runs, reviews, migrations, files."""

from __future__ import annotations

import duckdb
import pytest

from analysis.errors import LifecycleError, NotFoundError
from analysis.models import ArtifactKind, IncidentInput, IncidentReport, IncidentStatus
from analysis.store import Store
from analysis.store.migrations import LATEST_VERSION, MIGRATIONS, migrate


def test_incident_roundtrip_and_persistence(store, settings):
    inc = store.create_incident(IncidentInput(title="Checkout down", services="checkout, payments", severity="SEV1"))
    assert inc.services == ["checkout", "payments"]
    reopened = Store(settings.data_dir)
    got = reopened.get_incident(inc.id)
    assert got.title == "Checkout down" and got.severity.value == "SEV1" and got.status == IncidentStatus.detected
    assert [i.id for i in reopened.list_incidents()] == [inc.id]


def test_lifecycle_legal_and_illegal_moves_are_audited(store):
    inc = store.create_incident(IncidentInput(title="x"))
    for s in ("acknowledged", "investigating", "mitigated", "resolved", "learned"):
        inc = store.set_status(inc.id, IncidentStatus(s))
    assert inc.status == IncidentStatus.learned
    with pytest.raises(LifecycleError, match="cannot move from learned to investigating"):
        store.set_status(inc.id, IncidentStatus.investigating)
    other = store.create_incident(IncidentInput(title="y"))
    with pytest.raises(LifecycleError):
        store.set_status(other.id, IncidentStatus.resolved)  # detected -> resolved skips the work
    actions = [a["detail"] for a in store.list_audit(inc.id) if a["action"] == "status.changed"]
    assert actions == ["detected -> acknowledged", "acknowledged -> investigating", "investigating -> mitigated",
                       "mitigated -> resolved", "resolved -> learned"]


def test_inconclusive_reachable_and_reopenable(store):
    inc = store.create_incident(IncidentInput(title="x"))
    assert store.set_status(inc.id, IncidentStatus.inconclusive).status == IncidentStatus.inconclusive
    assert store.set_status(inc.id, IncidentStatus.investigating).status == IncidentStatus.investigating


def test_artifacts_are_content_addressed_and_never_modified(store, settings):
    inc = store.create_incident(IncidentInput(title="x"))
    a1 = store.add_artifact(inc.id, "app.log", b"line one\n", ArtifactKind.log)
    a2 = store.add_artifact(inc.id, "app.log", b"line one\n", ArtifactKind.log)
    assert a1.id == a2.id  # same upload twice is one artifact
    inc2 = store.create_incident(IncidentInput(title="y"))
    a3 = store.add_artifact(inc2.id, "copy.log", b"line one\n", ArtifactKind.log)
    assert a3.path == a1.path and a3.id != a1.id
    assert (settings.data_dir / a1.path).read_bytes() == b"line one\n"
    assert store.read_artifact(a1) == b"line one\n"
    assert not list((settings.data_dir / "artifacts").rglob(".tmp-*"))


def test_unknown_incident_is_a_clear_error(store):
    with pytest.raises(NotFoundError, match="does not exist"):
        store.get_incident("inc-nope")
    with pytest.raises(NotFoundError):
        store.add_artifact("inc-nope", "a.log", b"x", ArtifactKind.log)


def test_runs_keep_history_and_reports(store):
    inc = store.create_incident(IncidentInput(title="x"))
    r1 = store.start_run(inc.id, "offline")
    rep = IncidentReport(incident_id=inc.id, run_id=r1.id, created_at=store.clock())
    done = store.finish_run(r1.id, rep)
    assert done.status == "completed" and done.seconds is not None and done.seconds > 0
    r2 = store.start_run(inc.id, "offline")
    store.fail_run(r2.id, "boom")
    runs = store.list_runs(inc.id)
    assert {r.id: r.status for r in runs} == {r1.id: "completed", r2.id: "failed"}
    assert store.get_report(r1.id).run_id == r1.id
    assert store.latest_report(inc.id).run_id == r1.id


def test_runs_of_dead_processes_become_interrupted(store, settings):
    inc = store.create_incident(IncidentInput(title="x"))
    run = store.start_run(inc.id, "offline")
    con = duckdb.connect(str(settings.db_path))
    con.execute("UPDATE runs SET pid=999999 WHERE id=?", [run.id])  # a pid that does not exist
    con.close()
    assert store.mark_interrupted_runs() == 1
    assert store.get_run(run.id).status == "interrupted"
    live = store.start_run(inc.id, "offline")  # this process is alive: left alone
    assert store.mark_interrupted_runs() == 0
    assert store.get_run(live.id).status == "running"


def test_reviews_and_verdicts(store):
    inc = store.create_incident(IncidentInput(title="x"))
    store.add_review(inc.id, verdict="accepted", run_id="run-1", hypothesis_id="h1")
    store.add_review(inc.id, verdict="rejected", run_id="run-1", hypothesis_id="h1")
    store.add_review(inc.id, verdict="note", note="<script>alert(1)</script>", run_id="run-1")
    assert store.verdicts("run-1") == {"h1": "rejected"}
    assert store.list_reviews(inc.id)[-1].note == "<script>alert(1)</script>"


def test_opening_an_older_data_dir_upgrades_it(tmp_path):
    path = tmp_path / "workbench.duckdb"
    con = duckdb.connect(str(path))
    cur = con.cursor()
    assert migrate(cur, target=1) == [1]
    cur.execute("INSERT INTO incidents VALUES ('inc-old','old',NULL,['svc'],'SEV3','detected',now(),now())")
    con.close()
    store = Store(tmp_path)
    assert store.applied_migrations == [v for v, *_ in MIGRATIONS if v > 1]
    assert store.get_incident("inc-old").services == ["svc"]
    store.record_llm_call(incident_id="inc-old", agent="log", model="m", tokens_in=1, tokens_out=2)
    assert store.list_llm_calls("inc-old")[0]["tokens_out"] == 2
    assert Store(tmp_path).applied_migrations == []  # idempotent
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == LATEST_VERSION
    con.close()


def test_failed_write_rolls_back(store, settings):
    inc = store.create_incident(IncidentInput(title="x"))
    with pytest.raises(duckdb.Error):
        with store.db.write() as cur:
            cur.execute("UPDATE incidents SET title='changed' WHERE id=?", [inc.id])
            cur.execute("SELECT * FROM no_such_table")
    assert store.get_incident(inc.id).title == "x"
