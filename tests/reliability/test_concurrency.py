"""Concurrency: 8 sessions (threads sharing the app's one Store) plus a CLI process, one data directory.

Each session creates its own incident, uploads its own log and CSV and analyses it through
:mod:`analysis.workflow`, exactly as the Streamlit pages do, while ``python -m analysis analyze
--db`` writes to the same directory. Afterwards every write is present once, in the right
incident, with the right bytes; the CLI either succeeded or said clearly that the directory was
in use. A second test holds the database from another process and checks that message.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from analysis.cli.main import main
from analysis.errors import StoreBusyError
from analysis.models import IncidentInput
from analysis.settings import Settings
from analysis.store import Store
from analysis.workflow import run_stored_analysis, upload

REPO = Path(__file__).resolve().parents[2]
SESSIONS = 8


def _log(session: int, lines: int = 400) -> bytes:
    t0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    out = []
    for i in range(lines):
        ts = (t0 + timedelta(seconds=2 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        level, msg = ("ERROR", "upstream timeout") if 250 <= i < 280 else ("INFO", "request ok")
        out.append(f"{ts} {level} svc{session} {msg} session={session} req={i}")
    return ("\n".join(out) + "\n").encode()


def _csv(session: int) -> bytes:
    t0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    rows = ["timestamp,latency_ms"]
    for i in range(120):
        rows.append(f"{(t0 + timedelta(seconds=10 * i)):%Y-%m-%dT%H:%M:%SZ},{100 + session + (800 if i > 80 else i % 5)}")
    return ("\n".join(rows) + "\n").encode()


def _session(store: Store, settings: Settings, i: int, results: dict, barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=60)
        inc = store.create_incident(IncidentInput(title=f"session {i}", services=[f"svc{i}"]), actor=f"user{i}")
        files = [(f"session-{i}.log", _log(i)), (f"session-{i}.csv", _csv(i))]
        outcome = upload(store, inc.id, files, settings)
        run, report = run_stored_analysis(store, inc.id, settings)
        results[i] = (inc, outcome, run, report, files)
    except BaseException as exc:  # recorded and asserted on in the main thread
        results[i] = exc


def test_eight_sessions_and_a_cli_share_one_data_directory(tmp_path):
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    store = Store(data)  # the app's one Store, shared by every session
    cli_log = tmp_path / "cli.log"
    cli_log.write_bytes(_log(99))
    env = {**os.environ, "PYTHONPATH": str(REPO), "SREWB_BACKEND": "offline"}
    cli = subprocess.Popen([sys.executable, "-m", "analysis", "analyze", str(cli_log), "--db", str(data), "--json"],
                           cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results: dict[int, object] = {}
    barrier = threading.Barrier(SESSIONS)
    threads = [threading.Thread(target=_session, args=(store, settings, i, results, barrier)) for i in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    cli_out, cli_err = cli.communicate(timeout=240)

    errors = {i: r for i, r in results.items() if isinstance(r, BaseException)}
    assert not errors, errors
    assert sorted(results) == list(range(SESSIONS))

    # the CLI either stored its incident or said clearly that the directory was busy
    assert "Traceback" not in cli_err
    if cli.returncode == 0:
        cli_incidents = [i for i in store.list_incidents() if i.title.startswith("Analysis of cli.log")]
        assert len(cli_incidents) == 1
        [cli_art] = store.list_artifacts(cli_incidents[0].id)
        assert store.read_artifact(cli_art) == cli_log.read_bytes()
        assert [r.status for r in store.list_runs(cli_incidents[0].id)] == ["completed"]
    else:
        assert cli.returncode == 2 and cli_err.startswith("error: ") and "in use" in cli_err, cli_err
        cli_incidents = []

    incidents = store.list_incidents()
    assert len(incidents) == SESSIONS + len(cli_incidents), "lost or duplicated incidents"
    assert len({i.id for i in incidents}) == len(incidents)
    for i in range(SESSIONS):
        inc, outcome, run, report, files = results[i]
        assert not outcome.rejected
        arts = store.list_artifacts(inc.id)
        assert sorted(a.name for a in arts) == sorted(n for n, _ in files), f"session {i} artifacts mixed up"
        for a in arts:  # the bytes in each artifact are that session's bytes
            assert store.read_artifact(a) == dict(files)[a.name]
        runs = store.list_runs(inc.id)
        assert [r.status for r in runs] == ["completed"] and runs[0].id == run.id
        stored = store.get_report(run.id)
        assert stored is not None and stored.incident_id == inc.id
        assert sorted(stored.artifacts) == sorted(a.id for a in arts)
        own = {a.id for a in arts}
        for f in stored.findings:
            for ev in f.evidence:
                assert ev.artifact_id in own, f"session {i} report cites another incident's artifact"
        actions = Counter(e["action"] for e in store.list_audit(inc.id))
        assert actions["incident.created"] == 1 and actions["run.started"] == 1 and actions["run.completed"] == 1
        assert store.get_incident(inc.id).title == f"session {i}" and store.get_incident(inc.id).services == [f"svc{i}"]


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_cli_says_in_use_when_another_process_holds_the_database(tmp_path):
    data = tmp_path / "data"
    Store(data)
    log = tmp_path / "a.log"
    log.write_bytes(_log(1, 50))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data / "workbench.duckdb"), "40"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusyError, match="in use by another process"):
            Store(data, busy_timeout_s=0.5)
        out, err = io.StringIO(), io.StringIO()
        t0 = time.monotonic()
        code = main(["analyze", str(log), "--db", str(data), "--json"], out=out, err=err)
        assert code == 2 and out.getvalue() == ""
        assert err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1
        assert "in use by another process" in err.getvalue() and "Traceback" not in err.getvalue()
        assert time.monotonic() - t0 < 35
    finally:
        holder.kill()
        holder.wait()
    # once the other process is gone the directory works again and nothing was half-stored
    store = Store(data)
    assert store.list_incidents() == []
