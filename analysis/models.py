"""Pydantic models shared by every layer: incidents, artifacts, evidence, findings, hypotheses, reports.

These are the boundary types: engines and agents return them, the store persists them as JSON,
pages render them, the CLI prints them. Field names follow ../shared/DESIGN.md.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def utc(dt: datetime | None) -> datetime | None:
    """Normalise a datetime to timezone-aware UTC (naive values are taken as UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


class Category(str, Enum):
    """Root-cause taxonomy; the ids are a contract shared with scorers and the knowledge base."""

    deployment_regression = "deployment_regression"
    config_change = "config_change"
    memory_exhaustion = "memory_exhaustion"
    cpu_saturation = "cpu_saturation"
    disk_full = "disk_full"
    database_overload = "database_overload"
    network_dns = "network_dns"
    dependency_failure = "dependency_failure"
    certificate_expiry = "certificate_expiry"
    auth_credentials = "auth_credentials"
    traffic_surge = "traffic_surge"
    cache_failure = "cache_failure"
    queue_backlog = "queue_backlog"
    node_failure = "node_failure"
    data_corruption = "data_corruption"


class Severity(str, Enum):
    """Incident severity as analysts type it."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"


class IncidentStatus(str, Enum):
    """Incident lifecycle states."""

    detected = "detected"
    acknowledged = "acknowledged"
    investigating = "investigating"
    mitigated = "mitigated"
    resolved = "resolved"
    learned = "learned"
    inconclusive = "inconclusive"


#: Legal lifecycle moves. Forward along the chain (skipping is allowed only one step for the
#: common "acknowledged while investigating" case), ``inconclusive`` from any open state, and
#: re-opening an inconclusive incident back to investigating.
STATUS_TRANSITIONS: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    IncidentStatus.detected: (IncidentStatus.acknowledged, IncidentStatus.investigating, IncidentStatus.inconclusive),
    IncidentStatus.acknowledged: (IncidentStatus.investigating, IncidentStatus.mitigated, IncidentStatus.inconclusive),
    IncidentStatus.investigating: (IncidentStatus.mitigated, IncidentStatus.resolved, IncidentStatus.inconclusive),
    IncidentStatus.mitigated: (IncidentStatus.resolved, IncidentStatus.investigating, IncidentStatus.inconclusive),
    IncidentStatus.resolved: (IncidentStatus.learned, IncidentStatus.investigating),
    IncidentStatus.learned: (),
    IncidentStatus.inconclusive: (IncidentStatus.investigating,),
}


class IncidentInput(BaseModel):
    """What an analyst types when opening an incident (also the shape of ``incident.json``)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    services: list[str] = Field(default_factory=list)
    severity: Severity = Severity.SEV3

    @field_validator("services", mode="before")
    @classmethod
    def _split_services(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [s.strip() for s in v.replace(";", ",").split(",") if s.strip()]
        return v

    @field_validator("services")
    @classmethod
    def _clean_services(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for s in v:
            s = str(s).strip()
            if s and s not in out:
                out.append(s[:120])
        return out


class Incident(IncidentInput):
    """A stored incident."""

    id: str
    status: IncidentStatus = IncidentStatus.detected
    created_at: datetime
    updated_at: datetime


class ArtifactKind(str, Enum):
    """What an uploaded file is."""

    log = "log"
    metrics = "metrics"
    screenshot = "screenshot"
    alert = "alert"
    note = "note"


class Artifact(BaseModel):
    """One uploaded file, content-addressed; the stored bytes are never modified."""

    id: str
    incident_id: str
    kind: ArtifactKind
    name: str
    sha256: str
    size: int
    detected_format: str = ""
    path: str = Field(description="stored bytes path, relative to the data directory")
    created_at: datetime
    notes: list[str] = Field(default_factory=list, description="ingest notes (encoding repairs, truncations)")


class EvidenceRef(BaseModel):
    """A pointer at the exact place that supports a claim."""

    kind: Literal["log_lines", "metric_window", "image_region", "note"]
    artifact_id: str = ""
    artifact_name: str = ""
    line_start: int | None = None
    line_end: int | None = None
    series: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    bbox: list[int] | None = None
    excerpt: str = ""

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)

    def locator(self) -> str:
        """Human-readable locator: ``app.log:120-134``, ``cpu 10:00-10:05``, ``dash.png [x0,y0,x1,y1]``."""
        if self.kind == "log_lines":
            rng = f"{self.line_start}" if self.line_start == self.line_end else f"{self.line_start}-{self.line_end}"
            return f"{self.artifact_name}:{rng}"
        if self.kind == "metric_window":
            s = self.start.strftime("%Y-%m-%d %H:%M") if self.start else "?"
            e = self.end.strftime("%H:%M") if self.end else "?"
            return f"{self.artifact_name} · {self.series} · {s}–{e} UTC"
        if self.kind == "image_region":
            return f"{self.artifact_name} {self.bbox}"
        return self.artifact_name or "note"


FindingSeverity = Literal["info", "low", "medium", "high", "critical"]


class Finding(BaseModel):
    """One observation of an agent, always with evidence.

    ``kind`` is the engine's vocabulary (``error_cluster``, ``new_template``, ``rate_change``,
    ``metric_anomaly``, ``change_point``, ``change_event``, ``screenshot_anomaly`` …);
    ``signals`` are the taxonomy-level signal tags the supervisor reasons over (``oom_kill``,
    ``version_change``, ``db_pool_exhausted`` …, see ``analysis.engines.signals``).
    """

    id: str
    agent: Literal["log", "metrics", "vision", "supervisor", "note"]
    kind: str
    title: str
    detail: str = ""
    severity: FindingSeverity = "info"
    service: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    evidence: list[EvidenceRef] = Field(default_factory=list)
    signals: list[str] = Field(default_factory=list)
    score: float = Field(default=0.0, ge=0.0, le=1.0, description="engine strength of the observation")
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)


HypothesisStatus = Literal["proposed", "supported", "refuted", "accepted", "rejected"]


class RemediationStep(BaseModel):
    """A runbook-style suggestion; commands are shown, never run."""

    text: str
    command: str | None = None
    risk: Literal["safe", "caution", "destructive"] = "safe"
    risk_reason: str = ""


class Hypothesis(BaseModel):
    """A candidate root cause with calibrated confidence and the evidence for and against it."""

    id: str
    category: Category
    service: str | None = None
    onset: datetime | None = None
    statement: str
    confidence: float = Field(ge=0.0, le=1.0)
    status: HypothesisStatus = "proposed"
    evidence: list[EvidenceRef] = Field(default_factory=list, description="supporting evidence")
    refuting: list[EvidenceRef] = Field(default_factory=list)
    reasoning: list[str] = Field(default_factory=list, description="why the confidence is what it is")
    remediation: list[RemediationStep] = Field(default_factory=list)
    finding_ids: list[str] = Field(default_factory=list)

    @field_validator("onset")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)


