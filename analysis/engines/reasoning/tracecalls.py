"""Culprit from the call graph in the logs' trace ids: tell the failing callee from its callers.

The log engine's :class:`~analysis.engines.logs.models.TraceGraph` lists, per file, every inferred span (a
service's share of one trace) with its operation (template of its first record) and its outgoing calls.
Spans of all files are pooled and two *edge-local* signals are looked for, each as a change point in time
(no incident window or injection time is needed; the split that best separates before from after is used):

- **slow calls into B**: the time spent on the boundary of calls into B (caller's last record -> B's first
  record, plus B's last record -> caller's next) jumps: the split of B's calls (in time order) with the least
  absolute deviation of ``ln(ms + 20)`` from each side's median, kept when the median rises by
  ``ln((a + 20 ms) / (b + 20 ms)) >= SLOW_MIN`` and at least 50 ms. Measured at B's edge, so callers that merely wait on B do not
  inherit it: network delay or a saturated B.
- **calls to B dropped**: an operation of caller A (its spans sharing a first template) that called B in
  nearly every span before the change (>= 80 %) calls it (almost) never after (G-test of the two proportions;
  G adds up over A's operations, >= ``DROP_MIN``). A callee reached only on some branches (a share that
  moves with the request mix) does not qualify. When several callees of the operation drop together, the
  one called first is blamed (the rest are skipped because of it). Traces that turn to errors after the change confirm the callers suffer. An exception at
  the start of B's handler leaves exactly this: B logs nothing for that call, the caller moves on.

Deepest abnormal callee: a dropped-call culprit B that itself drops calls to C (C also qualifies with at
least half B's strength) yields to C. Spans of traces still running at the end of a file are left out.

Ranking (:func:`trace_rerank`): a hypothesis led by a clear trace signal (strength >= ``LEAD_STRENGTH``) on its
culprit goes above hypotheses that rest on metrics alone; in a large fleet, per-pod metric anomalies are
noisy and a change at one service's call boundary is the more specific evidence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from analysis.models import EvidenceRef, ServiceEdge

from .entities import canonical
from .models import Observation
from .observe import _get

SLOW_FLOOR_MS = 20.0
SLOW_MIN = 1.2          # ln ratio of medians (~3.3x)
SLOW_MIN_DELTA_MS = 50.0
DROP_MIN = 20.0         # G statistic, summed over the caller's operations
DROP_GROUP_MIN = 8.0    # G of one operation to count
DROP_BEFORE = 0.8       # the operation called the callee in >= 80 % of its spans before the change
DROP_AFTER = 0.2        # ... and in <= 20 % of that share after it
MIN_SIDE_SLOW = 3
MIN_SIDE_DROP = 5
MAX_SPLITS = 200
LEAD_STRENGTH = 0.6


class TraceSignal(BaseModel):
    """One change at a callee's boundary found in the trace graph."""

    kind: Literal["slow_calls", "dropped_calls"]
    callee: str
    callers: list[str] = Field(default_factory=list)
    op: str = Field(default="", description="dropped calls: the caller operation (template id)")
    at: datetime
    end: datetime
    score: float = Field(description="slow: ln ratio of medians; dropped: G statistic")
    strength: float = Field(ge=0.0, le=1.0)
    before: float = Field(description="slow: median ms before; dropped: share of spans calling before")
    after: float
    n_before: int = 0
    n_after: int = 0
    errors_before: float = Field(default=0.0, description="dropped: share of the operation's traces with errors")
    errors_after: float = 0.0
    artifact_id: str = ""
    artifact_name: str = ""
    note: str = ""


@dataclass
class _Span:
    trace: str
    service: str
    op: str
    t: float
    tail: bool
    errors: int
    callees: list[str]
    offsets: list[float]
    in_ms: list[float]
    ret_ms: list[float | None]
    art: tuple[str, str]


