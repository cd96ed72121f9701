"""Fleet-wide metric outlier: which service's own metrics change most in the incident window.

With per-pod metrics for many services (microservice fleets), single-series anomaly flags are noisy:
every pod spikes somewhere in a quarter of an hour. This module scores each service by how much more
abnormal its series become inside the incident window than they were before it (relative to its own
history: window change minus the largest pre-window change of the same series), then standardises
each metric across the peers (median/MAD), so a shift that every service shares (a common-mode
symptom) counts little and a service that alone departs from its past stands out.

Only used when metrics cover at least ``MIN_FLEET`` services; the window comes from the logs (which
usually start at the incident) or, without logs, from where one service stands out most (``metric_window``).
Client-side latency (what a service waits for on its own calls) is inherited from its callees and left out;
request-volume series (bytes, syscalls, ops) follow the callers' traffic and are weighted down.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from .observe import _dt, _get
from .observe_series import _metric_service

MIN_FLEET = 8
#: the top service must beat the runner-up by this factor to count as an outlier
OUTLIER_RATIO = 1.25
_Z_CAP = 10.0
#: latency a service measures on its own outgoing calls is inherited from its callees: not its own abnormality
_INHERITED = re.compile(r"client.*(latency|duration|time)|(latency|duration|time).*client|outbound|upstream_rq_time",
                        re.I)
#: request-volume series (bytes, syscalls, ops) follow the traffic that callers send: weighted down
_TRAFFIC = re.compile(r"network|bytes|syscall|workload|\bops\b|requests?_total|throughput", re.I)
_TRAFFIC_WEIGHT = 0.25


def incident_window(logs: list[Any], anchor: datetime | None) -> tuple[datetime, datetime] | None:
    """(start, end) of the incident window: the logs' span, else 5 minutes from the anchor."""
    starts = [_dt(_get(la, "start")) for la in logs]
    ends = [_dt(_get(la, "end")) for la in logs]
    starts = [s for s in starts if s is not None]
    ends = [e for e in ends if e is not None]
    if starts and ends:
        return min(starts), max(ends)
    if anchor is not None:
        return anchor, anchor + timedelta(minutes=5)
    return None


def metric_window(metrics: list[Any], span_min: int = 3, history_min: int = 4) -> tuple[datetime, datetime] | None:
    """Without logs: the ``span_min``-minute window (after ``history_min`` minutes of history) in which one
    service stands out most from its peers (top score / runner-up), i.e. where the abnormality concentrates."""
    starts = [_dt(_get(s, "start")) for ma in metrics for s in _get(ma, "series", None) or []]
    ends = [_dt(_get(s, "end")) for ma in metrics for s in _get(ma, "series", None) or []]
    starts, ends = [t for t in starts if t], [t for t in ends if t]
    if not starts or not ends:
        return None
    t, last = min(starts) + timedelta(minutes=history_min), max(ends) - timedelta(minutes=1)
    best: tuple[float, datetime] | None = None
    while t <= last:
        ranked = fleet_scores(metrics, (t, t + timedelta(minutes=span_min)))
        if len(ranked) >= 2 and ranked[0][1] > 0:
            ratio = ranked[0][1] / max(ranked[1][1], 1e-9)
            if best is None or ratio > best[0]:
                best = (ratio, t)
        t += timedelta(minutes=1)
    return (best[1], best[1] + timedelta(minutes=span_min)) if best else None


def fleet_scores(metrics: list[Any], window: tuple[datetime, datetime] | None) -> list[tuple[str, float]]:
    """Services ranked by window abnormality relative to own history and peers (empty when not a fleet)."""
    if window is None:
        return []
    lo, hi = window[0] - timedelta(seconds=90), window[1] + timedelta(seconds=60)
    per: dict[str, dict[str, float]] = defaultdict(dict)
    for ma in metrics:
        ma_name = str(_get(ma, "name", "") or "")
        for s in _get(ma, "series", None) or []:
            svc = _metric_service(s, ma_name, [])
            metric = str(_get(s, "name", "")).split("{")[0]
            if not svc or metric.lower().startswith("node") or _INHERITED.search(metric):
                continue  # node-level series are shared by co-located pods
            pre, win = 0.0, 0.0
            for a in _get(s, "anomalies", None) or []:
                t = _dt(_get(a, "start"))
                if t is None:
                    continue
                size = math.log1p(abs(float(_get(a, "magnitude", 0) or 0)))
                if t < lo:
                    pre = max(pre, size)
                elif t <= hi:
                    win = max(win, size * float(_get(a, "peak_score", 0) or 0))
            per[metric][svc] = max(per[metric].get(svc, 0.0), max(0.0, win - pre))
    services = {svc for d in per.values() for svc in d}
    if len(services) < MIN_FLEET:
        return []
    total: dict[str, float] = defaultdict(float)
    for metric in sorted(per):
        d = per[metric]
        v = np.array([d[k] for k in sorted(d)])
        med = float(np.median(v))
        mad = float(np.median(np.abs(v - med)))
        for svc, x in d.items():
            w = _TRAFFIC_WEIGHT if _TRAFFIC.search(metric) else 1.0
            total[svc] += w * max(0.0, min((x - med) / (1.4826 * mad + 0.1), _Z_CAP))
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))


def window_onset(metrics: list[Any], window: tuple[datetime, datetime] | None, service: str) -> datetime | None:
    """Earliest in-window anomaly start of a service's series that became more abnormal than before."""
    if window is None:
        return None
    lo, hi = window[0] - timedelta(seconds=90), window[1] + timedelta(seconds=60)
    best: datetime | None = None
    for ma in metrics:
        ma_name = str(_get(ma, "name", "") or "")
        for s in _get(ma, "series", None) or []:
            if _metric_service(s, ma_name, []) != service:
                continue
            pre = max([math.log1p(abs(float(_get(a, "magnitude", 0) or 0))) for a in _get(s, "anomalies", None) or []
                       if (_dt(_get(a, "start")) or hi) < lo], default=0.0)
            for a in _get(s, "anomalies", None) or []:
                t = _dt(_get(a, "start"))
                if t is not None and lo <= t <= hi and math.log1p(abs(float(_get(a, "magnitude", 0) or 0))) > pre:
                    best = t if best is None or t < best else best
    return best


def fleet_outlier(ranked: list[tuple[str, float]]) -> str | None:
    """The service that clearly stands out, or None."""
    if len(ranked) < 2 or ranked[0][1] <= 0:
        return None
    return ranked[0][0] if ranked[0][1] >= OUTLIER_RATIO * max(ranked[1][1], 1e-9) else None
