"""The analysis pipeline: log -> metrics -> vision -> supervisor, each refined by the chosen backend.

Pure with respect to storage: takes loaded artifacts, returns an :class:`IncidentReport`. A failing
agent or backend degrades the report (a named gap), it never loses the run. See
:mod:`analysis.workflow` for the stored variant used by the app and the CLI ``--db``.
"""

from __future__ import annotations

import logging
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from analysis.agents.base import Agent, AgentContext, Progress
from analysis.agents.loaded import LoadedArtifact
from analysis.agents.log_agent import LogAgent
from analysis.agents.metrics_agent import MetricsAgent
from analysis.agents.supervisor import SupervisorAgent
from analysis.agents.vision_agent import VisionAgent
from analysis.errors import AnalysisError, WorkbenchError
from analysis.forked import Started, can_fork, run_forked, start
from analysis.llm.offline import OfflineBackend
from analysis.models import AgentReport, Gap, IncidentInput, IncidentReport
from analysis.settings import Settings

log = logging.getLogger(__name__)


def default_agents() -> list[Agent]:
    return [LogAgent(), MetricsAgent(), VisionAgent(), SupervisorAgent()]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _noop(agent: str, message: str) -> None:
    return None


#: Agents that only read artifacts: they run concurrently (tesseract subprocesses, pandas and the
#: log parser overlap on two cores); agents after them (the supervisor) read their outputs.
EVIDENCE_AGENTS = frozenset({"log", "metrics", "vision"})


def analyze(incident: IncidentInput, artifacts: Sequence[LoadedArtifact], *, settings: Settings,
            backend: Any = None, clock: Callable[[], datetime] = _now, progress: Progress = _noop,
            incident_id: str = "", run_id: str = "", knowledge: Any = None,
            agents: Sequence[Agent] | None = None, cancelled: Callable[[], bool] = lambda: False,
            running: dict[str, Started] | None = None) -> IncidentReport:
    """Run the evidence agents concurrently, then the rest in order, and assemble the report.

    ``running`` holds evidence agents a caller already forked (:func:`start_agent`); they are
    collected instead of being run again.

    ``progress`` is only ever called from the calling thread (messages from worker threads are
    queued and relayed), so a UI callback needs no locking.
    """
    backend = backend or OfflineBackend()
    ctx = AgentContext(incident=incident, artifacts=list(artifacts), settings=settings, clock=clock,
                       progress=progress, incident_id=incident_id, run_id=run_id, knowledge=knowledge)
    agents = list(agents or default_agents())
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def over_budget() -> bool:
        if cancelled():
            raise AnalysisError("The analysis was cancelled; earlier results are unchanged.")
        return time.perf_counter() - started > settings.analysis_time_budget_s

    evidence = [a for a in agents if a.name in EVIDENCE_AGENTS]
    if evidence and not over_budget():
        for agent, (report, seconds) in zip(evidence, _run_concurrently(evidence, ctx, progress, running or {})):
            _finish(agent, report, seconds, ctx, backend, timings, progress)
    for agent in agents:
        if agent in evidence and agent.name in ctx.reports:
            continue
        if over_budget():
            ctx.reports[agent.name] = AgentReport(agent=agent.name, degraded=True, degraded_reason="time budget exceeded",
                                                  gaps=[Gap(what=f"{agent.name} agent", why="the analysis time budget "
                                                            f"({settings.analysis_time_budget_s:.0f} s) ran out",
                                                            would_settle="raise SREWB_ANALYSIS_TIME_BUDGET_S or upload less")])
            continue
        progress(agent.name, "started")
        t0 = time.perf_counter()
        report = _run_agent(agent, ctx)
        _finish(agent, report, time.perf_counter() - t0, ctx, backend, timings, progress)
    timings["total"] = round(time.perf_counter() - started, 3)  # wall clock: evidence agents overlap
    return assemble(ctx, timings, backend.name, clock(), incident_id, run_id)


def _run_agent(agent: Agent, ctx: AgentContext) -> AgentReport:
    """One agent's deterministic run; failures become a degraded report with a named gap."""
    try:
        return agent.run(ctx)
    except WorkbenchError as exc:
        return AgentReport(agent=agent.name, degraded=True, degraded_reason=str(exc),
                           gaps=[Gap(what=f"{agent.name} agent", why=str(exc))])
    except Exception as exc:  # an engine bug must not lose the run
        log.exception("agent %s failed", agent.name)
        return AgentReport(agent=agent.name, degraded=True, degraded_reason=f"{type(exc).__name__}: {exc}",
                           gaps=[Gap(what=f"{agent.name} agent", why=f"internal error ({type(exc).__name__}: {exc})",
                                     would_settle="report this file to the workbench maintainers")])