def pooled_spans(logs: list[Any]) -> list[_Span]:
    """Every span of every log's trace graph, service names canonical, in time order."""
    out: list[_Span] = []
    for la in logs:
        g = _get(la, "trace_graph")
        if g is None:
            continue
        art = (str(_get(la, "artifact_id", "") or ""), str(_get(la, "name", "") or ""))
        for s in _get(g, "spans", None) or []:
            start = _get(s, "start")
            if start is None:
                continue
            out.append(_Span(trace=str(_get(s, "trace")), service=canonical(str(_get(s, "service"))), op=str(_get(s, "op", "")),
                             t=start.timestamp(), tail=bool(_get(s, "tail", False)), errors=int(_get(s, "errors", 0) or 0),
                             callees=[canonical(c) for c in _get(s, "callees", None) or []],
                             offsets=list(_get(s, "call_offsets_ms", None) or []), in_ms=list(_get(s, "in_ms", None) or []),
                             ret_ms=list(_get(s, "return_ms", None) or []), art=art))
    out.sort(key=lambda s: (s.t, s.service))
    return out


def _splits(n: int, m: int) -> range | np.ndarray:
    if n - 2 * m + 1 <= MAX_SPLITS:
        return range(m, n - m + 1)
    return np.unique(np.linspace(m, n - m, MAX_SPLITS).astype(int))


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def slow_calls(spans: list[_Span]) -> list[TraceSignal]:
    """Per callee, the change point where the time on the boundary of its calls jumps most."""
    per: dict[str, list[tuple[float, float, str, tuple[str, str]]]] = defaultdict(list)
    for s in spans:
        for callee, off, i_ms, r_ms in zip(s.callees, s.offsets, s.in_ms, s.ret_ms):
            if r_ms is not None and callee != s.service:
                per[callee].append((s.t + off / 1000.0, i_ms + r_ms, s.service, s.art))
    out: list[TraceSignal] = []
    for callee, calls in sorted(per.items()):
        calls.sort(key=lambda c: c[0])
        n = len(calls)
        if n < 2 * MIN_SIDE_SLOW:
            continue
        v = np.array([c[1] for c in calls])
        y = np.log(v + SLOW_FLOOR_MS)
        best: tuple[float, int] | None = None
        for k in _splits(n, MIN_SIDE_SLOW):  # least absolute deviation split (robust to single outliers)
            cost = float(np.abs(y[:k] - np.median(y[:k])).sum() + np.abs(y[k:] - np.median(y[k:])).sum())
            if best is None or cost < best[0] - 1e-9:
                best = (cost, int(k))
        if best is None:
            continue
        k = best[1]
        b, a = float(np.median(v[:k])), float(np.median(v[k:]))
        r = math.log((a + SLOW_FLOOR_MS) / (b + SLOW_FLOOR_MS))
        if r < SLOW_MIN or a - b < SLOW_MIN_DELTA_MS:
            continue
        after = calls[k:]
        callers = sorted({c[2] for c in after if c[1] > b + SLOW_MIN_DELTA_MS})
        out.append(TraceSignal(kind="slow_calls", callee=callee, callers=callers, at=_dt(after[0][0]), end=_dt(after[-1][0]),
                               score=round(r, 3), strength=round(min(1.0, (r - 1.0) / 1.5), 3), before=round(b, 1),
                               after=round(a, 1), n_before=k, n_after=n - k, artifact_id=after[0][3][0],
                               artifact_name=after[0][3][1],
                               note=f"calls into {callee}: median {b:.0f} ms on the call boundary before, {a:.0f} ms after "
                                    f"({n - k} of {n} calls, from {', '.join(callers) or 'its callers'})"))
    return out


def _g_test(k1: int, n1: int, k2: int, n2: int) -> float:
    def ll(k: int, n: int, q: float) -> float:
        return (k * math.log(q) if k else 0.0) + ((n - k) * math.log(1 - q) if n - k else 0.0)
    p = (k1 + k2) / (n1 + n2)
    if p <= 0 or p >= 1:
        return 0.0
    return 2 * (ll(k1, n1, k1 / n1) + ll(k2, n2, k2 / n2) - ll(k1, n1, p) - ll(k2, n2, p))


