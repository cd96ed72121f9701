"""Cross-check: does a screenshot panel agree with a metric CSV series of the same quantity?

Panels are matched to metric series by name tokens (``CPUUtilization (Percent)`` ~
``cpu_utilization``), then their anomalies are compared by direction and start time. Works on
any objects shaped like :class:`analysis.engines.metrics.MetricAnalysis` (duck-typed).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Sequence

from analysis.models import EvidenceRef, Finding

from .models import PanelReading, ScreenshotReading

_STOP = {"by", "per", "the", "of", "and", "vs", "total", "count", "sum", "avg", "value", "seconds", "percent", "s"}
_ALIASES = {"utilisation": "utilization", "util": "utilization", "latency": "latency", "lat": "latency",
            "errors": "error", "err": "error", "requests": "request", "req": "request", "rps": "request",
            "conns": "connection", "connections": "connection", "mem": "memory", "queries": "query",
            "restarts": "restart", "replicas": "replica"}


def _g(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def name_tokens(text: str) -> set[str]:
    """Lower-case word tokens of a metric or panel name, camelCase and snake_case split."""
    text = re.sub(r"\([^)]*\)", " ", text)  # drop "(Percent)" style unit suffixes
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    toks = {t for t in re.split(r"[^a-z0-9]+", text.lower()) if t}
    return {_ALIASES.get(t, t) for t in toks if t not in _STOP}


def match_score(panel_title: str, series_name: str) -> float:
    """Jaccard overlap of name tokens (0..1)."""
    a, b = name_tokens(panel_title), name_tokens(series_name)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _moves(items: Sequence[Any]) -> list[tuple[str, datetime | None]]:
    out = []
    for it in items:
        d = _g(it, "direction")
        t = _g(it, "start", None) or _g(it, "time", None)
        if d in ("up", "down"):
            out.append((d, t))
    return out


def cross_check(reading: ScreenshotReading, metrics: Sequence[Any], *, min_match: float = 0.5,
                tolerance: timedelta = timedelta(minutes=10)) -> list[Finding]:
    """One finding per panel that matches a metric series: agrees, disagrees, or cannot tell."""
    out: list[Finding] = []
    for k, p in enumerate(reading.panels):
        if not p.title:
            continue
        best: tuple[float, Any, Any] | None = None
        for ma in metrics:
            for s in _g(ma, "series", None) or []:
                sc = match_score(p.title, str(_g(s, "name", "")))
                if sc >= min_match and (best is None or sc > best[0]):
                    best = (sc, ma, s)
        if best is None:
            continue
        sc, ma, s = best
        verdict, why = _compare(p, s, tolerance)
        sname = str(_g(s, "name", ""))
        out.append(Finding(
            id=f"vision:{reading.artifact_id}:p{k}:xcheck", agent="vision", kind="screenshot_crosscheck",
            title=f"Screenshot panel '{p.title}' {verdict} metric {sname}",
            detail=why, severity="info" if verdict == "agrees with" else "low", score=round(sc, 3),
            evidence=[EvidenceRef(kind="image_region", artifact_id=reading.artifact_id, artifact_name=reading.name,
                                  bbox=p.bbox, excerpt=p.title),
                      EvidenceRef(kind="metric_window", artifact_id=str(_g(ma, "artifact_id", "")),
                                  artifact_name=str(_g(ma, "name", "")), series=sname,
                                  start=_g(s, "start", None), end=_g(s, "end", None), excerpt=sname)],
            attributes={"panel": p.title, "series": sname, "match": round(sc, 3),
                        "verdict": verdict.replace(" with", "").replace(" tell", "")}))
    return out


def _compare(p: PanelReading, s: Any, tol: timedelta) -> tuple[str, str]:
    shot = _moves(p.anomalies)
    csv = _moves(list(_g(s, "anomalies", None) or []) + list(_g(s, "change_points", None) or []))
    if not shot and not csv:
        return "agrees with", "neither the panel nor the metric series shows an anomaly"
    if shot and not csv:
        return "disagrees with", f"the panel moves {shot[0][0]} but the metric series shows no anomaly"
    if csv and not shot:
        return "disagrees with", f"the metric series moves {csv[0][0]} but the panel looks normal"
    for d, t in shot:
        for d2, t2 in csv:
            if d != d2:
                continue
            if t is None or t2 is None:
                return "agrees with", f"both move {d} (the screenshot's time axis could not be placed)"
            if abs(t - t2) <= tol:
                return "agrees with", f"both move {d} within {int(abs(t - t2).total_seconds() // 60)} min ({t:%H:%M} UTC)"
    return "disagrees with", (f"the panel moves {shot[0][0]}"
                              f"{' at ' + format(shot[0][1], '%H:%M') if shot[0][1] else ''} but the metric series "
                              f"moves {csv[0][0]}{' at ' + format(csv[0][1], '%H:%M') if csv[0][1] else ''}")
