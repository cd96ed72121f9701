"""Pydantic models of the log engine: one parsed record, one mined template, one file's analysis, and the
per-service activity and trace-derived call graph of logs that carry service and trace-id fields."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from analysis.models import Finding, utc

#: Normalised level names, least to most severe.
LEVELS: tuple[str, ...] = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK: dict[str, int] = {name: i for i, name in enumerate(LEVELS)}


class LogRecord(BaseModel):
    """One log event (a header line plus its continuation lines)."""

    line_start: int = Field(description="1-based first line of the record")
    line_end: int
    timestamp: datetime | None = None
    level: str | None = None
    host: str | None = None
    component: str | None = None
    pid: str | None = None
    service: str | None = None
    message: str = ""
    template_id: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)


class TemplateStat(BaseModel):
    """One mined template with its occurrences."""

    id: str
    template: str
    count: int = 0
    level: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    first_line: int = 0
    sample: str = ""
    lines: list[int] = Field(default_factory=list, description="first <=50 record start lines")
    per_minute: dict[str, int] = Field(default_factory=dict, description="'YYYY-MM-DDTHH:MMZ' -> count")
    services: dict[str, int] = Field(default_factory=dict)
    is_error: bool = False


class ServiceActivity(BaseModel):
    """Records, errors and warnings of one service (pod names folded onto their service) per minute."""

    service: str
    pods: list[str] = Field(default_factory=list, description="first <=20 pod/instance names seen")
    records: int = 0
    errors: int = 0
    warnings: int = 0
    per_minute: dict[str, int] = Field(default_factory=dict, description="'YYYY-MM-DDTHH:MMZ' -> records")
    errors_per_minute: dict[str, int] = Field(default_factory=dict)
    warnings_per_minute: dict[str, int] = Field(default_factory=dict)


class TraceEdge(BaseModel):
    """Caller -> callee, inferred from the services seen in the same trace (time order or parent ids)."""

    caller: str
    callee: str
    calls: int = 0
    traces: int = 0
    median_in_ms: float | None = Field(default=None, description="caller's last record -> callee's first")
    median_return_ms: float | None = Field(default=None, description="callee's last record -> caller's next")


class TraceSpan(BaseModel):
    """One service invocation inside a trace: its operation (template of its first record), errors and calls.

    ``callees``/``call_offsets_ms``/``in_ms``/``return_ms`` are parallel: one entry per outgoing call to
    another service, in call order. ``in_ms``: time from the last record before the call to the callee's
    first record; ``return_ms``: from the callee's last record to this span's next record (None: unseen).
    """

    trace: str
    service: str
    op: str = Field(default="", description="template id of the span's first record")
    start: datetime
    records: int = 0
    errors: int = 0
    tail: bool = Field(default=False, description="trace still running when the file ends (calls may be missing)")
    callees: list[str] = Field(default_factory=list)
    call_offsets_ms: list[float] = Field(default_factory=list)
    in_ms: list[float] = Field(default_factory=list)
    return_ms: list[float | None] = Field(default_factory=list)


class TraceGraph(BaseModel):
    """Per-service activity and the call graph derived from trace/span ids in the records."""

    source: str = Field(default="", description="where service and trace ids were read from")
    services: list[ServiceActivity] = Field(default_factory=list)
    edges: list[TraceEdge] = Field(default_factory=list)
    entry_services: dict[str, int] = Field(default_factory=dict, description="first service of each trace")
    traces: int = 0
    spans: list[TraceSpan] = Field(default_factory=list)
    truncated: bool = False


class LogAnalysis(BaseModel):
    """Everything the log engine learned from one file."""

    artifact_id: str
    name: str
    format: str = "unknown"
    line_count: int = 0
    record_count: int = 0
    timestamped_lines: int = 0
    start: datetime | None = None
    end: datetime | None = None
    templates: list[TemplateStat] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    entities: dict[str, list[tuple[str, int]]] = Field(default_factory=dict)
    access_per_minute: list[dict] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    trace_graph: TraceGraph | None = Field(default=None, description="set when records name services (and traces)")