def _merge(sigs: list[TraceSignal]) -> TraceSignal:
    """One caller's drops of one callee over several of its operations: G statistics add up."""
    first = min(sigs, key=lambda x: x.at)
    nb, na = sum(x.n_before for x in sigs), sum(x.n_after for x in sigs)
    w = lambda attr, n: sum(getattr(x, attr) * getattr(x, n) for x in sigs) / max(1, sum(getattr(x, n) for x in sigs))
    g = sum(x.score for x in sigs)
    rose = any(x.errors_after > x.errors_before for x in sigs)
    m = first.model_copy(update={
        "op": ", ".join(x.op for x in sigs), "end": max(x.end for x in sigs), "score": round(g, 2), "n_before": nb, "n_after": na,
        "strength": round(min(1.0, g / 60.0) * (1.0 if rose else 0.7), 3), "before": round(w("before", "n_before"), 3),
        "after": round(w("after", "n_after"), 3), "errors_before": round(w("errors_before", "n_before"), 3),
        "errors_after": round(w("errors_after", "n_after"), 3)})
    m.note = "; ".join(x.note for x in sigs) if len(sigs) > 1 else first.note
    return m


def dropped_calls(spans: list[_Span]) -> list[TraceSignal]:
    """Per caller operation, the first callee whose calls stop at a change point; merged per caller and callee."""
    trace_err: dict[str, int] = defaultdict(int)
    for s in spans:
        trace_err[s.trace] += s.errors
    groups: dict[tuple[str, str], list[_Span]] = defaultdict(list)
    for s in spans:
        if not s.tail and s.op:
            groups[(s.service, s.op)].append(s)
    per_pair: dict[tuple[str, str], list[TraceSignal]] = defaultdict(list)
    for (caller, op), grp in sorted(groups.items()):
        n = len(grp)
        if n < 2 * MIN_SIDE_DROP:
            continue
        hits: list[tuple[float, TraceSignal]] = []
        for callee in sorted({c for s in grp for c in s.callees if c != caller}):
            x = np.array([callee in s.callees for s in grp], dtype=int)
            cs = np.cumsum(x)
            best: tuple[float, int, float, float] | None = None
            for k in _splits(n, MIN_SIDE_DROP):
                k1, k2 = int(cs[k - 1]), int(cs[-1] - cs[k - 1])
                p1, p2 = k1 / k, k2 / (n - k)
                if p1 < DROP_BEFORE or p2 > DROP_AFTER * p1:
                    continue
                g = _g_test(k1, k, k2, n - k)
                if best is None or g > best[0] + 1e-9:
                    best = (g, int(k), p1, p2)
            if best is None or best[0] < DROP_GROUP_MIN:
                continue
            g, k, p1, p2 = best
            pos = float(np.median([s.callees.index(callee) for s in grp[:k] if callee in s.callees]))
            eb = float(np.mean([trace_err[s.trace] > 0 for s in grp[:k]]))
            ea = float(np.mean([trace_err[s.trace] > 0 for s in grp[k:]]))
            hits.append((pos, TraceSignal(
                kind="dropped_calls", callee=callee, callers=[caller], op=op, at=_dt(grp[k].t), end=_dt(grp[-1].t),
                score=round(g, 2), strength=0.0, before=round(p1, 3), after=round(p2, 3), n_before=k,
                n_after=n - k, errors_before=round(eb, 3), errors_after=round(ea, 3), artifact_id=grp[k].art[0],
                artifact_name=grp[k].art[1],
                note=f"{caller} operation {op} called {callee} in {p1:.0%} of {k} spans before, {p2:.0%} of {n - k} after; "
                     f"traces with errors {eb:.0%} -> {ea:.0%}")))
        if hits:
            hits.sort(key=lambda h: (h[0], -h[1].score))
            first = hits[0][1]
            if len(hits) > 1:
                first.note += " (also dropped after it: " + ", ".join(h[1].callee for h in hits[1:]) + ")"
            per_pair[(caller, first.callee)].append(first)
    sigs = [m for m in (_merge(v) for _, v in sorted(per_pair.items())) if m.score >= DROP_MIN]
    sigs.sort(key=lambda x: (-x.strength, x.callee))
    full = {id(x): x.strength for x in sigs}
    for x in sigs:  # deepest abnormal callee: a culprit that itself lost calls to a deeper one yields
        deeper = [d for d in sigs if d is not x and x.callee in d.callers and d.callee != x.callee
                  and full[id(d)] >= 0.5 * full[id(x)]]
        if deeper:
            x.strength = round(0.5 * x.strength, 3)
            x.note += f"; yields to deeper {deeper[0].callee}"
    return sigs


