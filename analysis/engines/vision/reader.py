"""Reading one dashboard screenshot end to end: layout -> OCR -> axes -> lines -> anomalies -> findings.

:func:`read_screenshot` is the engine's public entry point. It is deterministic for a given image
and OCR engine; the OCR engine is injected (default: tesseract).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import numpy as np
from PIL import Image

from analysis.errors import AnalysisError
from analysis.models import EvidenceRef, Finding

from . import alerts
from .axes import (XAxis, YAxis, find_date, fit_x_axis, fit_y_axis, parse_clock, parse_tick_date, parse_tz_offset,
                   parse_value)
from .components import component_boxes
from .detect import detect_events
from .layout import Box, Pixels, dominant_level, find_panels, find_text_boxes, theme_of
from .models import PanelAnomaly, PanelReading, ScreenshotReading
from .ocr import OcrEngine, TesseractOcr
from .series import PlotTrace, color_name, trace_plot

#: Refuse to analyse images larger than this (the ingest layer has its own, configurable limit).
MAX_PIXELS = 60_000_000
#: Images wider than this are read downscaled to ``WORK_WIDTH`` (bboxes still refer to the original).
MAX_WORK_WIDTH = 2400
WORK_WIDTH = 1600
_TITLE_BAND = 42


@dataclass
class _Line:
    box: Box
    text: str
    conf: float


@dataclass
class _PanelWork:
    box: Box
    lines: list[_Line] = field(default_factory=list)


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" |_~-—=°'\"`")


def _badge_boxes(px: Pixels, panel: Box) -> list[Box]:
    """Red/orange filled rectangles in the panel's title band (alert badges)."""
    band = Box(panel.x0, panel.y0, panel.x1, min(panel.y1, panel.y0 + _TITLE_BAND))
    a = px.rgb[band.y0:band.y1, band.x0:band.x1]
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    m = (r >= 170) & (r - g >= 80) & (r - b >= 60)
    out = []
    for x0, y0, x1, y1 in component_boxes(m):
        if y1 - y0 >= 10 and x1 - x0 >= 24 and m[y0:y1, x0:x1].mean() >= 0.5:
            out.append(Box(band.x0 + x0, band.y0 + y0, band.x0 + x1, band.y0 + y1))
    return out