def start_agent(agent: Agent, ctx: AgentContext, *, late: bool = False) -> Started | None:
    """Fork ``agent`` now on the artifacts in ``ctx`` when agents may run in processes; None otherwise
    (``late``: see :func:`analysis.forked.start`)."""
    if ctx.settings.agent_processes and can_fork():
        return start(agent, ctx, _run_agent, late=late)
    return None


def _run_concurrently(agents: list[Agent], ctx: AgentContext, progress: Progress,
                      running: dict[str, Started]) -> list[tuple[AgentReport, float]]:
    """Run agents in forked processes when that is safe (see :mod:`analysis.forked`), else in worker
    threads; relay their progress lines from this thread; results in agent order."""
    if running or (ctx.settings.agent_processes and len(agents) > 1 and can_fork()):
        return run_forked(agents, ctx, progress, _run_agent, while_waiting=getattr(ctx.knowledge, "warm", None),
                          started=running)
    messages: queue.Queue[tuple[str, str]] = queue.Queue()
    ctx.progress = lambda agent, message: messages.put((agent, message))

    def timed(agent: Agent) -> tuple[AgentReport, float]:
        messages.put((agent.name, "started"))
        t0 = time.perf_counter()
        return _run_agent(agent, ctx), time.perf_counter() - t0

    try:
        with ThreadPoolExecutor(max_workers=len(agents), thread_name_prefix="agent") as pool:
            futures = [pool.submit(timed, a) for a in agents]
            while not all(f.done() for f in futures) or not messages.empty():
                try:
                    progress(*messages.get(timeout=0.1))
                except queue.Empty:
                    pass
            return [f.result() for f in futures]
    finally:
        ctx.progress = progress


def _finish(agent: Agent, report: AgentReport, seconds: float, ctx: AgentContext, backend: Any,
            timings: dict[str, float], progress: Progress) -> None:
    """Let the backend refine the agent's report (never losing it), then record it."""
    t0 = time.perf_counter()
    if backend.name != "offline":
        try:
            report = backend.refine(agent.name, ctx, report)
        except Exception as exc:  # backends translate their own errors; this is the last net
            log.exception("backend %s failed for %s", backend.name, agent.name)
            report = report.model_copy(update={"degraded": True, "degraded_reason": str(exc)})
            report.gaps.append(Gap(what=f"{backend.name} {agent.name} agent", why=str(exc),
                                   would_settle="the offline result is shown instead"))
    report.seconds = round(seconds + time.perf_counter() - t0, 3)
    timings[agent.name] = report.seconds
    ctx.reports[agent.name] = report
    progress(agent.name, f"done in {report.seconds:.1f} s")


def assemble(ctx: AgentContext, timings: dict[str, float], backend: str, created_at: datetime,
             incident_id: str, run_id: str) -> IncidentReport:
    """Merge agent reports and the supervisor's engine output into one report."""
    sup = ctx.reports.get("supervisor")
    sup_out = (ctx.engine_outputs.get("supervisor") or [None])[0]
    findings = [f for name in ("log", "metrics", "vision", "supervisor") if name in ctx.reports
                for f in ctx.reports[name].findings]
    gaps: list[Gap] = []
    for rep in ctx.reports.values():
        for g in rep.gaps:
            if g not in gaps:
                gaps.append(g)
    similar = [hit.to_similar() for hit in ctx.engine_outputs.get("similar", [])]
    report = IncidentReport(
        incident_id=incident_id, run_id=run_id, title=ctx.incident.title, created_at=created_at, backend=backend,
        hypotheses=sup.hypotheses if sup else [], findings=findings,
        timeline=getattr(sup_out, "timeline", []) if sup_out else [],
        service_graph=getattr(sup_out, "service_graph", []) if sup_out else [],
        gaps=gaps, similar=similar, agents=list(ctx.reports.values()),
        inconclusive=bool(getattr(sup_out, "inconclusive", not (sup and sup.hypotheses))),
        timings={**timings, "total": timings.get("total", round(sum(timings.values()), 3))},
        degraded=any(r.degraded for r in ctx.reports.values()),
        artifacts=[a.id for a in ctx.artifacts],
    )
    return report
