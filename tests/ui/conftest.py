"""AppTest fixtures: a fresh data directory per test, cleared Streamlit caches, small artifact bytes."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import streamlit as st
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = str(REPO_ROOT / "app.py")
T0 = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)


def make_log() -> bytes:
    """Normal INFO traffic, then a deploy and a burst of connection-pool errors."""
    lines = []
    for i in range(120):
        ts = (T0 + timedelta(seconds=10 * i)).strftime("%Y-%m-%d %H:%M:%S.000")
        if i == 60:
            lines.append(f"{ts} INFO  [main] c.e.Deploy : Deployed checkout version 2.4.1 (was 2.4.0)")
        elif i > 60 and i % 2 == 0:
            lines.append(f"{ts} ERROR [exec-{i % 7}] c.e.Db : Timeout acquiring connection from pool "
                         "HikariPool-1 after 30000ms (active=50, idle=0, waiting=37)")
        else:
            lines.append(f"{ts} INFO  [exec-{i % 7}] c.e.Orders : Order ORD-{1000 + i} placed in {80 + i % 40} ms")
    return ("\n".join(lines) + "\n").encode()


def make_csv() -> bytes:
    rows = ["timestamp,checkout_5xx_per_min,checkout_p99_ms"]
    for i in range(60):
        ts = (T0 + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        bad = i >= 30
        rows.append(f"{ts},{(40 + i % 3) if bad else (i % 2)},{(2400 + 10 * (i % 5)) if bad else (180 + i % 7)}")
    return ("\n".join(rows) + "\n").encode()


def make_png() -> bytes:
    img = Image.new("RGB", (320, 200), "white")
    ImageDraw.Draw(img).line([(10, 180), (160, 170), (170, 40), (310, 30)], fill="red", width=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def make_evil_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../x", b"pwned")
    return buf.getvalue()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    monkeypatch.setenv("SREWB_DATA_DIR", str(d))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield d
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def samples_dir(tmp_path, monkeypatch) -> Path:
    """A samples folder of our own (the shipped samples may change)."""
    root = tmp_path / "samples"
    sample = root / "tiny-checkout"
    (sample / "logs").mkdir(parents=True)
    (sample / "metrics").mkdir()
    (sample / "incident.json").write_text(json.dumps(
        {"title": "Tiny checkout outage", "description": "fixture", "services": ["checkout"], "severity": "SEV2"}))
    (sample / "logs" / "checkout.log").write_bytes(make_log())
    (sample / "metrics" / "checkout.csv").write_bytes(make_csv())
    import analysis.settings as settings_module

    monkeypatch.setattr(settings_module, "SAMPLES_DIR", root)
    return root


def new_app(timeout: float = 120) -> AppTest:
    return AppTest.from_file(APP, default_timeout=timeout)


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def assert_clean(at: AppTest) -> None:
    """No traceback and no internal-error sentence on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in texts(at, "error") if "Something went wrong inside the workbench" in e], texts(at, "error")
