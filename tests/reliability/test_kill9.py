"""Crash safety: ``kill -9`` of ``python -m analysis analyze --db`` in the middle of an analysis.

The child is killed once its progress shows the analysis running (the run row is committed as
'running' by then). Afterwards the data directory opens normally, every earlier incident, artifact
and result is unchanged, the killed run is marked 'interrupted' by ``mark_interrupted_runs`` (what
the app does on start), its incident and artifacts are intact, and a re-run completes.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from analysis.models import ArtifactKind, IncidentInput
from analysis.settings import Settings
from analysis.store import Store
from analysis.workflow import run_stored_analysis, upload

REPO = Path(__file__).resolve().parents[2]


def _big_log(lines: int) -> bytes:
    t0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    out = []
    for i in range(lines):
        ts = (t0 + timedelta(milliseconds=40 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if i % 97 == 0:
            out.append(f"{ts} ERROR checkout-{i % 5} db timeout after {i % 900} ms pool=orders req={i:x}")
        else:
            out.append(f"{ts} INFO checkout-{i % 5} request ok path=/api/cart/{i % 300} user={i % 1717} ms={i % 89}")
    return ("\n".join(out) + "\n").encode()


def _snapshot(store: Store) -> dict:
    incidents = {i.id: i.model_dump_json() for i in store.list_incidents()}
    arts = {a.id: a.model_dump_json() for inc in incidents for a in store.list_artifacts(inc)}
    runs = {r.id: (r.status, r.top_category) for inc in incidents for r in store.list_runs(inc)}
    reports = {}
    for rid in runs:
        rep = store.get_report(rid)
        reports[rid] = hashlib.sha256(rep.model_dump_json().encode()).hexdigest() if rep else None
    return {"incidents": incidents, "artifacts": arts, "runs": runs, "reports": reports}


def _files(data: Path) -> dict[str, str]:
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((data / "artifacts").rglob("*")) if p.is_file()}


def test_kill_9_mid_analysis_leaves_everything_intact_and_rerun_works(tmp_path):
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    store = Store(data)
    # an earlier, complete incident that must survive untouched
    earlier = store.create_incident(IncidentInput(title="Earlier incident", services=["checkout"]))
    upload(store, earlier.id, [("app.log", _big_log(300))], settings)
    run_stored_analysis(store, earlier.id, settings)
    before = _snapshot(store)
    files_before = _files(data)

    big = tmp_path / "big.log"
    big.write_bytes(_big_log(20_000))
    env = {**os.environ, "PYTHONPATH": str(REPO), "SREWB_BACKEND": "offline"}
    child = subprocess.Popen([sys.executable, "-m", "analysis", "analyze", str(big), "--db", str(data)],
                             cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    seen = []
    try:
        for line in child.stderr:  # progress lines; the run row is 'running' once the pipeline reports
            seen.append(line)
            if line.startswith("[log]") or time.monotonic() > deadline:
                break
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, seen
    assert any(s.startswith("[log]") for s in seen), f"the analysis never started: {seen}"

    # next start: the data directory opens, the killed run is found and marked interrupted
    store = Store(data)
    new = [i for i in store.list_incidents() if i.id != earlier.id]
    assert len(new) == 1, "the killed CLI run must leave exactly its one incident"
    [killed] = store.list_runs(new[0].id)
    assert killed.status == "running"
    assert store.mark_interrupted_runs() == 1
    [killed] = store.list_runs(new[0].id)
    assert killed.status == "interrupted" and "stopped" in killed.error
    assert store.mark_interrupted_runs() == 0

    # everything stored before is unchanged; the killed incident's artifact is intact
    after = _snapshot(store)
    for key, rows in before.items():
        assert {k: after[key][k] for k in rows} == rows, key
    files_after = _files(data)
    assert {k: files_after[k] for k in files_before} == files_before
    [art] = store.list_artifacts(new[0].id)
    assert art.kind == ArtifactKind.log and store.read_artifact(art) == big.read_bytes()
    assert all(Path(k).name == v for k, v in files_after.items()), "an artifact file does not match its hash"

    # and the analyst can re-run it
    run, report = run_stored_analysis(store, new[0].id, settings)
    assert run.status == "completed" and report.artifacts == [art.id]
    statuses = sorted(r.status for r in store.list_runs(new[0].id))
    assert statuses == ["completed", "interrupted"]


def _consistent(store: Store, data: Path) -> None:
    """Every stored row points at something whole: artifact files hash to their rows, runs are not torn."""
    with store.db.read() as cur:
        arts = cur.execute("SELECT id, incident_id, sha256, size, path FROM artifacts").fetchall()
        incidents = {r[0] for r in cur.execute("SELECT id FROM incidents").fetchall()}
        runs = cur.execute("SELECT id, incident_id, status, report FROM runs").fetchall()
        finding_runs = {r[0] for r in cur.execute("SELECT DISTINCT run_id FROM findings").fetchall()}
    for art_id, inc_id, sha, size, rel in arts:
        assert inc_id in incidents, f"artifact {art_id} without its incident"
        blob = (data / rel).read_bytes()
        assert len(blob) == size and hashlib.sha256(blob).hexdigest() == sha, f"artifact {art_id} is torn"
    for run_id, inc_id, status, report in runs:
        assert inc_id in incidents
        assert status in ("running", "completed", "interrupted", "failed", "cancelled")
        assert (status == "completed") == (report is not None), f"run {run_id} is {status} with report={bool(report)}"
    completed = {r[0] for r in runs if r[2] == "completed"}
    assert finding_runs <= completed, "findings stored for a run that never completed"


def test_kill_9_at_any_moment_leaves_a_consistent_directory(tmp_path):
    """Kill the CLI at several moments (start-up, storing, analysing); the directory stays consistent."""
    data = tmp_path / "data"
    folder = tmp_path / "bundle"
    (folder / "logs").mkdir(parents=True)
    for i in range(6):
        (folder / "logs" / f"app{i}.log").write_bytes(_big_log(2_000 + 500 * i))
    env = {**os.environ, "PYTHONPATH": str(REPO), "SREWB_BACKEND": "offline"}
    for delay in (1.0, 2.5, 4.0):
        child = subprocess.Popen([sys.executable, "-m", "analysis", "analyze", str(folder), "--db", str(data),
                                  "--quiet"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        if not (data / "workbench.duckdb").exists():
            continue
        store = Store(data)
        store.mark_interrupted_runs()
        _consistent(store, data)
    store = Store(data)
    assert not [r for inc in store.list_incidents() for r in store.list_runs(inc.id) if r.status == "running"]
