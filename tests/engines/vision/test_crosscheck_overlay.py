"""Screenshot vs metric CSV cross-check, and the overlay drawing (no OCR needed)."""

from __future__ import annotations

from datetime import datetime, timezone

from PIL import Image

from analysis.engines.vision.crosscheck import cross_check, match_score, name_tokens
from analysis.engines.vision.models import PanelAnomaly, PanelReading, ScreenshotReading
from analysis.engines.vision.overlay import crop_region, draw_overlay

T = datetime(2024, 5, 7, 7, 41, tzinfo=timezone.utc)


def _reading() -> ScreenshotReading:
    up = PanelAnomaly(bbox=[400, 100, 420, 300], direction="up", start=T, kind="level_shift", score=0.9)
    return ScreenshotReading(artifact_id="s1", name="rds.png", width=800, height=400, theme="light", panels=[
        PanelReading(title="CPUUtilization (Percent)", bbox=[10, 10, 390, 390], anomalies=[up]),
        PanelReading(title="ReadLatency (Seconds)", bbox=[400, 10, 790, 390], anomalies=[up]),
        PanelReading(title="Pods ready", bbox=[0, 0, 5, 5]),
    ])


def test_name_tokens_split_camel_and_snake():
    assert name_tokens("CPUUtilization (Percent)") == {"cpu", "utilization"}
    assert name_tokens("rds_cpu_utilization") == {"rds", "cpu", "utilization"}
    assert match_score("CPUUtilization (Percent)", "cpu_utilization") == 1.0
    assert match_score("Pods ready", "cpu_utilization") == 0.0


def test_cross_check_agrees_and_disagrees():
    metrics = [{"artifact_id": "m1", "name": "rds.csv", "series": [
        {"name": "cpu_utilization", "anomalies": [{"direction": "up", "start": T.replace(minute=44)}], "change_points": []},
        {"name": "read_latency", "anomalies": [], "change_points": []},
    ]}]
    found = {f.attributes["panel"]: f for f in cross_check(_reading(), metrics)}
    assert set(found) == {"CPUUtilization (Percent)", "ReadLatency (Seconds)"}
    assert found["CPUUtilization (Percent)"].attributes["verdict"] == "agrees"
    assert found["ReadLatency (Seconds)"].attributes["verdict"] == "disagrees"
    assert [e.kind for e in found["ReadLatency (Seconds)"].evidence] == ["image_region", "metric_window"]


def test_overlay_draws_without_touching_the_original():
    img = Image.new("RGB", (800, 400), (255, 255, 255))
    out = draw_overlay(img, _reading(), show_plot=True)
    assert img.getpixel((10, 10)) == (255, 255, 255)
    assert out.getpixel((10, 10)) != (255, 255, 255)  # panel outline
    assert out.getpixel((410, 200)) != (255, 255, 255)  # anomaly fill
    assert crop_region(img, [400, 100, 420, 300]).size == (68, 248)
