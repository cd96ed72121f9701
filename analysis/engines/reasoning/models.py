"""Typed inputs and outputs of the reasoning engine, plus its internal observation record.

- :class:`EvidenceBundle` is what the supervisor agent hands over: the incident as typed by the
  analyst and every engine's output (log, metric, screenshot analyses, analyst notes, knowledge-base
  hits). Engine result types are imported only for type checking so this module loads even when an
  engine package is absent.
- :class:`SupervisorResult` is what :func:`analysis.engines.reasoning.reason` returns.
- :class:`Observation` is one piece of evidence reduced to what reasoning needs (family, role,
  emitting service, named target, onset, strength, evidence pointers).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from analysis.models import EvidenceRef, Gap, Hypothesis, IncidentInput, ServiceEdge, TimelineEvent

if TYPE_CHECKING:  # pragma: no cover - types only
    from analysis.engines.logs.models import LogAnalysis  # noqa: F401
    from analysis.engines.metrics.models import MetricAnalysis  # noqa: F401
    from analysis.engines.vision.models import ScreenshotReading  # noqa: F401
    from analysis.knowledge.models import KBHit  # noqa: F401

Modality = Literal["log", "metric", "screenshot", "note", "kb"]


class EvidenceBundle(BaseModel):
    """Everything the supervisor reasons over for one incident."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    incident: IncidentInput
    logs: list[Any] = Field(default_factory=list, description="analysis.engines.logs LogAnalysis")
    metrics: list[Any] = Field(default_factory=list, description="analysis.engines.metrics MetricAnalysis")
    screenshots: list[Any] = Field(default_factory=list, description="analysis.engines.vision ScreenshotReading")
    notes: list[str] = Field(default_factory=list, description="analyst notes (free text)")
    similar: list[Any] = Field(default_factory=list, description="analysis.knowledge KBHit")


class SupervisorResult(BaseModel):
    """Ranked hypotheses with their reasoning, the unified timeline and what could not be checked."""

    hypotheses: list[Hypothesis] = Field(default_factory=list, description="best first, 3-5 competing")
    timeline: list[TimelineEvent] = Field(default_factory=list)
    service_graph: list[ServiceEdge] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    inconclusive: bool = False
    first_movers: dict[str, datetime] = Field(default_factory=dict)

    @property
    def top(self) -> Hypothesis | None:
        return self.hypotheses[0] if self.hypotheses else None


class Observation(BaseModel):
    """One piece of evidence as the reasoning sees it."""

    id: str
    modality: Modality
    family: str
    role: Literal["cause", "precursor", "change", "symptom"]
    weights: dict[str, float] = Field(default_factory=dict, description="category -> support weight")
    service: str = Field(default="", description="canonical name of the emitting service/host")
    targets: list[str] = Field(default_factory=list, description="canonical names the text points at")
    culprit_rule: Literal["emitter", "target"] = "emitter"
    time: datetime | None = None
    end: datetime | None = None
    strength: float = Field(default=0.0, ge=0.0, le=1.0)
    novelty: Literal["new", "surge", "baseline", "unknown"] = "unknown"
    count: int = 0
    level: str = ""
    title: str = ""
    text: str = ""
    evidence: list[EvidenceRef] = Field(default_factory=list)
    finding_id: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