class TimelineEvent(BaseModel):
    """One point on the unified UTC timeline."""

    time: datetime
    end: datetime | None = None
    source: str
    service: str | None = None
    kind: str
    title: str
    severity: FindingSeverity = "info"
    finding_id: str | None = None
    is_change: bool = False

    @field_validator("time", "end")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)


class Gap(BaseModel):
    """Something that could not be checked, why, and what would settle it."""

    what: str
    why: str
    would_settle: str = ""


class SimilarIncident(BaseModel):
    """A knowledge-base match for the current incident."""

    entry_id: str
    title: str
    score: float
    reason: str
    category: str | None = None
    resolution: str = ""


class ServiceEdge(BaseModel):
    """Caller -> callee inferred from the evidence."""

    caller: str
    callee: str
    evidence: str = ""


class AgentReport(BaseModel):
    """What one agent produced in one run."""

    agent: Literal["log", "metrics", "vision", "supervisor"]
    backend: str = "offline"
    model: str = "deterministic"
    prompt_version: str = ""
    findings: list[Finding] = Field(default_factory=list)
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    degraded: bool = False
    degraded_reason: str = ""


class IncidentReport(BaseModel):
    """The full result of one analysis run."""

    incident_id: str
    run_id: str
    title: str = ""
    created_at: datetime
    backend: str = "offline"
    hypotheses: list[Hypothesis] = Field(default_factory=list, description="best first")
    findings: list[Finding] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    similar: list[SimilarIncident] = Field(default_factory=list)
    service_graph: list[ServiceEdge] = Field(default_factory=list)
    agents: list[AgentReport] = Field(default_factory=list)
    inconclusive: bool = False
    timings: dict[str, float] = Field(default_factory=dict)
    degraded: bool = False
    artifacts: list[str] = Field(default_factory=list, description="artifact ids analysed")

    @property
    def top(self) -> Hypothesis | None:
        return self.hypotheses[0] if self.hypotheses else None


class Review(BaseModel):
    """An analyst's verdict or note on a hypothesis or a run."""

    id: str
    incident_id: str
    run_id: str | None = None
    hypothesis_id: str | None = None
    verdict: Literal["accepted", "rejected", "note"] = "note"
    note: str = ""
    author: str = "analyst"
    created_at: datetime


class RunInfo(BaseModel):
    """One analysis run as listed on the report page."""

    id: str
    incident_id: str
    backend: str
    status: Literal["running", "completed", "failed", "interrupted", "cancelled"]
    started_at: datetime
    finished_at: datetime | None = None
    seconds: float | None = None
    error: str = ""
    top_category: str | None = None
    top_confidence: float | None = None