def trace_signals(logs: list[Any]) -> list[TraceSignal]:
    """Both signals over the pooled trace graphs of all logs, strongest first."""
    spans = pooled_spans(logs)
    if not spans:
        return []
    sigs = slow_calls(spans) + dropped_calls(spans)
    return sorted(sigs, key=lambda s: (-s.strength, -s.score, s.callee))


def trace_observations(logs: list[Any], start_index: int = 0) -> list[Observation]:
    """One observation per signal: slow calls support network delay (or saturation) of the callee,
    dropped calls a failing dependency named as the target of its callers."""
    out: list[Observation] = []
    for i, s in enumerate(trace_signals(logs)):
        if s.strength <= 0:
            continue
        ref = EvidenceRef(kind="log_lines", artifact_id=s.artifact_id, artifact_name=s.artifact_name, start=s.at, end=s.end,
                          excerpt=s.note[:300])
        if s.kind == "slow_calls":
            service, targets, rule, weights = s.callee, [s.callee], "emitter", {"network_dns": 1.0}
            title = f"calls into {s.callee} slowed from {s.before:.0f} ms to {s.after:.0f} ms (trace ids)"
        else:
            service, targets, rule, weights = s.callers[0], [s.callee], "target", {"dependency_failure": 1.0}
            title = f"{s.callers[0]} stopped completing calls to {s.callee} (trace ids)"
        out.append(Observation(
            id=f"obs-{start_index + i:05d}", modality="log", family=f"trace_{s.kind}", role="cause", weights=weights,
            service=service, targets=targets, culprit_rule=rule, time=s.at, end=s.end, strength=s.strength, novelty="new",
            count=s.n_after, level="", title=title, text=s.note, evidence=[ref],
            attributes={"trace_signal": s.model_dump(mode="json")}))
    return out


def trace_edges(logs: list[Any]) -> list[ServiceEdge]:
    """Caller -> callee edges of the logs' trace graphs (summed over files)."""
    calls: dict[tuple[str, str], int] = defaultdict(int)
    for la in logs:
        g = _get(la, "trace_graph")
        for e in (_get(g, "edges", None) or []) if g is not None else []:
            calls[(canonical(str(_get(e, "caller"))), canonical(str(_get(e, "callee"))))] += int(_get(e, "calls", 0) or 0)
    return [ServiceEdge(caller=a, callee=b, evidence=f"trace ids: {n} calls") for (a, b), n in sorted(calls.items()) if a != b]


def trace_rerank(hyps: list[Any], cand_of: dict[int, Any]) -> None:
    """Move the best trace-led hypothesis above the metric-only ones ahead of it (slot confidences kept)."""
    def support(h: Any) -> list[tuple[Observation, float]]:
        c = cand_of.get(id(h))
        return [(o, w) for o, w in (c.support if c is not None else []) if w > 0.05]

    def lead(h: Any) -> Observation | None:
        name = canonical(h.service or "")
        best = [o for o, _ in support(h) if o.family.startswith("trace_") and o.strength >= LEAD_STRENGTH
                and name and canonical(o.attributes.get("trace_signal", {}).get("callee", "")) == name]
        return max(best, key=lambda o: o.strength, default=None)

    led = [i for i, h in enumerate(hyps) if lead(h) is not None]
    if not led or led[0] == 0:
        return
    i = led[0]
    if not all(support(h) and all(o.modality == "metric" for o, _ in support(h)) for h in hyps[:i]):
        return  # log (or other) evidence names a culprit above it
    h = hyps.pop(i)
    confs = [x.confidence for x in hyps[:i]] + [h.confidence]
    hyps.insert(0, h)
    for x, c in zip(hyps[: i + 1], sorted(confs, reverse=True)):
        x.confidence = c  # the slot's confidence: the ranking, not the evidence strength, changed
    o = lead(h)
    h.reasoning.insert(1, f"ranked above {i} metric-only hypothes{'is' if i == 1 else 'es'}: {o.title if o else ''}; "
                          "a change at one service's call boundary in the traces is more specific than fleet-wide "
                          "per-pod metric anomalies")
    for k, x in enumerate(hyps):
        x.id = f"h{k + 1}"
