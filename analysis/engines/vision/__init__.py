"""Vision engine: read dashboard screenshots offline (panels, titles, axes, plotted lines, alerts)."""

from analysis.engines.vision.crosscheck import cross_check
from analysis.engines.vision.models import PanelAnomaly, PanelReading, ScreenshotReading
from analysis.engines.vision.overlay import crop_region, draw_overlay
from analysis.engines.vision.reader import read_screenshot

__all__ = ["PanelAnomaly", "PanelReading", "ScreenshotReading", "cross_check", "crop_region", "draw_overlay",
           "read_screenshot"]
