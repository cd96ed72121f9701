"""Evidence agents in forked worker processes: real parallelism for the GIL-bound engines.

The log parser, the metric detectors and the screenshot reader are Python code that holds the
GIL, so in threads they take turns on one core. A cold ``python -m analysis analyze`` therefore
spent about as long as the sum of the agents. Forked children share the parent's imported modules
and loaded artifacts copy-on-write (no re-import, no copy of the uploads), run one agent each, and
send back the agent's report, its engine output and progress lines through a pipe.

Forking is only safe from a process that runs a single Python thread (a lock held by another
thread would stay locked in the child), so :func:`can_fork` says yes only then: the CLI and
scripts. The Streamlit app (many threads, and warm after its first analysis) keeps the thread pool
of :mod:`analysis.pipeline`. A child that dies (killed, out of memory) or whose result cannot be
sent back becomes a degraded agent report with a named gap, as any agent failure does.

Before each fork the parent's objects are moved to the collector's permanent generation
(``gc.freeze``, as the Python docs advise for fork without exec), so a child's full collections do
not walk, and copy the pages of, the whole inherited heap (pandas, pydantic schemas). A child
should also not import what its siblings import too: the caller imports shared engines first.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from analysis.agents.base import Agent, AgentContext, Progress
from analysis.errors import AnalysisError
from analysis.models import AgentReport, Gap

T = TypeVar("T")
R = TypeVar("R")
RunAgent = Callable[[Agent, AgentContext], AgentReport]


def can_fork() -> bool:
    """True when this process may fork safely: the platform has ``fork`` and only one thread runs."""
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


@dataclass
class Started:
    """A forked child already running one agent (see :func:`start`)."""

    agent: Agent
    process: Any
    conn: Connection
    inbox: Connection | None = None

    def send_late(self, value: Any) -> None:
        """Deliver the one late input the agent waits for (``ctx.late_metrics_date``)."""
        if self.inbox is None:
            return
        try:
            self.inbox.send(value)
        except (BrokenPipeError, ConnectionError):
            pass  # the child is gone; run_forked reports it
        finally:
            self.inbox.close()
            self.inbox = None


def start(agent: Agent, ctx: AgentContext, run_agent: RunAgent, *, late: bool = False) -> Started:
    """Fork a child that runs ``agent`` on ``ctx`` now; collect it with :func:`run_forked`.

    Lets a caller start an agent whose inputs are ready (the logs) while it still prepares the
    others' (parsing metric CSVs needs pandas, a 0.45 s import the log agent does not need). With
    ``late``, the child's ``ctx.late_metrics_date()`` waits for :meth:`Started.send_late` (the
    screenshot reader needs the CSVs' date only after its OCR).
    """
    fork = mp.get_context("fork")
    recv, send = fork.Pipe(duplex=False)
    gc.freeze()  # see the module docstring
    inbox_recv, inbox_send = fork.Pipe(duplex=False) if late else (None, None)
    # not a daemon: an agent may fork workers of its own (fork_map), which daemonic processes cannot
    proc = fork.Process(target=_child, args=(agent, ctx, send, recv, run_agent, inbox_recv, inbox_send),
                        name=f"srewb-{agent.name}", daemon=False)
    proc.start()
    send.close()
    if inbox_recv is not None:
        inbox_recv.close()
    return Started(agent, proc, recv, inbox_send)


def run_forked(agents: Sequence[Agent], ctx: AgentContext, progress: Progress, run_agent: RunAgent,
               while_waiting: Callable[[], Any] | None = None,
               started: dict[str, Started] | None = None) -> list[tuple[AgentReport, float]]:
    """Run each agent in its own forked child (or adopt the one in ``started``); relay progress from
    this thread; results in agent order.

    ``while_waiting`` runs in the parent once the children are started (e.g. opening the knowledge
    base the supervisor will search), so it overlaps with them instead of following them.
    """
    pending: dict[Connection, Started] = {}
    for agent in agents:
        progress(agent.name, "started")
        job = (started or {}).get(agent.name) or start(agent, ctx, run_agent)
        pending[job.conn] = job
    if while_waiting is not None:
        while_waiting()
    results: dict[str, tuple[AgentReport, float]] = {}
    while pending:
        for conn in wait(list(pending)):
            job = pending[conn]
            name = job.agent.name
            try:
                msg = conn.recv()
            except EOFError:
                job.process.join()
                results[name] = (_lost(job.agent, job.process.exitcode), 0.0)
                del pending[conn]
                continue
            if msg[0] == "progress":
                progress(name, msg[1])
                continue
            _kind, report, outputs, seconds = msg
            if outputs is not None:
                ctx.engine_outputs[name] = outputs
            results[name] = (report, seconds)
            del pending[conn]
            conn.close()
            job.process.join()
    gc.unfreeze()
    return [results[a.name] for a in agents]


def fork_map(func: Callable[[T], R], items: Sequence[T], *, processes: bool,
             threads: int = 2) -> list[R | AnalysisError]:
    """``func`` over ``items`` in order: one forked child per item (as many at once as there are cores)
    when ``processes`` and :func:`can_fork` allow and there is more than one item, else a thread pool.

    For per-item work that is mostly Python (reading a screenshot): threads would take turns on the
    GIL. An exception in ``func`` or a child that dies becomes that item's :class:`AnalysisError`;
    the other items are unaffected. ``func`` must not report progress itself (children have no channel).
    """
    if not (processes and len(items) > 1 and can_fork()):
        from concurrent.futures import ThreadPoolExecutor

        def guarded(item: T) -> R | AnalysisError:
            try:
                return func(item)
            except AnalysisError as exc:
                return exc
            except Exception as exc:  # as in a child: this item fails with a reason, the others go on
                return AnalysisError(f"internal error ({type(exc).__name__}: {exc})")

        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(items)))) as pool:
            return list(pool.map(guarded, items))
    fork = mp.get_context("fork")
    limit = max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2))
    results: dict[int, R | AnalysisError] = {}
    running: dict[Connection, tuple[int, Any]] = {}
    queue = list(enumerate(items))
    while queue or running:
        while queue and len(running) < limit:
            i, item = queue.pop(0)
            recv, send = fork.Pipe(duplex=False)
            gc.freeze()  # see the module docstring
            proc = fork.Process(target=_map_child, args=(func, item, send, recv), name=f"srewb-map-{i}", daemon=True)
            proc.start()
            send.close()
            running[recv] = (i, proc)
        for conn in wait(list(running)):
            i, proc = running.pop(conn)
            try:
                results[i] = conn.recv()
            except EOFError:
                results[i] = AnalysisError(f"its worker process ended unexpectedly (exit code {proc.exitcode}): "
                                           "run the analysis again, or upload less at once")
            conn.close()
            proc.join()
    gc.unfreeze()
    return [results[i] for i in range(len(items))]


def _map_child(func: Callable[[Any], Any], item: Any, conn: Connection, own_recv: Connection) -> None:
    own_recv.close()  # else this child keeps its own pipe readable and blocks forever if the parent dies
    with _quiet_exit():
        try:
            out = func(item)
        except AnalysisError as exc:
            out = exc
        except Exception as exc:  # an engine bug: this item fails with a reason, the others go on
            out = AnalysisError(f"internal error ({type(exc).__name__}: {exc})")
        try:
            conn.send(out)
        except (BrokenPipeError, ConnectionError):
            raise
        except Exception as exc:  # a result that cannot be pickled
            conn.send(AnalysisError(f"its result could not be passed back ({type(exc).__name__})"))
        conn.close()


def _child(agent: Agent, ctx: AgentContext, conn: Connection, own_recv: Connection, run_agent: RunAgent,
           inbox: Connection | None = None, inbox_send: Connection | None = None) -> None:
    own_recv.close()  # else this child keeps its own pipe readable and blocks forever if the parent dies
    if inbox is not None and inbox_send is not None:
        inbox_send.close()  # likewise: EOF, not a hang, when the parent is gone
        ctx.late_metrics_date = _late_value(inbox)
    with _quiet_exit():
        def progress(_agent: str, message: str) -> None:
            try:
                conn.send(("progress", message))
            except (BrokenPipeError, ConnectionError):  # the parent is gone: nobody to report to
                os._exit(1)

        ctx.progress = progress
        t0 = time.perf_counter()
        report = run_agent(agent, ctx)
        seconds = time.perf_counter() - t0
        try:
            conn.send(("done", report, ctx.engine_outputs.get(agent.name), seconds))
        except (BrokenPipeError, ConnectionError):
            raise
        except Exception as exc:  # an engine output that cannot be pickled: keep the report, name the loss
            report.degraded = True
            report.degraded_reason = f"its detailed output could not be passed back ({type(exc).__name__})"
            report.gaps.append(Gap(what=f"{agent.name} agent", why=report.degraded_reason,
                                   would_settle="run with SREWB_AGENT_PROCESSES=false and report this input"))
            conn.send(("done", report, None, seconds))
        conn.close()


def _late_value(inbox: Connection) -> Callable[[], Any]:
    """A function returning the value the parent sends through ``inbox`` (None if it never does)."""
    box: list[Any] = []
    lock = threading.Lock()

    def get() -> Any:
        with lock:
            if not box:
                try:
                    box.append(inbox.recv())
                except (EOFError, ConnectionError):
                    box.append(None)
                inbox.close()
            return box[0]

    return get


@contextmanager
def _quiet_exit() -> Iterator[None]:
    """End a child without a traceback when there is nobody to tell: Ctrl-C reaches the whole process
    group (the parent reports it, once), and a closed pipe means the parent is gone."""
    try:
        yield
    except KeyboardInterrupt:
        os._exit(130)
    except (BrokenPipeError, ConnectionError, EOFError):
        os._exit(1)


def _lost(agent: Agent, exitcode: int | None) -> AgentReport:
    why = f"its worker process ended unexpectedly (exit code {exitcode})"
    return AgentReport(agent=agent.name, degraded=True, degraded_reason=why,
                       gaps=[Gap(what=f"{agent.name} agent", why=why,
                                 would_settle="run the analysis again; if it repeats, upload less or check memory")])
