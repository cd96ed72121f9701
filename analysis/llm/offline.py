"""The offline backend: the deterministic engines' reports are the answer (no network, no model)."""

from __future__ import annotations

from analysis.agents.base import AgentContext
from analysis.models import AgentReport


class OfflineBackend:
    """Returns the deterministic report unchanged."""

    name = "offline"

    def refine(self, agent: str, ctx: AgentContext, offline: AgentReport) -> AgentReport:
        return offline
