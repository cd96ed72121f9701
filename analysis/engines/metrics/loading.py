"""``load_metrics``: bytes of any supported metric export -> ``MetricTable``."""

from __future__ import annotations

from analysis.engines.metrics.layouts import detect_layout
from analysis.engines.metrics.models import MetricTable
from analysis.engines.metrics.reader import read_table


def load_metrics(data: bytes, name: str) -> MetricTable:
    """Read a metric CSV (wide, long, CloudWatch, Prometheus, Grafana, Datadog) without configuration.

    Raises ``analysis.errors.IngestError`` with one sentence when the file cannot be used.
    """
    return detect_layout(read_table(data, name), name)
