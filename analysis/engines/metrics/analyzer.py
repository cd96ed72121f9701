"""``analyze_metrics``: run the detector on every series of a table and reason across series.

Produces per-series summaries, evidence-carrying findings, the order in which series moved
(onset order) and groups of series whose onsets coincide.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from analysis.engines.metrics.detection import detect_series, infer_step_seconds
from analysis.engines.metrics.models import Anomaly, MetricAnalysis, MetricTable, SeriesSummary
from analysis.engines.metrics.naming import service_of
from analysis.engines.metrics.signals import signals_for
from analysis.models import EvidenceRef, Finding, FindingSeverity

#: An anomaly must reach this score to count for a series' onset and to become a finding.
SIGNIFICANT_SCORE = 0.5
#: Findings kept per series (strongest first) and per artifact.
MAX_FINDINGS_PER_SERIES = 3
MAX_FINDINGS = 60


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _severity(a: Anomaly) -> FindingSeverity:
    mag = abs(a.magnitude)
    if a.peak_score >= 0.95 and mag >= 1.0:
        return "high"
    if a.peak_score >= 0.8 and mag >= 0.2:
        return "medium"
    return "low"


def _finding_id(artifact_id: str, series: str, a: Anomaly) -> str:
    key = f"{artifact_id}|{series}|{a.start.isoformat()}|{a.kind}|{a.direction}"
    return "met-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def _finding(artifact_id: str, name: str, s: SeriesSummary, a: Anomaly) -> Finding:
    kind = "change_point" if a.kind in ("level_shift", "trend_change") else "metric_anomaly"
    what = a.kind.replace("_", " ")
    unit = f" {s.unit}" if s.unit and s.unit not in ("count",) else ""
    if a.kind == "trend_change":
        title = (f"{s.name}: trend change {a.direction} at {a.start.strftime('%H:%M')} UTC, {_fmt(a.peak)}{unit} "
                 f"where the earlier trend led to {_fmt(a.baseline)}")
    else:
        title = (f"{s.name}: {what} {a.direction} from {_fmt(a.baseline)} to {_fmt(a.peak)}{unit} "
                 f"at {a.start.strftime('%H:%M')} UTC")
    mag = f"{a.magnitude:+.0%}" if abs(a.baseline) > 1e-9 else f"{a.magnitude:+.4g} absolute"
    detail = (f"{what.capitalize()} {a.direction} ({mag}) between {a.start.isoformat()} and {a.end.isoformat()}; "
              f"detector score {a.peak_score:.2f}.")
    return Finding(
        id=_finding_id(artifact_id, s.name, a), agent="metrics", kind=kind, title=title, detail=detail,
        severity=_severity(a), service=s.service, start=a.start, end=a.end,
        evidence=[EvidenceRef(kind="metric_window", artifact_id=artifact_id, artifact_name=name, series=s.name,
                              start=a.start, end=a.end, excerpt=f"{_fmt(a.baseline)}→{_fmt(a.peak)}")],
        signals=signals_for(s.name, a.direction), score=round(float(a.peak_score), 4),
        attributes={"direction": a.direction, "magnitude": a.magnitude, "series": s.name, "anomaly_kind": a.kind,
                    "baseline": a.baseline, "peak": a.peak, "unit": s.unit, "labels": s.labels},
    )


def summarize_series(name: str, ts: np.ndarray, values: np.ndarray, *, unit: str = "",
                     labels: dict[str, str] | None = None) -> SeriesSummary:
    """Run ``detect_series`` on one series and summarise it (onset = earliest significant deviation)."""
    labels = labels or {}
    anomalies, changes = detect_series(ts, values)
    idx = pd.DatetimeIndex(pd.to_datetime(ts, utc=True))
    onset = episode_onset(anomalies, step=timedelta(seconds=infer_step_seconds(idx.asi8)))
    return SeriesSummary(
        name=name, unit=unit, labels=labels, service=service_of(name, labels), n=int(len(values)),
        start=idx.min().to_pydatetime() if len(idx) else None, end=idx.max().to_pydatetime() if len(idx) else None,
        anomalies=anomalies, change_points=changes, onset=onset,
        score_max=max((a.peak_score for a in anomalies), default=0.0))


def episode_onset(anomalies: list[Anomaly], *, step: timedelta) -> datetime | None:
    """Start of the main episode: the strongest significant anomaly (earliest among near-ties; lasting
    changes preferred over spikes),
    extended back through significant anomalies that run into it without a gap of more than 5 steps.

    Isolated earlier blips (a lone latency spike an hour before) do not become the onset.
    """
    sig = sorted((a for a in anomalies if a.peak_score >= SIGNIFICANT_SCORE), key=lambda a: a.start)
    if not sig:
        return None
    def rank(a: Anomaly) -> float:  # lasting changes outrank transient spikes of similar strength
        return a.peak_score + (0.1 if a.kind in ("level_shift", "trend_change") else 0.0)

    top = max(rank(a) for a in sig)
    main = next(a for a in sig if rank(a) >= top - 0.02)
    onset = main.start
    gap = 5 * step
    for a in reversed([a for a in sig if a.start < main.start]):
        if a.end + gap >= onset:
            onset = min(onset, a.start)
    return onset


def _groups(onsets: list[tuple[str, datetime]], tolerance: timedelta) -> list[list[str]]:
    """Series whose onsets lie within ``tolerance`` of the previous one in time order (2+ members)."""
    groups: list[list[str]] = []
    cur: list[str] = []
    last: datetime | None = None
    for series, t in onsets:
        if last is not None and t - last <= tolerance:
            cur.append(series)
        else:
            if len(cur) >= 2:
                groups.append(sorted(cur))
            cur = [series]
        last = t
    if len(cur) >= 2:
        groups.append(sorted(cur))
    return groups


def analyze_metrics(table: MetricTable, *, artifact_id: str, name: str) -> MetricAnalysis:
    """Detect anomalies and change points in every series; order onsets and group co-moving series."""
    frame = table.frame
    summaries: list[SeriesSummary] = []
    steps: list[float] = []
    for series, g in frame.groupby("series", sort=True, observed=True):
        sname = str(series)
        ts = pd.DatetimeIndex(g["timestamp"]).asi8.view("datetime64[ns]")
        vals = g["value"].to_numpy(dtype=float)
        if len(vals) > 1:
            steps.append(infer_step_seconds(ts.view("int64")))
        summaries.append(summarize_series(sname, ts, vals, unit=table.units.get(sname, ""),
                                          labels=table.labels.get(sname, {})))
    findings: list[Finding] = []
    for s in summaries:
        strongest = sorted((a for a in s.anomalies if a.peak_score >= SIGNIFICANT_SCORE),
                           key=lambda a: (-a.peak_score, a.start))[:MAX_FINDINGS_PER_SERIES]
        findings.extend(_finding(artifact_id, name, s, a) for a in strongest)
    findings.sort(key=lambda f: (-f.score, f.start or datetime.min, f.id))
    findings = sorted(findings[:MAX_FINDINGS], key=lambda f: (f.start, -f.score, f.id))
    onset_order = sorted(((s.name, s.onset) for s in summaries if s.onset is not None), key=lambda x: (x[1], x[0]))
    step = float(np.median(steps)) if steps else 60.0
    tolerance = timedelta(seconds=max(2 * step, 120.0))
    notes = list(table.notes)
    moved = sum(1 for s in summaries if s.onset is not None)
    notes.append(f"{moved} of {len(summaries)} series deviated significantly")
    return MetricAnalysis(artifact_id=artifact_id, name=name, layout=table.layout, series=summaries,
                          findings=findings, onset_order=onset_order, groups=_groups(onset_order, tolerance),
                          notes=notes)
