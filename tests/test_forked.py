"""Evidence agents in forked processes: same report as threads, crashes and unpicklable output degrade,
progress is relayed, and the CLI path starts the log agent before the CSVs are parsed.

Agents fork only from a single-threaded process (as the CLI is), and earlier tests leave threads
behind (LanceDB's event loop), so each case runs in a fresh interpreter and first checks that the
forked path is really the one taken.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from analysis.agents.base import AgentContext
from analysis.errors import AnalysisError
from analysis.forked import can_fork, fork_map
from analysis.models import AgentReport, IncidentInput
from analysis.pipeline import analyze
from analysis.settings import Settings
from analysis.workflow import analyze_paths

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "samples" / "checkout-deploy-regression"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only; Windows runs the thread pool")


@pytest.mark.parametrize("case", ["case_processes_and_progress", "case_threads_when_switched_off",
                                  "case_crash_and_unpicklable_output", "case_cli_path_same_report", "case_fork_map"])
def test_forked_agents(case: str, tmp_path: Path) -> None:
    code = (f"import runpy; ns = runpy.run_path({str(Path(__file__))!r}); "
            f"ns['_fresh']() ; ns[{case!r}](ns['Settings'](data_dir={str(tmp_path / 'data')!r}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=180,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-4000:]


def _fresh() -> None:
    assert can_fork(), f"threads alive: {[t.name for t in threading.enumerate()]}"


class WhereAmI:
    """Reports the process it ran in, and a progress line."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, ctx: AgentContext) -> AgentReport:
        ctx.progress(self.name, f"working in {os.getpid()}")
        ctx.engine_outputs[self.name] = [os.getpid()]
        return AgentReport(agent=self.name)


class Dies:
    name = "vision"

    def run(self, ctx: AgentContext) -> AgentReport:
        os._exit(3)


class Unpicklable:
    name = "metrics"

    def run(self, ctx: AgentContext) -> AgentReport:
        ctx.engine_outputs[self.name] = [lambda: None]
        return AgentReport(agent=self.name)


def case_processes_and_progress(settings: Settings) -> None:
    lines: list[tuple[str, str]] = []
    rep = analyze(IncidentInput(title="t"), [], settings=settings, agents=[WhereAmI("log"), WhereAmI("metrics")],
                  progress=lambda a, m: lines.append((a, m)))
    assert not rep.degraded
    pids = [int(m.rsplit(" ", 1)[1]) for a, m in lines if m.startswith("working in")]
    assert len(pids) == 2 and len(set(pids)) == 2 and os.getpid() not in pids
    assert ("log", "started") in lines and ("metrics", "started") in lines


def case_threads_when_switched_off(settings: Settings) -> None:
    lines: list[tuple[str, str]] = []
    analyze(IncidentInput(title="t"), [], settings=settings.model_copy(update={"agent_processes": False}),
            agents=[WhereAmI("log"), WhereAmI("metrics")], progress=lambda a, m: lines.append((a, m)))
    assert {m for _a, m in lines if m.startswith("working in")} == {f"working in {os.getpid()}"}


def case_crash_and_unpicklable_output(settings: Settings) -> None:
    rep = analyze(IncidentInput(title="t"), [], settings=settings, agents=[WhereAmI("log"), Unpicklable(), Dies()])
    by = {a.agent: a for a in rep.agents}
    assert not by["log"].degraded
    assert by["vision"].degraded and "ended unexpectedly (exit code 3)" in by["vision"].degraded_reason
    assert any(g.what == "vision agent" for g in rep.gaps)
    assert by["metrics"].degraded and "could not be passed back" in by["metrics"].degraded_reason


def case_cli_path_same_report(settings: Settings) -> None:
    forked, _, _ = analyze_paths([SAMPLE], settings)
    threaded, _, _ = analyze_paths([SAMPLE], settings.model_copy(update={"agent_processes": False}))
    assert forked.artifacts == threaded.artifacts
    assert [f.id for f in forked.findings] == [f.id for f in threaded.findings]
    assert [(h.category, h.service, h.confidence) for h in forked.hypotheses] == \
        [(h.category, h.service, h.confidence) for h in threaded.hypotheses]
    assert forked.hypotheses and forked.findings


def _square_or_fail(x: int) -> tuple[int, int]:
    if x == 3:
        raise AnalysisError("three is refused")
    if x == 4:
        os._exit(9)
    if x == 5:
        raise KeyError("engine bug")
    return x * x, os.getpid()


def case_fork_map(settings: Settings) -> None:
    out = fork_map(_square_or_fail, [1, 2, 3, 4, 5, 6], processes=True)
    assert [o[0] for o in out if not isinstance(o, AnalysisError)] == [1, 4, 36]
    pids = {o[1] for o in out if not isinstance(o, AnalysisError)}
    assert len(pids) == 3 and os.getpid() not in pids  # one child per item
    assert str(out[2]) == "three is refused"
    assert "ended unexpectedly (exit code 9)" in str(out[3])
    assert "internal error (KeyError" in str(out[4])
    threaded = fork_map(_square_or_fail, [1, 2, 3, 5], processes=False)
    assert [o[0] for o in threaded[:2]] == [1, 4] and {o[1] for o in threaded[:2]} == {os.getpid()}
    assert str(threaded[2]) == "three is refused" and "internal error (KeyError" in str(threaded[3])


def _processes_mentioning(marker: str) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    out.append(int(proc.name))
            except OSError:
                continue
    return out


class BigAndSlow:
    """Says it is running, waits, then returns an engine output far larger than a pipe's buffer."""

    name = "log"

    def run(self, ctx: AgentContext) -> AgentReport:
        import time

        ctx.progress(self.name, "running")
        time.sleep(1.5)
        ctx.engine_outputs[self.name] = [f"{i:06d}" + "x" * 1000 for i in range(2000)]  # ~2 MB pickled
        return AgentReport(agent=self.name)


def case_parent_to_be_killed(settings: Settings) -> None:
    analyze(IncidentInput(title="t"), [], settings=settings, agents=[BigAndSlow(), WhereAmI("metrics")],
            progress=lambda a, m: print(a, m, flush=True))


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the children")
def test_children_end_quietly_when_the_parent_is_killed(tmp_path: Path) -> None:
    import signal
    import time

    marker = f"parent-kill-{tmp_path.name}"
    code = (f"# {marker}\nimport runpy; ns = runpy.run_path({str(Path(__file__))!r}); "
            f"ns['case_parent_to_be_killed'](ns['Settings'](data_dir={str(tmp_path / 'data')!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.stdout is not None and proc.stderr is not None
    for line in proc.stdout:  # the slow agent runs in its child
        if line.startswith("log running"):
            break
    assert [p for p in _processes_mentioning(marker) if p != proc.pid], "the agent did not run in a child process"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while _processes_mentioning(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_mentioning(marker), "an orphaned agent process kept running (blocked on its pipe?)"
    assert "Traceback" not in proc.stderr.read()
