"""The LLMBackend protocol: how an agent's deterministic report may be refined by a model.

The pipeline always runs the deterministic engines first and passes their report to
``backend.refine``. A backend returns a new report (or the same one); it must never lose the
offline result: on any failure it returns the offline report marked ``degraded`` with a reason.
"""

from __future__ import annotations

from typing import Protocol

from analysis.agents.base import AgentContext
from analysis.models import AgentReport


class LLMBackend(Protocol):
    """A backend that may refine each agent's report."""

    name: str

    def refine(self, agent: str, ctx: AgentContext, offline: AgentReport) -> AgentReport: ...
