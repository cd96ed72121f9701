"""A scripted backend for tests: per-agent functions decide what the "model" returns.

``ScriptedBackend({"supervisor": fn})`` calls ``fn(ctx, offline_report)``; agents without a
script get the offline report. Lets tests exercise refinement, degradation and ranking changes
without a network or a mock of our own code.
"""

from __future__ import annotations

from collections.abc import Callable

from analysis.agents.base import AgentContext
from analysis.models import AgentReport

Script = Callable[[AgentContext, AgentReport], AgentReport]


class ScriptedBackend:
    """Deterministic fake model for tests."""

    name = "scripted"

    def __init__(self, scripts: dict[str, Script] | None = None):
        self.scripts = scripts or {}
        self.calls: list[str] = []

    def refine(self, agent: str, ctx: AgentContext, offline: AgentReport) -> AgentReport:
        self.calls.append(agent)
        script = self.scripts.get(agent)
        return script(ctx, offline) if script else offline
