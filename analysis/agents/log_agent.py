"""Log agent: runs the log engine over every log artifact and collects its findings."""

from __future__ import annotations

from analysis.agents.base import AgentContext
from analysis.errors import WorkbenchError
from analysis.models import AgentReport, ArtifactKind, Gap


class LogAgent:
    """Format detection + template mining per log file (``analysis.engines.logs``)."""

    name = "log"

    def run(self, ctx: AgentContext) -> AgentReport:
        from analysis.engines.logs import analyze_log

        report = AgentReport(agent="log")
        outputs = []
        logs = ctx.of_kind(ArtifactKind.log)
        if not logs:
            report.gaps.append(Gap(what="logs", why="no log file was uploaded",
                                   would_settle="application, access or system logs covering the incident window"))
        for i, art in enumerate(logs, 1):
            ctx.progress("log", f"{art.name} ({i}/{len(logs)}): parsing and mining templates")
            try:
                analysis = analyze_log(art.lines(), artifact_id=art.id, name=art.name)
            except WorkbenchError as exc:
                report.gaps.append(Gap(what=f"log {art.name}", why=str(exc), would_settle="a readable copy of the file"))
                continue
            outputs.append(analysis)
            report.findings.extend(analysis.findings)
            ctx.progress("log", f"{art.name}: {analysis.format}, {analysis.record_count} records, "
                                f"{len(analysis.templates)} templates, {len(analysis.findings)} findings")
            if analysis.line_count and analysis.timestamped_lines < 0.5 * analysis.line_count:
                report.gaps.append(Gap(what=f"timing of {art.name}",
                                       why=f"only {analysis.timestamped_lines} of {analysis.line_count} lines have a timestamp",
                                       would_settle="the same log with timestamps"))
        ctx.engine_outputs["log"] = outputs
        return report