def read_screenshot(image: Image.Image, *, artifact_id: str, name: str,
                    reference_date: date | Callable[[], date | None] | None = None,
                    ocr: OcrEngine | None = None, detector: str = "auto") -> ScreenshotReading:
    """Read a dashboard screenshot: panels, titles, units, time axis, what spiked and alert state.

    ``reference_date`` is the (local) date shown at the right end of the time axes, usually the
    incident date; without it (and without a date printed on the page) anomaly times are ``None``.
    It may be a function, called once the text is read (so its value may still be on its way).
    ``ocr`` defaults to :class:`TesseractOcr`; ``detector`` is ``auto`` (the metric engine's
    detector), ``metrics`` or ``builtin``.
    """
    w, h = image.size
    if w * h > MAX_PIXELS:
        raise AnalysisError(f"{name} is {w}x{h} pixels, too large to analyse: upload a screenshot under "
                            f"{MAX_PIXELS // 1_000_000} megapixels.")
    if w < 50 or h < 50:
        raise AnalysisError(f"{name} is only {w}x{h} pixels: upload a full dashboard screenshot.")
    ocr = ocr or TesseractOcr()
    work = image.convert("RGB")
    scale = 1.0
    if w > MAX_WORK_WIDTH:  # HiDPI / 4K captures: read at ordinary UI scale, report original pixels
        scale = w / WORK_WIDTH
        work = work.resize((WORK_WIDTH, max(50, round(h / scale))), Image.Resampling.LANCZOS)
    rgb = np.asarray(work)
    px = Pixels.of(rgb)
    theme = theme_of(px)
    notes: list[str] = []
    boxes = find_panels(px)
    if not boxes:
        boxes = [Box(0, 0, w, h)]
        notes.append("no panel grid found: the whole image was read as one panel")
    # 1. text boxes everywhere, one OCR pass
    all_boxes: list[tuple[int, Box]] = []  # (panel index or -1 for header, box)
    inside = [find_text_boxes(px, b) for b in boxes]
    works = []
    for i, b in enumerate(boxes):
        frame = _frame_region(b, boxes, w, h) if len(inside[i]) < 2 else None
        if frame is not None:  # a bare plot frame (matplotlib-like): its labels sit outside it
            outside = [tb for tb in find_text_boxes(px, frame, margin=1) if not b.contains(tb, 2)]
            inside[i] = inside[i] + outside
            works.append(_PanelWork(frame))
        else:
            works.append(_PanelWork(b))
    for i, pw in enumerate(works):
        for tb in inside[i]:
            all_boxes.append((i, tb))
        for bb in _badge_boxes(px, pw.box):
            all_boxes.append((i, Box(bb.x0 + 2, bb.y0 + 2, bb.x1 - 2, bb.y1 - 2)))
    page_top = min(pw.box.y0 for pw in works)
    header = Box(0, 0, w, page_top) if page_top >= 15 else None
    if header is not None:
        for tb in find_text_boxes(px, header, margin=1):
            all_boxes.append((-1, tb))
    texts = ocr.read_lines(px.lum, [b for _, b in all_boxes], theme == "dark")
    header_lines: list[_Line] = []
    for (i, b), (txt, conf) in zip(all_boxes, texts):
        line = _Line(b, _clean(txt), conf)
        if not line.text:
            continue
        (header_lines if i < 0 else works[i].lines).append(line)

    all_text = [ln.text for ln in sorted(header_lines, key=lambda l: (l.box.y0, l.box.x0))]
    tz_off, tz_note = parse_tz_offset(all_text)
    page_date = find_date(all_text)
    ref = (reference_date() if callable(reference_date) else reference_date) or page_date
    if tz_off is None:
        notes.append(tz_note)
    if ref is None:
        notes.append("the time axis shows times of day only and no reference date was given: "
                     "anomaly times are left empty")

    panels: list[PanelReading] = []
    for k, pw in enumerate(works):
        panels.append(_read_panel(px, pw, k, ref, tz_off, notes, detector))
    for pw in works:
        all_text.extend(ln.text for ln in sorted(pw.lines, key=lambda l: (l.box.y0, l.box.x0)))

    if detector != "builtin":
        from .detect import detector_name
        if detector_name() != "metrics.detect_series":
            notes.append("metric engine detector unavailable: the built-in step/spike detector was used")
    reading = ScreenshotReading(
        artifact_id=artifact_id, name=name, width=w, height=h, theme=theme, panels=panels,
        ocr_engine=getattr(ocr, "name", type(ocr).__name__), text=all_text, notes=sorted(set(notes), key=notes.index))
    if scale != 1.0:
        _rescale(reading, scale, w, h)
    reading.findings = _findings(reading)
    reading.incident_visible = incident_visible(panels)
    return reading


def _rescale(reading: ScreenshotReading, f: float, w: int, h: int) -> None:
    def sc(b: list[int] | None) -> list[int] | None:
        if b is None:
            return None
        x0, y0, x1, y1 = b
        return [max(0, int(x0 * f)), max(0, int(y0 * f)), min(w, int(round(x1 * f))), min(h, int(round(y1 * f)))]

    for p in reading.panels:
        p.bbox = sc(p.bbox) or p.bbox
        p.plot_bbox = sc(p.plot_bbox)
        for a in p.anomalies:
            a.bbox = sc(a.bbox) or a.bbox
    reading.notes.append(f"read at {100 / f:.0f} % scale (a {w}x{h} high-resolution capture)")


def incident_visible(panels: list[PanelReading]) -> bool:
    """Does the dashboard show an incident?

    Yes when a panel is alerting, when a line shifts level or departs from its baseline for good,
    or when spikes/dips line up in time on two or more panels. A lone spike is not enough: on an
    autoscaled chart the biggest blip of a healthy day always looks tall.
    """
    if any(p.alerting for p in panels):
        return True
    lasting = ("level_shift", "trend_change", "departure")
    if any(a.kind in lasting and a.score >= 0.6 for p in panels for a in p.anomalies):
        return True
    blips = []
    for k, p in enumerate(panels):
        pb = p.plot_bbox or p.bbox
        for a in p.anomalies:
            if a.kind in lasting or a.score < 0.6:
                continue
            if a.start is not None and a.end is not None:
                blips.append((k, a.start.timestamp(), a.end.timestamp(), "t"))
            else:
                span = max(1, pb[2] - pb[0])
                blips.append((k, (a.bbox[0] - pb[0]) / span, (a.bbox[2] - pb[0]) / span, "x"))
    for i, (k1, s1, e1, u1) in enumerate(blips):
        for k2, s2, e2, u2 in blips[i + 1:]:
            slack = 300.0 if u1 == "t" else 0.02
            if k1 != k2 and u1 == u2 and s1 <= e2 + slack and s2 <= e1 + slack:
                return True
    return False


