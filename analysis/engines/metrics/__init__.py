"""Metric intelligence: load any metric CSV, score it causally, find anomalies and change points."""

from analysis.engines.metrics.detection import detect_series
from analysis.engines.metrics.models import (
    Anomaly,
    ChangePoint,
    MetricAnalysis,
    MetricTable,
    SeriesSummary,
)
from analysis.engines.metrics.scoring import causal_scores

__all__ = [
    "Anomaly",
    "ChangePoint",
    "MetricAnalysis",
    "MetricTable",
    "SeriesSummary",
    "causal_scores",
    "detect_series",
]
