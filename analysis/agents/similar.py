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
    """Wraps a :class:`~analysis.knowledge.KnowledgeBase` (or a function that opens one, called on first
    use); an empty or broken KB gives no matches, never an error."""

    def __init__(self, kb: Any, k: int = 3):
        self._kb = kb
        self.k = k
        self.error: str = ""

    @property
    def kb(self) -> Any:
        if callable(self._kb):
            self._kb = self._kb()
        return self._kb

    def warm(self) -> None:
        """Open the knowledge base and load its embedder now (imports included), so the search the
        supervisor makes later is quick; used while the evidence agents run in other processes."""
        try:
            if self.kb.count() and not getattr(self.kb.embedder, "remote", False):
                self.kb.embedder.embed(["warm-up"])
        except Exception as exc:  # reported by similar_for when the search itself fails
            log.info("knowledge base warm-up failed: %s", exc)

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
    """The knowledge base of the data directory when one exists (no KB -> None, nothing created).

    Opening it is deferred to first use (importing lancedb alone takes about a second), so a run
    pays for it only while there is spare time or when it actually searches.
    """
    from pathlib import Path

    uri = settings.kb_uri
    if not uri.startswith("s3://") and not Path(uri).exists():
        return None

    def open_kb() -> Any:
        from analysis.knowledge import KnowledgeBase, default_embedder

        return KnowledgeBase(uri, default_embedder(settings))

    return SimilarIncidents(open_kb, k=settings.kb_similar_k)
