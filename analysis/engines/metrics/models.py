"""Typed results of the metric engine: the loaded table, anomalies, change points, summaries.

``MetricTable`` is a dataclass (it carries a pandas DataFrame); everything that crosses a
boundary as JSON is a pydantic model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, field_validator

from analysis.models import Finding, utc

Direction = Literal["up", "down"]
AnomalyKind = Literal["spike", "dip", "level_shift", "trend_change"]


@dataclass
class MetricTable:
    """Metrics in long form: ``frame`` has columns timestamp (UTC), series (str), value (float64).

    ``series`` is a pandas categorical of strings (compact for large long-format files); compare,
    filter and group it like a string column (``groupby("series", observed=True)``).
    """

    frame: pd.DataFrame
    layout: str
    units: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def series_names(self) -> list[str]:
        """Series names in first-seen order of the (sorted) frame."""
        return list(pd.unique(self.frame["series"]))


class _UtcModel(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _utc_all(cls, v):  # type: ignore[no-untyped-def]
        return utc(v) if isinstance(v, datetime) else v


class Anomaly(_UtcModel):
    """A time window in which a series deviates from its expected behaviour."""

    start: datetime
    end: datetime
    direction: Direction
    kind: AnomalyKind
    peak_score: float = Field(ge=0.0, le=1.0)
    magnitude: float = Field(description="relative change: peak/baseline - 1 (level/baseline for shifts)")
    baseline: float
    peak: float


class ChangePoint(_UtcModel):
    """A lasting change of level: the mean before differs from the mean after."""

    time: datetime
    direction: Direction
    before: float
    after: float
    magnitude: float = Field(description="after/before - 1 (absolute difference when before is ~0)")


class SeriesSummary(_UtcModel):
    """Per-series result of the detector."""

    name: str
    unit: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    service: str | None = None
    n: int
    start: datetime | None = None
    end: datetime | None = None
    anomalies: list[Anomaly] = Field(default_factory=list)
    change_points: list[ChangePoint] = Field(default_factory=list)
    onset: datetime | None = None
    score_max: float = 0.0


class MetricAnalysis(BaseModel):
    """Everything the metric engine found in one metrics artifact."""

    artifact_id: str
    name: str
    layout: str
    series: list[SeriesSummary] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    onset_order: list[tuple[str, datetime]] = Field(default_factory=list, description="what moved first")
    groups: list[list[str]] = Field(default_factory=list, description="series that moved together")
    notes: list[str] = Field(default_factory=list)
