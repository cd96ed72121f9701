"""End-to-end reading of rendered dashboards with known content (dark Grafana-like, light CloudWatch-like)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from PIL import Image

from analysis.cli.main import main
from analysis.engines.vision import read_screenshot
from analysis.engines.vision.ocr import TesseractOcr
from analysis.errors import AnalysisError
from vision_render import PanelSpec, render_dashboard, series

START = datetime(2024, 3, 12, 10, 0)
N = 240  # points over 240 minutes: one per minute


def _title_ok(read: str, truth: str) -> bool:
    from difflib import SequenceMatcher
    return SequenceMatcher(None, read.lower(), truth.lower()).ratio() >= 0.9


@pytest.fixture(scope="module")
def dark_incident():
    panels = [
        PanelSpec("Requests / min", [series("noisy", seed=1, base=600, noise=20)], names=["2xx"]),
        PanelSpec("Error rate", [series("step_up", seed=2, base=1, noise=0.2, size=20, at=144)], unit="%",
                  names=["checkout"], alert=True, threshold=5),
        PanelSpec("p99 latency", [series("seasonal", seed=3, base=300, amp=80)], unit="ms", names=["p99"]),
        PanelSpec("Pods ready", [series("flat", base=3)], names=["pods"]),
    ]
    img = render_dashboard(panels, theme="dark", start=START, minutes=240)
    return panels, read_screenshot(img, artifact_id="a1", name="dark.png", reference_date=date(2024, 3, 12))


def test_dark_dashboard_panels_titles_and_incident(dark_incident):
    panels, r = dark_incident
    assert r.theme == "dark"
    assert len(r.panels) == 4
    for spec, p in zip(panels, r.panels):
        assert _title_ok(p.title, spec.title), (p.title, spec.title)
        assert p.kind == "timeseries"
    assert r.incident_visible
    err = r.panels[1]
    assert err.alerting and err.unit == "%"
    assert err.anomalies and err.anomalies[0].direction == "up"
    onset = datetime(2024, 3, 12, 12, 24, tzinfo=timezone.utc)  # point 144 of 240 one-minute points
    assert abs(err.anomalies[0].start - onset) <= timedelta(minutes=5)
    # healthy neighbours stay quiet
    for p in (r.panels[0], r.panels[2], r.panels[3]):
        assert not p.alerting and not p.anomalies, p.title
    kinds = {f.kind for f in r.findings}
    assert {"alert_state", "screenshot_anomaly"} <= kinds
    f = next(f for f in r.findings if f.kind == "screenshot_anomaly")
    assert f.agent == "vision" and f.evidence[0].kind == "image_region" and len(f.evidence[0].bbox) == 4


def test_light_cloudwatch_drop_direction_and_units():
    panels = [
        PanelSpec("CPUUtilization (Percent)", [series("step_down", seed=4, base=60, noise=2, size=50, at=100, n=180)],
                  unit="%", names=["db-1"]),
        PanelSpec("DatabaseConnections (Count)", [series("noisy", seed=5, base=50, noise=3, n=180)], names=["db-1"]),
        PanelSpec("ReadLatency (Milliseconds)", [series("flat", base=12, n=180)], unit="ms", names=["db-1"]),
    ]
    img = render_dashboard(panels, theme="light", start=START, minutes=180, cols=3)
    r = read_screenshot(img, artifact_id="a2", name="light.png", reference_date=date(2024, 3, 12))
    assert r.theme == "light" and len(r.panels) == 3
    cpu = r.panels[0]
    assert _title_ok(cpu.title, panels[0].title)
    assert cpu.anomalies and cpu.anomalies[0].direction == "down"
    assert abs(cpu.anomalies[0].start - datetime(2024, 3, 12, 11, 40, tzinfo=timezone.utc)) <= timedelta(minutes=5)
    assert r.panels[1].unit == "Count" and r.panels[2].unit == "ms"
    assert not r.panels[1].anomalies and not r.panels[2].anomalies


def test_healthy_dashboards_show_no_incident():
    for theme, seed in (("dark", 11), ("light", 12)):
        panels = [
            PanelSpec("Flat", [series("flat", base=5)]),
            PanelSpec("Noisy", [series("noisy", seed=seed, base=200, noise=25)]),
            PanelSpec("Daily cycle", [series("seasonal", seed=seed + 1, base=500, amp=200, noise=8)], unit="req/s"),
            PanelSpec("Two noisy series", [series("noisy", seed=seed + 2, base=80, noise=6),
                                           series("noisy", seed=seed + 3, base=40, noise=6)], unit="ms")
            if theme == "light" else
            PanelSpec("Latency with one blip", [series("spike", seed=seed + 2, base=80, noise=3, size=150)], unit="ms"),
        ]
        img = render_dashboard(panels, theme=theme, start=START, minutes=1440)
        r = read_screenshot(img, artifact_id="h", name=f"healthy-{theme}.png", reference_date=date(2024, 3, 12))
        assert not r.incident_visible, [(p.title, p.anomalies, p.alert_reasons) for p in r.panels]
        assert not any(p.anomalies for p in r.panels[:3])
        if theme == "dark":  # a lone blip is reported, but is not an incident on its own
            assert [a.kind for a in r.panels[3].anomalies] == ["spike"]


def test_missing_tesseract_is_a_clear_error(dark_incident):
    img = Image.new("RGB", (400, 300), (20, 20, 20))
    with pytest.raises(AnalysisError, match="tesseract"):
        read_screenshot(img, artifact_id="x", name="x.png", ocr=TesseractOcr(cmd="/nonexistent/tesseract"))


def test_cli_json_shape(tmp_path):
    panels = [PanelSpec("Error rate", [series("step_up", seed=2, base=1, noise=0.2, size=20, at=144)], unit="%",
                        alert=True)]
    img = render_dashboard(panels, theme="dark", start=START, minutes=240, cols=1, size=(900, 500))
    path = tmp_path / "dash.png"
    img.save(path)
    out = io.StringIO()
    assert main(["screenshot", str(path), "--json", "--date", "2024-03-12"], out=out) == 0
    data = json.loads(out.getvalue())
    assert data["incident_visible"] is True
    p = data["panels"][0]
    assert {"title", "bbox", "unit", "anomalies"} <= set(p)
    a = p["anomalies"][0]
    assert a["direction"] == "up" and a["start"].startswith("2024-03-12T12:") and a["start"].endswith("Z") is False or "+00:00" in a["start"] or a["start"].endswith("Z")
    assert len(a["bbox"]) == 4


def test_cli_rejects_corrupt_and_bomb_images(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    err = io.StringIO()
    assert main(["screenshot", str(bad)], out=io.StringIO(), err=err) == 2
    assert "not a readable image" in err.getvalue()
    # a tiny PNG that declares 100000 x 100000 pixels
    import struct
    import zlib
    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
                     + chunk(b"IEND", b""))
    err = io.StringIO()
    assert main(["screenshot", str(bomb)], out=io.StringIO(), err=err) == 2
    assert "pixels" in err.getvalue() or "bomb" in err.getvalue()


def test_matplotlib_figure_with_bare_plot_frames():
    """Charts without panel cards (titles and ticks outside the axes frame), rendered by matplotlib."""
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    t = pd.date_range("2024-03-12 06:00", periods=180, freq="min")
    rng = np.random.default_rng(3)
    ys = [40 + rng.normal(0, 1.5, t.size), 0.5 + rng.normal(0, 0.05, t.size) + np.where(np.arange(t.size) >= 120, 8, 0)]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), dpi=100)
    for ax, y, title in zip(axes, ys, ["Queue depth", "Errors per second"]):
        ax.plot(t, y, color="tab:blue", linewidth=1.5)
        ax.set_title(title, loc="left")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    r = read_screenshot(img, artifact_id="m", name="mpl.png", reference_date=date(2024, 3, 12))
    assert [p.title for p in r.panels] == ["Queue depth", "Errors per second"]
    assert not r.panels[0].anomalies
    err = r.panels[1]
    assert err.anomalies and err.anomalies[0].direction == "up"
    assert abs(err.anomalies[0].start - datetime(2024, 3, 12, 8, 0, tzinfo=timezone.utc)) <= timedelta(minutes=5)
    assert r.incident_visible
