"""Synthetic dashboard screenshots with known content (Pillow only), for the vision engine tests.

``render_dashboard`` draws a grid of time-series panels in a dark Grafana-like or light
CloudWatch-like style: title, optional alert badge, y tick labels with a unit, HH:MM x ticks,
gridlines, one or more coloured lines, optional dashed threshold, legend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from PIL import Image, ImageDraw, ImageFont

STYLES = {
    "dark": dict(page=(17, 18, 23), panel=(24, 27, 31), border=(42, 45, 51), text=(204, 204, 220),
                 tick=(142, 142, 150), grid=(38, 41, 46), header=(24, 27, 31),
                 colors=[(115, 191, 105), (250, 222, 42), (138, 184, 255), (255, 120, 10)]),
    "light": dict(page=(242, 243, 243), panel=(255, 255, 255), border=(213, 219, 219), text=(22, 25, 31),
                  tick=(84, 91, 100), grid=(233, 235, 237), header=(35, 47, 62),
                  colors=[(31, 119, 180), (255, 127, 14), (44, 160, 44), (148, 103, 189)]),
}


@dataclass
class PanelSpec:
    title: str
    series: list[np.ndarray]
    unit: str = ""
    names: list[str] = field(default_factory=list)
    alert: bool = False
    threshold: float | None = None


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    raw = span / n
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=mag * 10)
    start = np.floor(lo / step) * step
    return [float(v) for v in np.arange(start, hi + step * 0.5, step) if lo - 1e-9 <= v <= hi + 1e-9]


def _fmt(v: float, unit: str) -> str:
    if abs(v) >= 1000:
        s = f"{v / 1000:g}K"
    else:
        s = f"{v:g}"
    return f"{s} {unit}".strip() if unit and unit != "%" else (f"{s}%" if unit == "%" else s)


def render_dashboard(panels: list[PanelSpec], *, theme: str = "dark", start: datetime, minutes: int,
                     title: str = "Service overview", cols: int = 2, size: tuple[int, int] = (1600, 900),
                     tz_label: str = "UTC") -> Image.Image:
    st = STYLES[theme]
    W, H = size
    img = Image.new("RGB", size, st["page"])
    d = ImageDraw.Draw(img)
    f_title, f_tick, f_head = _font(15), _font(12), _font(15)
    d.rectangle([0, 0, W, 62], fill=st["header"])
    head_text = (204, 204, 220) if theme == "dark" else (255, 255, 255)
    d.text((18, 24), f"Home  ›  Dashboards  ›  {title}", fill=head_text, font=f_head)
    d.text((W - 260, 24), f"Last {minutes // 60} hours   {tz_label}", fill=head_text, font=f_head)
    rows = -(-len(panels) // cols)
    gx, gy, top = 12, 10, 76
    pw = (W - gx * (cols + 1)) // cols
    ph = (H - top - gy * (rows + 1)) // rows
    for k, spec in enumerate(panels):
        r, c = divmod(k, cols)
        x0 = gx + c * (pw + gx)
        y0 = top + r * (ph + gy)
        d.rectangle([x0, y0, x0 + pw - 1, y0 + ph - 1], fill=st["panel"], outline=st["border"])
        d.text((x0 + 12, y0 + 10), spec.title, fill=st["text"], font=f_title)
        if spec.alert:
            bx = x0 + pw - 80
            d.rounded_rectangle([bx, y0 + 8, bx + 68, y0 + 28], radius=3, fill=(242, 73, 92))
            d.text((bx + 10, y0 + 11), "ALERT", fill=(255, 255, 255), font=f_tick)
        allv = np.concatenate(spec.series)
        lo = 0.0 if allv.min() >= 0 else float(allv.min())
        hi = float(max(allv.max(), spec.threshold or 0)) * 1.08 or 1.0
        ticks = _nice_ticks(lo, hi)
        hi = max(hi, ticks[-1])
        px0, px1 = x0 + 70, x0 + pw - 14
        py0, py1 = y0 + 40, y0 + ph - 48

        def ymap(v: float) -> float:
            return py1 - (v - lo) / (hi - lo) * (py1 - py0)

        for t in ticks:
            yy = ymap(t)
            d.line([px0, yy, px1, yy], fill=st["grid"])
            lab = _fmt(t, spec.unit)
            tw = d.textlength(lab, font=f_tick)
            d.text((px0 - 6 - tw, yy - 7), lab, fill=st["tick"], font=f_tick)
        step_min = 30 if minutes <= 240 else 60
        tt = start.replace(minute=0, second=0, microsecond=0)
        while tt <= start + timedelta(minutes=minutes):
            if tt >= start:
                xx = px0 + (tt - start).total_seconds() / 60 / minutes * (px1 - px0)
                d.line([xx, py0, xx, py1], fill=st["grid"])
                lab = tt.strftime("%H:%M")
                tw = d.textlength(lab, font=f_tick)
                d.text((xx - tw / 2, py1 + 6), lab, fill=st["tick"], font=f_tick)
            tt += timedelta(minutes=step_min)
        if spec.threshold is not None:
            yy = ymap(spec.threshold)
            for xx in range(px0, px1, 10):
                d.line([xx, yy, min(xx + 5, px1), yy], fill=(242, 73, 92), width=1)
        for i, s in enumerate(spec.series):
            color = st["colors"][i % len(st["colors"])]
            xs = np.linspace(px0, px1, s.size)
            pts = [(float(x), float(ymap(v))) for x, v in zip(xs, s)]
            d.line(pts, fill=color, width=2)
            name = spec.names[i] if i < len(spec.names) else f"series-{i + 1}"
            lx = x0 + 16 + i * 140
            ly = y0 + ph - 22
            d.rectangle([lx, ly + 5, lx + 16, ly + 8], fill=color)
            d.text((lx + 22, ly), name, fill=st["tick"], font=f_tick)
    return img


def series(kind: str, n: int = 240, seed: int = 0, **kw: float) -> np.ndarray:
    """Known test shapes: flat, noisy, seasonal, step_up, step_down, ramp_up, ramp_down, spike."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    base = kw.get("base", 100.0)
    noise = rng.normal(0, kw.get("noise", 2.0), n)
    if kind == "flat":
        return np.full(n, base)
    if kind == "noisy":
        return base + rng.normal(0, kw.get("noise", 12.0), n)
    if kind == "seasonal":
        return base + kw.get("amp", 40.0) * np.sin(2 * np.pi * t / n - 1.2) + noise
    at = int(kw.get("at", n * 0.6))
    if kind == "step_up":
        return base + noise + np.where(t >= at, kw.get("size", 200.0), 0.0)
    if kind == "step_down":
        return base + noise - np.where(t >= at, kw.get("size", 80.0), 0.0)
    if kind in ("ramp_up", "ramp_down"):
        ramp = np.clip((t - at) / max(1, kw.get("ramp_len", n * 0.2)), 0, 1) * kw.get("size", 200.0)
        return base + noise + (ramp if kind == "ramp_up" else -ramp)
    if kind == "spike":
        out = base + noise
        out[at:at + 3] += kw.get("size", 300.0)
        return out
    raise ValueError(kind)
