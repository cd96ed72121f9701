"""Findings from mined templates: error clusters, first error, new templates, rate changes, top entities.

Pure functions over the accumulated statistics; deterministic ordering (score, then time, then id).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

import numpy as np

from analysis.engines.logs.models import TemplateStat
from analysis.engines.logs.stats import ErrorCluster, Occurrence, TemplateAcc, minute_dt
from analysis.models import EvidenceRef, Finding

BASELINE_SHARE = 0.4
MAX_PER_KIND = 15


def _fid(artifact_id: str, kind: str, key: str) -> str:
    return "F" + hashlib.sha1(f"{artifact_id}|{kind}|{key}".encode()).hexdigest()[:12]


def _evidence(artifact_id: str, name: str, occ: Occurrence | None, excerpt: str | None = None,
              line: int | None = None) -> list[EvidenceRef]:
    if occ is None and line is None:
        return []
    ls = line if line is not None else occ.line_start  # type: ignore[union-attr]
    le = ls if line is not None else occ.line_end  # type: ignore[union-attr]
    text = excerpt if excerpt is not None else (occ.excerpt if occ else "")
    return [EvidenceRef(kind="log_lines", artifact_id=artifact_id, artifact_name=name, line_start=ls,
                        line_end=le, excerpt=text[:500])]


def _sev_for_level(level: str | None, default: str = "low") -> str:
    return {"FATAL": "critical", "ERROR": "high", "WARN": "medium"}.get(level or "", default)


def _top_service(counter) -> str | None:
    if not counter:
        return None
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def error_cluster_findings(clusters: list[ErrorCluster], artifact_id: str, name: str,
                           templates: dict[str, str], total_errors: int) -> list[Finding]:
    out = []
    for c in clusters:
        what = c.exception or templates.get(next(iter(sorted(c.template_ids, key=lambda t: -c.template_ids[t])), ""), "")
        frames = f" at {c.frames[0]}" if c.frames else ""
        title = f"{c.count}× {what[:140]}{frames}"
        share = c.count / max(total_errors, 1)
        score = min(1.0, 0.45 + 0.15 * math.log10(c.count + 1) + 0.2 * share
                    + (0.1 if c.level == "FATAL" else 0.0))
        tids = sorted(c.template_ids, key=lambda t: (-c.template_ids[t], t))
        detail = f"{c.count} error records" + (f", exception {c.exception}" if c.exception else "") + \
            (f", top frames: {', '.join(c.frames)}" if c.frames else "")
        out.append(Finding(
            id=_fid(artifact_id, "error_cluster", c.key), agent="log", kind="error_cluster", title=title,
            detail=detail, severity=_sev_for_level(c.level, "high"), service=_top_service(c.services),
            start=c.first.time if c.first else None, end=c.last_seen,
            evidence=_evidence(artifact_id, name, c.first), score=round(score, 4),
            attributes={"template_id": tids[0] if tids else None, "template_ids": tids[:5], "count": c.count,
                        "first_seen": c.first.time.isoformat() if c.first and c.first.time else None,
                        "exception": c.exception, "frames": c.frames,
                        "template": templates.get(tids[0], "") if tids else ""}))
    out.sort(key=lambda f: (-f.score, f.start.isoformat() if f.start else "", f.id))
    return out[:MAX_PER_KIND]


def first_error_finding(occ: Occurrence | None, level: str | None, service: str | None, template_id: str | None,
                        artifact_id: str, name: str) -> list[Finding]:
    if occ is None:
        return []
    when = occ.time.isoformat() if occ.time else f"line {occ.line_start}"
    return [Finding(id=_fid(artifact_id, "first_error", str(occ.line_start)), agent="log", kind="first_error",
                    title=f"First error at {when}: {occ.excerpt[:120]}", severity=_sev_for_level(level, "high"),
                    service=service, start=occ.time, end=occ.time, score=0.6,
                    evidence=_evidence(artifact_id, name, occ),
                    attributes={"template_id": template_id, "line": occ.line_start})]


def new_template_findings(stats: list[TemplateStat], accs: dict[str, TemplateAcc], start: datetime | None,
                          end: datetime | None, artifact_id: str, name: str) -> list[Finding]:
    if start is None or end is None or end <= start:
        return []
    cut = start + (end - start) * BASELINE_SHARE
    out = []
    for t in stats:
        if t.first_seen is None or t.first_seen <= cut:
            continue
        acc = accs[t.id]
        sev_rank = {"FATAL": 0.3, "ERROR": 0.25, "WARN": 0.12}.get(t.level or "", 0.0)
        score = min(1.0, 0.3 + sev_rank + 0.1 * math.log10(t.count + 1))
        out.append(Finding(
            id=_fid(artifact_id, "new_template", t.id), agent="log", kind="new_template",
            title=f"New after {cut.strftime('%H:%M')} UTC: {t.template[:140]} ({t.count}×)",
            detail=f"Template {t.id} first seen {t.first_seen.isoformat()}, absent from the baseline window "
                   f"({start.isoformat()} – {cut.isoformat()}).",
            severity=_sev_for_level(t.level, "low"), service=_top_service(t.services), start=t.first_seen,
            end=t.last_seen, evidence=_evidence(artifact_id, name, acc.first), score=round(score, 4),
            attributes={"template_id": t.id, "count": t.count, "first_seen": t.first_seen.isoformat(),
                        "baseline_end": cut.isoformat(), "level": t.level, "template": t.template}))
    out.sort(key=lambda f: (-f.score, f.start.isoformat() if f.start else "", f.id))
    return out[:MAX_PER_KIND]


def rate_change_findings(stats: list[TemplateStat], accs: dict[str, TemplateAcc], start: datetime | None,
                         end: datetime | None, artifact_id: str, name: str) -> list[Finding]:
    if start is None or end is None:
        return []
    m0 = int(start.timestamp()) // 60
    m1 = int(end.timestamp()) // 60
    n = m1 - m0 + 1
    if n < 8 or n > 200_000:
        return []
    out = []
    for t in stats:
        acc = accs[t.id]
        if t.count < 12 or len(acc.per_minute) < 2:
            continue
        series = np.zeros(n, dtype=np.float64)
        for mk, c in acc.per_minute.items():
            if m0 <= mk <= m1:
                series[mk - m0] += c
        cum = np.cumsum(series)
        total = cum[-1]
        seg = max(5, n // 10)
        k = np.arange(seg, n - seg + 1)
        if len(k) == 0:
            continue
        before = cum[k - 1] / k
        after = (total - cum[k - 1]) / (n - k)
        expected = before * (n - k)
        observed = total - cum[k - 1]
        z = (observed - expected) / np.sqrt(expected + 1.0)
        zb = np.abs(z)
        i = int(np.argmax(zb))
        rb, ra = float(before[i]), float(after[i])
        ratio = (ra + 0.05) / (rb + 0.05)
        if zb[i] < 4.0 or 1 / 1.8 < ratio < 1.8 or max(float(before[i]), float(after[i])) < 0.5:
            continue
        if rb == 0:  # appears from nothing: reported as a new template instead
            continue
        split = m0 + int(k[i])
        direction = "up" if ra > rb else "down"
        line = None
        for mk in sorted(acc.minute_line):
            if mk >= split:
                line = acc.minute_line[mk]
                break
        if line is None:
            line = acc.minute_line[max(acc.minute_line)] if acc.minute_line else t.first_line
        when = minute_dt(split)
        score = min(1.0, 0.3 + 0.1 * math.log10(zb[i]) + 0.15 * min(abs(math.log10(ratio)), 2)
                    + (0.15 if t.is_error and direction == "up" else 0.0))
        out.append(Finding(
            id=_fid(artifact_id, "rate_change", t.id), agent="log", kind="rate_change",
            title=f"{'Burst' if direction == 'up' else 'Drop'} at {when.strftime('%H:%M')} UTC: "
                  f"{t.template[:120]} ({rb:.1f}/min -> {ra:.1f}/min)",
            detail=f"Template {t.id} rate changed {direction} at {when.isoformat()} "
                   f"from {rb:.2f} to {ra:.2f} per minute (z={zb[i]:.1f}).",
            severity=_sev_for_level(t.level, "low") if direction == "up" else "medium",
            service=_top_service(t.services), start=when, end=t.last_seen,
            evidence=_evidence(artifact_id, name, None, excerpt=f"first line at the new rate: {t.template}",
                               line=line),
            score=round(score, 4),
            attributes={"template_id": t.id, "direction": direction, "before_per_min": round(rb, 3),
                        "after_per_min": round(ra, 3), "change_at": when.isoformat(), "z": round(float(zb[i]), 2),
                        "template": t.template}))
    out.sort(key=lambda f: (-f.score, f.start.isoformat() if f.start else "", f.id))
    return out[:MAX_PER_KIND]


def top_entities_finding(entities: dict[str, list[tuple[str, int]]], artifact_id: str, name: str,
                         first_line: int, first_excerpt: str, start: datetime | None,
                         end: datetime | None) -> list[Finding]:
    parts = []
    for kind in ("services", "hosts", "endpoints", "status_codes", "users", "exceptions"):
        vals = entities.get(kind)
        if vals:
            parts.append(f"{kind}: " + ", ".join(f"{v} ({c})" for v, c in vals[:3]))
    if not parts:
        return []
    return [Finding(id=_fid(artifact_id, "top_entities", "all"), agent="log", kind="top_entities",
                    title="Top entities — " + "; ".join(parts)[:300], detail="; ".join(parts),
                    severity="info", start=start, end=end, score=0.2,
                    evidence=_evidence(artifact_id, name, None, excerpt=first_excerpt, line=first_line),
                    attributes={"entities": {k: [list(x) for x in v] for k, v in entities.items()}})]