def _frame_region(b: Box, boxes: list[Box], w: int, h: int) -> Box | None:
    """The box around a bare plot frame that holds its title (above), y ticks (left), x ticks (below)."""
    x0, y0, x1, y1 = max(0, b.x0 - 90), max(0, b.y0 - 40), min(w, b.x1 + 4), min(h, b.y1 + 40)
    for o in boxes:
        if o == b:
            continue
        if o.y1 <= b.y0 and o.x0 < b.x1 and o.x1 > b.x0:  # neighbour above
            y0 = max(y0, o.y1 + 1 + (b.y0 - o.y1) // 2 if b.y0 - o.y1 > 60 else o.y1 + 1)
        if o.y0 >= b.y1 and o.x0 < b.x1 and o.x1 > b.x0:  # neighbour below
            y1 = min(y1, o.y0 - 1)
        if o.x1 <= b.x0 and o.y0 < b.y1 and o.y1 > b.y0:  # neighbour left
            x0 = max(x0, o.x1 + 1)
    if y0 >= b.y0 - 8 and x0 >= b.x0 - 8:
        return None
    return Box(x0, y0, x1, y1)


def _read_panel(px: Pixels, pw: _PanelWork, k: int, ref: date | None, tz_off: timedelta | None,
                notes: list[str], detector: str) -> PanelReading:
    pb = pw.box
    lines = sorted(pw.lines, key=lambda l: (l.box.y0, l.box.x0))
    bg = dominant_level(px.lum[pb.y0:pb.y1, pb.x0:pb.x1])
    badges = _badge_boxes(px, pb)

    # title: the top-most text row in the title band, outside badges
    title_lines: list[_Line] = []
    top = [ln for ln in lines if ln.box.y0 < pb.y0 + _TITLE_BAND and not any(b.contains(ln.box, 3) for b in badges)
           and not alerts.is_alert_text(ln.text)]
    if top:
        first = min(top, key=lambda l: l.box.cy)
        title_lines = sorted([ln for ln in top if abs(ln.box.cy - first.box.cy) <= 6], key=lambda l: l.box.x0)
        # A time/value label is not a title
        title_lines = [ln for ln in title_lines if parse_clock(ln.text) is None]
    title = " ".join(ln.text for ln in title_lines).strip()
    title_bottom = max((ln.box.y1 for ln in title_lines), default=pb.y0 + 4)
    body = [ln for ln in lines if ln not in title_lines]

    # x axis: the row with most clock labels
    clocks = [(ln, parse_clock(ln.text)) for ln in body]
    clocks = [(ln, s) for ln, s in clocks if s is not None]
    if len(clocks) < 2:  # multi-day ranges label ticks with dates only ("03/12", "Mar 12")
        clocks = [(ln, 0) for ln in body if len(ln.text) <= 8 and parse_tick_date(ln.text) is not None
                  and ln.box.y0 > pb.y0 + 0.5 * pb.h]
    x_row: list[tuple[_Line, int]] = []
    if clocks:
        best: list[tuple[_Line, int]] = []
        for ln, _ in clocks:
            row = [(l2, s2) for l2, s2 in clocks if abs(l2.box.cy - ln.box.cy) <= 5]
            if len(row) > len(best):
                best = row
        x_row = sorted(best, key=lambda t: t[0].box.cx) if len(best) >= 2 else []
    x_top = int(np.median([ln.box.y0 for ln, _ in x_row])) if x_row else None

    # y axis: right-aligned numeric labels in the left part, above the x axis row
    nums = []
    for ln in body:
        if x_top is not None and ln.box.cy >= x_top:
            continue
        if ln.box.x1 > pb.x0 + 0.35 * pb.w or ln.box.y0 < title_bottom - 2:
            continue
        tv = parse_value(ln.text)
        if tv is not None:
            nums.append((ln, tv))
    y_labels: list[tuple[_Line, object]] = []
    if nums:
        rights = np.array([ln.box.x1 for ln, _ in nums])
        best_r = max(rights, key=lambda r: int((np.abs(rights - r) <= 6).sum()))
        y_labels = [(ln, tv) for ln, tv in nums if abs(ln.box.x1 - best_r) <= 6]
    yaxis: YAxis | None = fit_y_axis([(ln.box.cy, tv) for ln, tv in y_labels])  # type: ignore[misc]
    xaxis: XAxis | None = fit_x_axis([(ln.box.cx, s) for ln, s in x_row], ref, tz_off,
                                     [parse_tick_date(ln.text) for ln, _ in x_row])

    # plot area
    x0 = (max(ln.box.x1 for ln, _ in y_labels) + 4) if y_labels else pb.x0 + 6
    if x_row:
        x0 = max(x0, int(x_row[0][0].box.x0)) if not y_labels else x0
    y0 = title_bottom + 6
    legend_lines = []
    if x_top is not None:
        y1 = x_top - 1
        legend_lines = [ln for ln in body if ln.box.y0 > x_top + 8 and parse_clock(ln.text) is None]
    else:
        lower = [ln for ln in body if ln.box.y0 > pb.y0 + 0.8 * pb.h and parse_value(ln.text) is None]
        y1 = (min(ln.box.y0 for ln in lower) - 4) if lower else pb.y1 - 6
        legend_lines = lower
    plot = Box(int(x0), int(y0), int(pb.x1 - 6), int(y1))
    reading = PanelReading(title=title, bbox=pb.as_list())
    if plot.w < 40 or plot.h < 30:
        reading.kind = "stat" if any(ln.box.h >= 24 for ln in body) else ("text" if body else "unknown")
        reading.alerting, reading.alert_reasons = alerts.alert_state(badges, [ln.text for ln in lines], None, [])
        return reading
    inside = [ln.box for ln in body if plot.contains(ln.box, 2)]
    trace: PlotTrace = trace_plot(px, plot, bg, inside)
    if trace.series or x_row:
        reading.kind = "timeseries"
    elif any(ln.box.h >= 24 for ln in body):
        reading.kind = "stat"
    elif len(body) >= 6:
        reading.kind = "table"
    elif body:
        reading.kind = "text"
    reading.plot_bbox = plot.as_list()
    reading.unit = yaxis.unit if (yaxis and yaxis.unit) else _unit_from_title(title)
    if yaxis is not None:
        reading.y_min, reading.y_max = yaxis.value(plot.y1), yaxis.value(plot.y0)
    elif trace.series:
        notes.append(f"panel '{title or k + 1}': value axis unreadable")
    if xaxis is not None:
        reading.x_start, reading.x_end = xaxis.time(plot.x0), xaxis.time(plot.x1)
    elif trace.series:
        notes.append(f"panel '{title or k + 1}': time axis unreadable")
    names = _legend_names(px, legend_lines, [s.color for s in trace.series])
    reading.series_names = [names.get(i) or color_name(s.color) for i, s in enumerate(trace.series)]

    secs = None
    if xaxis is not None:
        secs = np.round(xaxis.seconds(np.arange(plot.x0, plot.x1, dtype=float)))
    for si, s in enumerate(trace.series):
        for ev in detect_events(s.rows, plot.h, secs, detector):  # type: ignore[arg-type]
            xa, xb = plot.x0 + ev.i0, plot.x0 + ev.i1
            win = s.rows[ev.i0:ev.i1 + 1]
            win = win[np.isfinite(win)]
            ya = int(np.floor(min(win.min(), ev.before_px))) - 3 if win.size else plot.y0
            yb = int(np.ceil(max(win.max(), ev.before_px))) + 3 if win.size else plot.y1
            mag = base = peak = None
            if yaxis is not None:
                base, peak = yaxis.value(ev.before_px), yaxis.value(ev.after_px)
                mag = (peak / base - 1.0) if abs(base) > 1e-9 * max(1.0, abs(peak)) else peak - base
            reading.anomalies.append(PanelAnomaly(
                bbox=[int(xa), max(plot.y0, ya), int(xb + 1), min(plot.y1, yb)], direction=ev.direction,
                start=xaxis.time(xa) if xaxis else None, end=xaxis.time(xb) if xaxis else None,
                magnitude=None if mag is None else float(round(mag, 4)), kind=ev.kind,
                series=reading.series_names[si], score=round(ev.score, 3),
                baseline=None if base is None else float(base), peak=None if peak is None else float(peak)))
    reading.anomalies.sort(key=lambda a: (-a.score, a.bbox[0]))
    reading.anomalies = reading.anomalies[:4]
    reading.anomalies.sort(key=lambda a: (a.bbox[0], -a.score))
    reading.alerting, reading.alert_reasons = alerts.alert_state(
        badges, [ln.text for ln in lines], trace, [s.rows for s in trace.series], red_band=trace.red_band)
    return reading


def _unit_from_title(title: str) -> str | None:
    m = re.search(r"\(([^()]{1,24})\)\s*$", title)
    if m and not re.search(r"\d\s*(closed|open)", m.group(1)):
        return m.group(1).strip()
    return None


def _legend_names(px: Pixels, legend: list[_Line], colors: list[tuple[int, int, int]]) -> dict[int, str]:
    """Match legend entries to series by the colour swatch drawn left of each legend label."""
    out: dict[int, str] = {}
    if not colors:
        return out
    cents = np.array(colors, dtype=float)
    for ln in sorted(legend, key=lambda l: (l.box.y0, l.box.x0)):
        b = ln.box
        x0 = max(0, b.x0 - 28)
        patch = px.rgb[max(0, int(b.cy) - 3):int(b.cy) + 4, x0:b.x0]
        ch = px.chroma[max(0, int(b.cy) - 3):int(b.cy) + 4, x0:b.x0]
        sel = patch[ch >= 48]
        if sel.shape[0] < 4:
            continue
        c = sel.mean(axis=0)
        d = np.linalg.norm(cents - c, axis=1)
        j = int(np.argmin(d))
        if d[j] <= 70 and j not in out:
            name = ln.text.split(" Mean")[0].split(" Max")[0].strip()
            parts = name.split(" ")
            if len(parts) > 1 and len(parts[0]) == 1:  # the colour swatch read as a character
                name = " ".join(parts[1:])
            name = name.lstrip("»«—-=_~•·*+|:;,. ")
            out[j] = name
    return out


def _findings(r: ScreenshotReading) -> list[Finding]:
    out: list[Finding] = []
    for k, p in enumerate(r.panels):
        label = p.title or f"panel {k + 1}"
        if p.alerting:
            out.append(Finding(
                id=f"vision:{r.artifact_id}:p{k}:alert", agent="vision", kind="alert_state",
                title=f"{label}: alerting on the dashboard", detail="; ".join(p.alert_reasons),
                severity="high", start=p.anomalies[0].start if p.anomalies else None,
                evidence=[EvidenceRef(kind="image_region", artifact_id=r.artifact_id, artifact_name=r.name,
                                      bbox=p.bbox, excerpt=f"{label} — {', '.join(p.alert_reasons)}")],
                score=0.8, attributes={"panel": label, "unit": p.unit}))
        for j, a in enumerate(p.anomalies):
            what = {"spike": "spiked", "dip": "dipped"}.get(a.kind, "rose" if a.direction == "up" else "dropped")
            when = f" at {a.start:%H:%M} UTC" if a.start else ""
            mag = f" ({a.baseline:.4g} → {a.peak:.4g}{' ' + p.unit if p.unit else ''})" if a.peak is not None and a.baseline is not None else ""
            sev = "high" if a.score >= 0.75 else ("medium" if a.score >= 0.5 else "low")
            out.append(Finding(
                id=f"vision:{r.artifact_id}:p{k}:a{j}", agent="vision", kind="screenshot_anomaly",
                title=f"{label}: {a.series + ' ' if a.series and len(p.series_names) > 1 else ''}{what}{when}{mag}",
                detail=f"{a.kind} ({a.direction}) read from the chart pixels of '{label}'",
                severity=sev, start=a.start, end=a.end, score=a.score,
                evidence=[EvidenceRef(kind="image_region", artifact_id=r.artifact_id, artifact_name=r.name,
                                      bbox=a.bbox, start=a.start, end=a.end, series=a.series or None,
                                      excerpt=f"{label}: {what}{when}")],
                attributes={"panel": label, "unit": p.unit, "direction": a.direction, "kind": a.kind,
                            "magnitude": a.magnitude}))
    return out
