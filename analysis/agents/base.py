"""The agent interface and the context an analysis run passes to every agent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from analysis.agents.loaded import LoadedArtifact
from analysis.models import AgentReport, ArtifactKind, IncidentInput
from analysis.settings import Settings

Progress = Callable[[str, str], None]
"""``progress(agent, message)``: a line of visible progress."""


def _no_progress(agent: str, message: str) -> None:
    return None


@dataclass
class AgentContext:
    """Everything an agent may read. ``engine_outputs`` carries engine results between agents
    (``"log"`` -> list[LogAnalysis], ``"metrics"`` -> list[MetricAnalysis], ``"vision"`` -> list[ScreenshotReading])."""

    incident: IncidentInput
    artifacts: list[LoadedArtifact]
    settings: Settings
    clock: Callable[[], datetime]
    progress: Progress = _no_progress
    incident_id: str = ""
    run_id: str = ""
    engine_outputs: dict[str, list[Any]] = field(default_factory=dict)
    reports: dict[str, AgentReport] = field(default_factory=dict)
    knowledge: Any = None
    #: Set when the vision agent was started before the metric CSVs were parsed: returns their end date
    #: (or None), waiting for the caller to send it (:meth:`analysis.forked.Started.send_late`).
    late_metrics_date: Callable[[], Any] | None = None

    def of_kind(self, kind: ArtifactKind) -> list[LoadedArtifact]:
        return [a for a in self.artifacts if a.artifact.kind == kind]


class Agent(Protocol):
    """One analysis agent; ``run`` never raises for a bad artifact (it reports a gap instead)."""

    name: str

    def run(self, ctx: AgentContext) -> AgentReport: ...
