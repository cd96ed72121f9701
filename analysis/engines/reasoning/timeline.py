"""The unified UTC timeline: engine findings, recognised change events and what moved first.

Change events (deploys and version changes, rollouts and replica-set scaling, config reloads and
flag flips, restarts, OOM kills, failovers, certificate and credential warnings) are recognised
from the observations' families and marked ``is_change``. Every engine finding with a time goes
on the axis too. ``first_movers`` gives, per service, the earliest time it showed a new or surging
anomaly — the raw material of "what moved first".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analysis.models import TimelineEvent, utc

from .entities import resolve
from .models import Observation

CHANGE_FAMILIES = {"version_change", "replica_scaling", "config_reload", "failover", "restart", "oom_kill", "cert_warning",
                   "replicas_up"}
_SEV = {"cause": "high", "precursor": "medium", "change": "medium", "symptom": "medium"}
MAX_EVENTS = 400


def _g(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


#: Timeline source names: the engines' names ("metrics", "vision"), whichever way an event was derived.
_SOURCE = {"metric": "metrics", "screenshot": "vision"}


def source_of(modality: str) -> str:
    """Timeline source name for an observation modality."""
    return _SOURCE.get(modality, modality)


def change_events(obs: list[Observation], services: list[str]) -> list[TimelineEvent]:
    """Timeline events for recognised changes (first occurrence per template)."""
    out: list[TimelineEvent] = []
    for o in obs:
        if o.family not in CHANGE_FAMILIES or o.time is None:
            continue
        if o.family == "restart" and o.novelty == "baseline":
            continue
        first = o.attributes.get("first_seen")
        t = utc(datetime.fromisoformat(first)) if isinstance(first, str) else o.time
        out.append(TimelineEvent(time=t or o.time, end=o.end, source=source_of(o.modality), service=resolve(o.service, services) or None,
                                 kind=o.family, title=o.title[:200], severity="medium" if o.family != "oom_kill" else "high",
                                 is_change=True))
    return out


def finding_events(findings: list[Any], source: str) -> list[TimelineEvent]:
    """Timeline events for engine findings that carry a start time."""
    out: list[TimelineEvent] = []
    for f in findings:
        start = _g(f, "start")
        if start is None:
            continue
        kind = str(_g(f, "kind", "finding"))
        out.append(TimelineEvent(time=start, end=_g(f, "end"), source=source, service=_g(f, "service"), kind=kind,
                                 title=str(_g(f, "title", ""))[:200], severity=_g(f, "severity", "info") or "info",
                                 finding_id=_g(f, "id"), is_change=kind in ("change_event",) or bool(
                                     set(_g(f, "signals", []) or []) & CHANGE_FAMILIES)))
    return out


def observation_events(obs: list[Observation], services: list[str]) -> list[TimelineEvent]:
    """Anomalies (new or surging evidence) as timeline points."""
    out: list[TimelineEvent] = []
    for o in obs:
        if o.time is None or o.novelty == "baseline" or o.family in CHANGE_FAMILIES or o.strength < 0.2:
            continue
        out.append(TimelineEvent(time=o.time, end=o.end, source=source_of(o.modality), service=resolve(o.service, services) or None,
                                 kind=o.family, title=o.title[:200], severity=_SEV.get(o.role, "info"),  # type: ignore[arg-type]
                                 is_change=False))
    return out


def merge(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Sorted, de-duplicated, bounded timeline (changes always kept)."""
    seen: set[tuple] = set()
    uniq: list[TimelineEvent] = []
    for e in sorted(events, key=lambda e: (e.time, not e.is_change, e.kind, e.title)):
        k = (e.time, e.kind, e.title, e.service)
        if k in seen:
            continue
        seen.add(k)
        uniq.append(e)
    if len(uniq) > MAX_EVENTS:
        changes = [e for e in uniq if e.is_change or e.finding_id]
        rest = [e for e in uniq if not (e.is_change or e.finding_id)]
        uniq = sorted(changes + rest[: max(0, MAX_EVENTS - len(changes))], key=lambda e: (e.time, e.kind, e.title))
    return uniq


def first_movers(obs: list[Observation], services: list[str], namer=None) -> dict[str, datetime]:  # type: ignore[no-untyped-def]
    """Per service, the earliest new/surging anomaly (cause, precursor or symptom).

    Ordered by the minute it moved, then by how much new evidence it carries (a service throwing
    many new errors in the same minute as another's single warning comes first).
    """
    first: dict[str, datetime] = {}
    weight: dict[str, float] = {}
    for o in obs:
        if o.time is None or o.novelty == "baseline" or o.role == "change" or o.strength < 0.25 or not o.service:
            continue
        s = namer(o.service) if namer else resolve(o.service, services)
        if s not in first or o.time < first[s]:
            first[s] = o.time
        weight[s] = weight.get(s, 0.0) + o.strength * max(1, min(o.count, 100)) ** 0.5
    order = sorted(first, key=lambda s: (first[s].replace(second=0, microsecond=0), -weight[s], s))
    return {s: first[s] for s in order}
