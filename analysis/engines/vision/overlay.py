"""Annotated copies of a screenshot: detected panels, plot areas and anomaly regions drawn over it.

Pure Pillow; the UI shows the returned image and crops evidence regions with :func:`crop_region`.
The original image is never modified.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from .models import ScreenshotReading

PANEL = (80, 160, 255)
PLOT = (150, 150, 150)
ANOMALY_UP = (255, 60, 60)
ANOMALY_DOWN = (255, 170, 0)
ALERT = (255, 0, 120)


def draw_overlay(image: Image.Image, reading: ScreenshotReading, *, show_plot: bool = False) -> Image.Image:
    """A copy of ``image`` with panel boxes (blue; pink when alerting) and anomaly boxes (red up, amber down)."""
    out = image.convert("RGB").copy()
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    for k, p in enumerate(reading.panels):
        color = ALERT if p.alerting else PANEL
        d.rectangle(p.bbox, outline=color + (255,), width=3 if p.alerting else 2)
        d.text((p.bbox[0] + 4, max(0, p.bbox[1] - 12)), f"{k + 1}", fill=color + (255,))
        if show_plot and p.plot_bbox:
            d.rectangle(p.plot_bbox, outline=PLOT + (200,), width=1)
        for a in p.anomalies:
            c = ANOMALY_UP if a.direction == "up" else ANOMALY_DOWN
            d.rectangle(a.bbox, outline=c + (255,), fill=c + (50,), width=2)
    return Image.alpha_composite(out.convert("RGBA"), layer).convert("RGB")


def crop_region(image: Image.Image, bbox: list[int], pad: int = 24) -> Image.Image:
    """The evidence region ``bbox`` (plus some context) cut out of ``image``."""
    x0, y0, x1, y1 = bbox
    w, h = image.size
    return image.crop((max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)))
