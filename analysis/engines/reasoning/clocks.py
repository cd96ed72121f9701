"""Clock alignment across artifacts: detect an artifact written in local time and shift it to UTC.

Logs without a zone (syslog, HAProxy, many app logs) are read as UTC. When one artifact's incident
onset sits a whole number of hours (1-14, +/- 150 s) away from the onset seen in every other
artifact, and the artifact is quiet around the reference onset, it was almost certainly written in
a local zone: its observations are shifted by that offset and a note says so. Conservative by
design: a single artifact, or artifacts that agree, are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from .models import Observation

TOLERANCE_S = 150
MIN_STRENGTH = 0.45


def _onset(obs: list[Observation]) -> datetime | None:
    """The artifact's main moment: earliest of its strongest new/surging observations."""
    pts = [(o.time, o.strength) for o in obs if o.time is not None and o.novelty in ("new", "surge")
           and o.role in ("cause", "symptom") and o.strength >= MIN_STRENGTH and o.modality in ("log", "metric")]
    if not pts:
        return None
    top = max(s for _, s in pts)
    return min(t for t, s in pts if s >= 0.9 * top)


def align_clocks(obs: list[Observation]) -> list[str]:
    """Shift observations of artifacts that run a whole number of hours off; returns notes."""
    by_art: dict[str, list[Observation]] = defaultdict(list)
    for o in obs:
        art = str(o.attributes.get("artifact") or "")
        if art:
            by_art[art].append(o)
    if len(by_art) < 2:
        return []
    onsets = {a: _onset(v) for a, v in by_art.items()}
    notes: list[str] = []
    for art, t in sorted(onsets.items()):
        if t is None:
            continue
        others = sorted(x for a, x in onsets.items() if a != art and x is not None)
        # a consensus: at least two other artifacts whose onsets agree within 5 minutes
        ref = None
        for i in range(len(others) - 1):
            if (others[i + 1] - others[i]).total_seconds() <= 300:
                ref = others[i]
                break
        if ref is None:
            continue
        diff = (t - ref).total_seconds()
        hours = round(diff / 3600)
        if hours == 0 or abs(hours) > 14 or abs(diff - hours * 3600) > TOLERANCE_S:
            continue
        # the artifact must be quiet around the reference onset (otherwise both moments are real)
        near = [o for o in by_art[art] if o.time is not None and o.novelty in ("new", "surge") and o.strength >= MIN_STRENGTH
                and abs((o.time - ref).total_seconds()) <= 600]
        if near:
            continue
        shift = timedelta(hours=hours)
        for o in by_art[art]:
            if o.time is not None:
                o.time = o.time - shift
            if o.end is not None:
                o.end = o.end - shift
            for i, occ in enumerate(o.attributes.get("occurrences") or []):
                o.attributes["occurrences"][i] = occ - shift
            if isinstance(o.attributes.get("first_seen"), str):
                o.attributes["first_seen"] = (datetime.fromisoformat(o.attributes["first_seen"]) - shift).isoformat()
            for r in o.evidence:
                if r.start is not None:
                    r.start = r.start - shift
                if r.end is not None:
                    r.end = r.end - shift
            o.attributes["clock_shift_h"] = -hours
        sign = "+" if hours > 0 else "-"
        notes.append(f"{art} runs {abs(hours)} h ahead of the other artifacts (local time UTC{sign}{abs(hours)}?): "
                     f"its times were shifted by {-hours:+d} h" if hours > 0 else
                     f"{art} runs {abs(hours)} h behind the other artifacts: its times were shifted by {-hours:+d} h")
    return notes
