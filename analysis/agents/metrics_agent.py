"""Metrics agent: layout detection and anomaly / change-point detection per metric CSV."""

from __future__ import annotations

from analysis.agents.base import AgentContext
from analysis.errors import WorkbenchError
from analysis.models import AgentReport, ArtifactKind, Gap


class MetricsAgent:
    """Runs ``analysis.engines.metrics`` over every metrics artifact."""

    name = "metrics"

    def run(self, ctx: AgentContext) -> AgentReport:
        from analysis.engines.metrics import analyze_metrics

        report = AgentReport(agent="metrics")
        outputs = []
        files = ctx.of_kind(ArtifactKind.metrics)
        if not files:
            report.gaps.append(Gap(what="metrics", why="no metric CSV was uploaded",
                                   would_settle="a metric export (latency, error rate, saturation) for the incident window"))
        for i, art in enumerate(files, 1):
            ctx.progress("metrics", f"{art.name} ({i}/{len(files)}): detecting layout and anomalies")
            try:
                table = art.metric_table()
                analysis = analyze_metrics(table, artifact_id=art.id, name=art.name)
            except WorkbenchError as exc:
                report.gaps.append(Gap(what=f"metrics {art.name}", why=str(exc), would_settle="a CSV with a time column"))
                continue
            outputs.append(analysis)
            report.findings.extend(analysis.findings)
            ctx.progress("metrics", f"{art.name}: {analysis.layout}, {len(analysis.series)} series, "
                                    f"{len(analysis.findings)} findings")
        ctx.engine_outputs["metrics"] = outputs
        return report
