"""Vision agent: reads dashboard screenshots (panels, titles, time axis, anomalies, alert state)."""

from __future__ import annotations

from analysis.agents.base import AgentContext
from analysis.errors import WorkbenchError
from analysis.models import AgentReport, ArtifactKind, Gap


class VisionAgent:
    """Runs ``analysis.engines.vision`` over every screenshot artifact."""

    name = "vision"

    def run(self, ctx: AgentContext) -> AgentReport:
        from analysis.engines.vision import read_screenshot

        report = AgentReport(agent="vision")
        outputs = []
        shots = ctx.of_kind(ArtifactKind.screenshot)
        if not shots:
            report.gaps.append(Gap(what="screenshots", why="no dashboard screenshot was uploaded",
                                   would_settle="a dashboard screenshot of the affected service (optional)"))
        for i, art in enumerate(shots, 1):
            ctx.progress("vision", f"{art.name} ({i}/{len(shots)}): OCR and chart reading")
            try:
                reading = read_screenshot(art.image(), artifact_id=art.id, name=art.name)
            except WorkbenchError as exc:
                report.gaps.append(Gap(what=f"screenshot {art.name}", why=str(exc),
                                       would_settle="a PNG or JPEG export of the dashboard"))
                continue
            outputs.append(reading)
            report.findings.extend(reading.findings)
            for note in reading.notes:
                if "unreadable" in note or "not read" in note:
                    report.gaps.append(Gap(what=f"time axis of {art.name}", why=note,
                                           would_settle="the panel's data as a CSV export"))
            ctx.progress("vision", f"{art.name}: {len(reading.panels)} panels, "
                                   f"incident visible: {'yes' if reading.incident_visible else 'no'}")
        ctx.engine_outputs["vision"] = outputs
        return report
