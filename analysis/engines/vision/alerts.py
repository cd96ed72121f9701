"""Alert state of a panel: alert badges, alert words, crossed threshold lines, red alert bands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from .layout import Box
    from .series import PlotTrace

_ALERT_WORDS = re.compile(r"^\W{0,3}\w?\W{0,2}(alert(?:ing)?|in\s*alarm|alarm|firing|breached)\W*$", re.I)
_OK_WORDS = re.compile(r"\b(ok|normal|resolved|no\s*data|insufficient)\b", re.I)


def is_alert_text(text: str) -> bool:
    """Is this text line an alert badge label (``ALERT``, ``Alerting``, ``In alarm``, ``Firing``)?

    Only a line that says just that (an icon glyph in front is fine) counts, so titles such as
    "Alarm count" or "Firing alerts" do not.
    """
    return bool(_ALERT_WORDS.match(text.strip()))


def crossed(rows: np.ndarray, y: int) -> bool:
    """Did a traced line cross a horizontal threshold at row ``y`` (start one side, later the other)?"""
    v = rows[np.isfinite(rows)]
    if v.size < 20:
        return False
    above = v < y - 2
    below = v > y + 2
    head = max(5, v.size // 5)
    if above[:head].mean() >= 0.8:
        return bool(below[head:].mean() >= 0.05)
    if below[:head].mean() >= 0.8:
        return bool(above[head:].mean() >= 0.05)
    return False


def alert_state(badges: Sequence["Box"], texts: Sequence[str], trace: "PlotTrace | None",
                series_rows: Sequence[np.ndarray], red_band: bool = False) -> tuple[bool, list[str]]:
    """(alerting, reasons) for one panel."""
    reasons: list[str] = []
    words = [t for t in texts if is_alert_text(t) and not _OK_WORDS.search(t)]
    if badges:
        reasons.append("alert badge" + (f" '{words[0]}'" if words else ""))
    elif words:
        reasons.append(f"alert text '{words[0]}'")
    if trace is not None:
        for t in trace.thresholds:
            if any(crossed(r, t.y) for r in series_rows):
                reasons.append("threshold line crossed")
                break
    if red_band and reasons:
        reasons.append("red alert band")
    return bool(reasons), reasons
