"""Pydantic models of the log engine: one parsed record, one mined template, one file's analysis."""

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
