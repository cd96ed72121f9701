"""Typed results of the vision engine: what was read from one dashboard screenshot.

Every ``bbox`` is ``[x0, y0, x1, y1]`` in pixels of the original image (x1/y1 exclusive);
every datetime is timezone-aware UTC (``None`` when the time axis could not be read).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from analysis.models import Finding, utc

PanelKind = Literal["timeseries", "stat", "table", "text", "unknown"]


class _UtcModel(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _utc_all(cls, v):  # type: ignore[no-untyped-def]
        return utc(v) if isinstance(v, datetime) else v


class PanelAnomaly(_UtcModel):
    """One region of a chart where a plotted line departs from its own normal behaviour."""

    bbox: list[int]
    direction: Literal["up", "down"]
    start: datetime | None = None
    end: datetime | None = None
    magnitude: float | None = Field(default=None, description="after/before - 1 in axis units (None if unknown)")
    kind: str = "level_shift"
    series: str = ""
    score: float = Field(default=0.0, ge=0.0, le=1.0)
    baseline: float | None = None
    peak: float | None = None


class PanelReading(_UtcModel):
    """One panel of a dashboard: its title, axes, plotted series and what moved."""

    title: str
    bbox: list[int]
    unit: str | None = None
    kind: PanelKind = "unknown"
    anomalies: list[PanelAnomaly] = Field(default_factory=list)
    alerting: bool = False
    alert_reasons: list[str] = Field(default_factory=list)
    y_min: float | None = None
    y_max: float | None = None
    x_start: datetime | None = None
    x_end: datetime | None = None
    series_names: list[str] = Field(default_factory=list)
    plot_bbox: list[int] | None = None


class ScreenshotReading(BaseModel):
    """Everything the vision engine read from one screenshot."""

    artifact_id: str
    name: str
    width: int
    height: int
    theme: Literal["dark", "light"]
    incident_visible: bool = False
    panels: list[PanelReading] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    ocr_engine: str = ""
    text: list[str] = Field(default_factory=list, description="OCR lines, top-to-bottom, left-to-right")
    notes: list[str] = Field(default_factory=list)
