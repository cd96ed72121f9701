"""The bridge between incidents and the knowledge base: promote a reviewed report, find similar incidents.

- :func:`draft_from_report` prefills a :class:`KBEntry` (source ``promoted``) from an incident and its
  report: the accepted (else top) hypothesis gives root cause and category, remediation steps the
  runbook, findings' signals the tags. The analyst edits it before saving.
- :func:`incident_query` turns an incident's description and strongest findings into one search text.
- :func:`similar_incidents` returns the top knowledge-base matches as ``SimilarIncident`` records.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from analysis.knowledge.index import KnowledgeBase
from analysis.knowledge.models import KBEntry
from analysis.models import Finding, Hypothesis, Incident, IncidentReport, IncidentStatus, Review, SimilarIncident

_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def promoted_id(incident_id: str) -> str:
    """The knowledge-base id an incident is promoted under (promoting again updates it)."""
    return incident_id if incident_id.startswith("inc-") else f"inc-{incident_id}"


def _chosen(report: IncidentReport, reviews: Iterable[Review]) -> Hypothesis | None:
    accepted = {r.hypothesis_id for r in reviews if r.verdict == "accepted" and r.hypothesis_id}
    rejected = {r.hypothesis_id for r in reviews if r.verdict == "rejected" and r.hypothesis_id}
    for h in report.hypotheses:
        if h.id in accepted or h.status == "accepted":
            return h
    for h in report.hypotheses:
        if h.id not in rejected and h.status not in ("rejected", "refuted"):
            return h
    return None


def _strongest(findings: Sequence[Finding], n: int) -> list[Finding]:
    return sorted(findings, key=lambda f: (-_SEVERITY_RANK.get(f.severity, 0), -f.score, f.id))[:n]


def draft_from_report(incident: Incident, report: IncidentReport, reviews: Iterable[Review] = ()) -> KBEntry:
    """A prefilled, editable entry for "promote to knowledge base"."""
    hyp = _chosen(report, list(reviews))
    services = list(incident.services)
    if hyp and hyp.service and hyp.service not in services:
        services.append(hyp.service)
    tags: list[str] = []
    for f in _strongest(report.findings, 20):
        for s in f.signals:
            if s not in tags:
                tags.append(s)
    starts = [f.start for f in report.findings if f.start]
    started = (hyp.onset if hyp and hyp.onset else None) or (min(starts) if starts else incident.created_at)
    resolved = incident.updated_at if incident.status in (IncidentStatus.resolved, IncidentStatus.learned) else None
    summary = incident.description or (hyp.statement if hyp else "") or "; ".join(
        f.title for f in _strongest(report.findings, 3))
    metadata = {"incident_id": incident.id, "run_id": report.run_id, "severity": incident.severity.value}
    if hyp:
        metadata["confidence"] = round(hyp.confidence, 3)
    return KBEntry(
        id=promoted_id(incident.id), title=incident.title, summary=summary,
        root_cause=hyp.statement if hyp else "", category=hyp.category.value if hyp else None,
        services=services, tags=tags[:8], resolution="",
        runbook=[step.text for step in (hyp.remediation if hyp else [])],
        started_at=started, resolved_at=resolved, links=[], source="promoted", metadata=metadata,
    )


def incident_query(incident: Incident, findings: Sequence[Finding] = (), report: IncidentReport | None = None,
                   max_findings: int = 5) -> str:
    """Search text for an incident: title, description, top hypothesis and strongest findings."""
    parts = [incident.title, incident.description]
    if report and report.top:
        parts.append(report.top.statement)
    pool = list(findings) or (list(report.findings) if report else [])
    parts.extend(f.title for f in _strongest(pool, max_findings))
    return "\n".join(p for p in parts if p)


def similar_incidents(kb: KnowledgeBase, incident: Incident, findings: Sequence[Finding] = (),
                      report: IncidentReport | None = None, k: int = 3) -> list[SimilarIncident]:
    """Top-k past incidents like this one (its own promoted entry excluded), with why they matched."""
    if kb.count() == 0:
        return []
    own = promoted_id(incident.id)
    hits = kb.search(incident_query(incident, findings, report), k=k + 1)
    return [h.to_similar() for h in hits if h.entry.id != own][:k]
