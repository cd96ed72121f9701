"""Metric intelligence: load any metric CSV, score it causally, find anomalies and change points."""

from analysis.engines.metrics.analyzer import analyze_metrics
from analysis.engines.metrics.detection import detect_series
from analysis.engines.metrics.loading import load_metrics
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
    "analyze_metrics",
    "causal_scores",
    "detect_series",
    "load_metrics",
]
