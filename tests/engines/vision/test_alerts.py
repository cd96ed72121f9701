"""Alert badge words and threshold crossing."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.engines.vision.alerts import crossed, is_alert_text


@pytest.mark.parametrize("text,expected", [
    ("ALERT", True), ("¥ ALERT", True), ("In alarm", True), ("Alerting", True), ("Firing", True),
    ("Alarm count", False), ("Firing alerts", False), ("Alerts fired", False), ("Critical errors", False),
])
def test_alert_badge_words(text, expected):
    assert is_alert_text(text) is expected


def test_threshold_crossing_either_way():
    rows = np.full(200, 300.0)
    rows[150:] = 100.0  # the line rises above a threshold drawn at row 200
    assert crossed(rows, 200)
    assert crossed(400 - rows, 200)  # falls below it
    assert not crossed(np.full(200, 300.0), 200)
    touching = np.full(200, 300.0)
    touching[100:] = 201.0  # reaches the line without crossing it
    assert not crossed(touching, 200)
