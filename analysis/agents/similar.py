"""Similar past incidents for the supervisor: a knowledge-base query built from the incident and its findings."""

from __future__ import annotations

import logging
from typing import Any

from analysis.models import AgentReport, IncidentInput

log = logging.getLogger(__name__)


def build_query(incident: IncidentInput, reports: dict[str, AgentReport], max_findings: int = 6) -> str:
    """Incident title + description + the strongest finding titles (errors first)."""
    parts = [incident.title, incident.description]
    findings = [f for name in ("log", "metrics", "vision") if name in reports for f in reports[name].findings]
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    findings.sort(key=lambda f: (rank.get(f.severity, 5), -f.score, f.id))
    parts += [f.title for f in findings[:max_findings]]
    return "\n".join(p for p in parts if p)


class SimilarIncidents:
    """Wraps a :class:`~analysis.knowledge.KnowledgeBase`; an empty or broken KB gives no matches, never an error."""

    def __init__(self, kb: Any, k: int = 3):
        self.kb = kb
        self.k = k
        self.error: str = ""

    def similar_for(self, incident: IncidentInput, reports: dict[str, AgentReport]) -> list[Any]:
        try:
            if not self.kb.count():
                return []
            return self.kb.search(build_query(incident, reports), k=self.k)
        except Exception as exc:  # the KB is a weak prior: its failure is a gap, not a failed run
            log.warning("knowledge base search failed: %s", exc)
            self.error = str(exc)
            return []


def from_settings(settings: Any) -> SimilarIncidents | None:
    """Open the knowledge base of the data directory when one exists (no KB -> None, nothing created)."""
    from pathlib import Path

    uri = settings.kb_uri
    if not uri.startswith("s3://") and not Path(uri).exists():
        return None
    from analysis.knowledge import KnowledgeBase, default_embedder

    try:
        return SimilarIncidents(KnowledgeBase(uri, default_embedder(settings)), k=settings.kb_similar_k)
    except Exception as exc:
        log.warning("knowledge base unavailable: %s", exc)
        return None
