"""The catalogue's ``sample`` cases as real ``python -m analysis analyze`` processes under hard limits.

Each process runs with ``RLIMIT_AS`` = 2 GB and ``RLIMIT_CPU`` = 60 s (plus a wall-clock guard), from an empty working directory
with its own ``TMPDIR``; its peak resident memory comes from ``wait4``. The bombs are the point:
a limit that only worked in-process, or only because the test process had memory to spare, fails here.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.models import ArtifactKind, IncidentInput
from analysis.store import Store
from hostile_catalogue import ACCEPTED, CASES, Case
from hostile_world import World, files_snapshot, rows_snapshot
import hostile_builders as b

REPO = Path(__file__).resolve().parents[2]
AS_LIMIT = 2 << 30
CPU_LIMIT_S = 60  # the bar: under 60 s each; as CPU time so that a busy CI machine does not fail it
TIMEOUT_S = 300.0  # wall-clock guard against a hang that uses no CPU


def _limit_resources() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S))


def run_limited(argv: list[str], cwd: Path, tmp: Path, env: dict[str, str] | None = None,
                timeout: float = TIMEOUT_S) -> tuple[int, str, str, float, float]:
    """Run the CLI in a child under the limits; returns (exit code, stdout, stderr, seconds, peak RSS MB)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp), "SREWB_BACKEND": "offline",
                **(env or {})}
    out_path, err_path = tmp.parent / "child.out", tmp.parent / "child.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "analysis", *argv], cwd=cwd, env=full_env, stdout=out,
                                stderr=err, preexec_fn=_limit_resources)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout:
                os.kill(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                pytest.fail(f"{argv} did not finish within {timeout:.0f} s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - t0
    out_text, err_text = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    out_path.unlink()
    err_path.unlink()
    assert usage.ru_utime + usage.ru_stime < CPU_LIMIT_S
    return proc.returncode, out_text, err_text, seconds, usage.ru_maxrss / 1024


SAMPLES = [c for c in CASES if c.sample]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    w = World.create(tmp_path_factory.mktemp("hostile-sub"))
    store = Store(w.data)
    inc = store.create_incident(IncidentInput(title="Earlier incident", services=["checkout"]))
    store.add_artifact(inc.id, "app.log", b.log_bytes(), ArtifactKind.log, "text log")
    return w


def test_there_is_a_sample_of_bombs_and_big_inputs():
    assert len(SAMPLES) >= 5
    assert {"gzip", "zip", "image"} <= {c.family for c in SAMPLES}


def _params():
    for case in SAMPLES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_sample_case_in_a_limited_process(case: Case, world: World):
    case_dir = world.inputs / case.name
    case_dir.mkdir()
    args = case.build(case_dir)
    store = Store(world.data)
    rows_before = rows_snapshot(store)
    outside_before = files_snapshot(world.root, skip=world.data)

    code, out, err, seconds, peak_mb = run_limited(["analyze", *args, "--db", str(world.data), "--json"],
                                                   world.cwd, world.tmp, case.env)

    print(f"{case.name}: exit {code}, {seconds:.1f} s wall, peak RSS {peak_mb:.0f} MB")  # shown with -rP
    assert code >= 0, f"killed by signal {-code} (CPU or memory limit)"
    assert seconds < TIMEOUT_S and peak_mb < 2048, (seconds, peak_mb)
    assert "Traceback" not in err, err[-2000:]
    rows_after = rows_snapshot(store)
    if case.verdict == ACCEPTED:
        assert code == 0, err[-500:]
        assert len(set(rows_after["incidents"]) - set(rows_before["incidents"])) == 1
    else:
        assert code == 2, err[-500:]
        assert err.startswith("error: ") and err.count("\n") == 1 and case.reason.lower() in err.lower(), err
        assert rows_after == rows_before
    for table, rows in rows_before.items():
        assert all(rows_after[table].get(k) == h for k, h in rows.items()), table
    assert files_snapshot(world.root, skip=world.data) == outside_before
    assert not list(world.cwd.iterdir()) and not list(world.tmp.iterdir())
