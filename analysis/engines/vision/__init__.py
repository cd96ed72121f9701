"""Vision engine: read dashboard screenshots offline (panels, titles, axes, plotted lines, alerts)."""

from analysis.engines.vision.models import PanelAnomaly, PanelReading, ScreenshotReading
from analysis.engines.vision.reader import read_screenshot

__all__ = ["PanelAnomaly", "PanelReading", "ScreenshotReading", "read_screenshot"]
