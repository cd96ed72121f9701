"""Vision agent: reads dashboard screenshots (panels, titles, time axis, anomalies, alert state)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from analysis.agents.base import AgentContext
from analysis.errors import WorkbenchError
from analysis.forked import fork_map
from analysis.models import AgentReport, ArtifactKind, Gap

_TAIL_LINES = 400


def reference_date(ctx: AgentContext) -> date | None:
    """The date at the end of the incident's data (latest metric point, else latest log timestamp).

    A dashboard's time axis usually prints only clock times; this date anchors them. It is read from
    the artifacts themselves (cheaply: metric CSVs are small, logs only at their tail), so the vision
    agent needs no other agent's output and can run beside them.
    """
    return metrics_end_date(ctx) or logs_end_date(ctx)


def metrics_end_date(ctx: AgentContext) -> date | None:
    """The date of the latest point of the metric CSVs (those that parse), or None."""
    latest: datetime | None = None
    for art in ctx.of_kind(ArtifactKind.metrics):
        try:
            ts = art.metric_table().frame["timestamp"]
            if len(ts):
                end = ts.max().to_pydatetime()
                latest = end if latest is None or end > latest else latest
        except WorkbenchError:
            continue
    return latest.date() if latest is not None else None


def logs_end_date(ctx: AgentContext) -> date | None:
    """The date of the latest timestamp at the tails of the logs, or None."""
    from analysis.engines.logs import iter_records

    latest: datetime | None = None
    for art in ctx.of_kind(ArtifactKind.log):
        try:
            stamps = [r.timestamp for r in iter_records(art.lines()[-_TAIL_LINES:], art.name) if r.timestamp]
        except WorkbenchError:
            continue
        if stamps:
            end = max(stamps)
            latest = end if latest is None or end > latest else latest
    return latest.date() if latest is not None else None


class VisionAgent:
    """Runs ``analysis.engines.vision`` over every screenshot artifact."""

    name = "vision"

    def run(self, ctx: AgentContext) -> AgentReport:
        report = AgentReport(agent="vision")
        outputs = []
        shots = ctx.of_kind(ArtifactKind.screenshot)
        if shots:  # the engine only when there is something to read
            from analysis.engines.vision import read_screenshot
            from analysis.engines.vision.ocr import TesseractOcr

            # Several screenshots are read two at a time already: one tesseract each (a second costs a
            # process start, ~0.17 s CPU, for no gain on busy cores); a lone screenshot splits its OCR in two.
            ocr = TesseractOcr(workers=1 if len(shots) > 1 else 2)
        ref_date: Any = None
        if shots and ctx.late_metrics_date is not None:
            # started before the CSVs were parsed: the caller sends their date; needed only once the text is read
            late = ctx.late_metrics_date

            def when_read() -> date | None:
                return late() or logs_end_date(ctx)

            # several screenshots: resolved before a reader per screenshot is forked
            ref_date = when_read() if len(shots) > 1 else when_read
        elif shots:
            ref_date = reference_date(ctx)
        if not shots:
            report.gaps.append(Gap(what="screenshots", why="no dashboard screenshot was uploaded",
                                   would_settle="a dashboard screenshot of the affected service (optional)"))
        def read(art: Any) -> Any:
            try:
                return read_screenshot(art.image(), artifact_id=art.id, name=art.name, reference_date=ref_date, ocr=ocr)
            except WorkbenchError as exc:
                return exc

        if shots:
            ctx.progress("vision", f"reading {len(shots)} screenshot(s): OCR and chart reading")
        # Screenshots are read in parallel: in forked processes where allowed (the reading is mostly
        # Python), else two threads (one's Python work runs while the other waits for tesseract).
        results = fork_map(read, shots, processes=ctx.settings.agent_processes)
        for art, reading in zip(shots, results):
            if isinstance(reading, WorkbenchError):
                report.gaps.append(Gap(what=f"screenshot {art.name}", why=str(reading),
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
