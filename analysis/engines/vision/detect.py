"""What moved in a traced chart line: the metric engine's detector plus visual-significance gates.

The series recovered from pixels go through :func:`analysis.engines.metrics.detect_series` (the
same detector the metrics agent uses). Because dashboards autoscale their y axis, an anomaly is
kept only when it is also visually significant: it moves the line by a good fraction of the plot
height and clearly more than the line's own wiggle, and level changes must be abrupt or depart
from a flat baseline (so smooth daily cycles and trends are not reported). When the metric engine
cannot be imported, a small built-in step/spike detector is used instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

import numpy as np
import pandas as pd

from .layout import true_runs

#: Synthetic clock for series whose time axis could not be read (one minute per column).
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
MIN_HEIGHT_FRAC = 0.12
MIN_NOISE_RATIO = 5.0


@dataclass
class Event:
    """An anomaly in column-index space of one traced series."""

    i0: int
    i1: int
    direction: Literal["up", "down"]
    kind: str
    score: float
    delta_px: float
    before_px: float  # pixel row of the level before (after ``detect_events``: image row)
    after_px: float  # pixel row of the peak / new level


def _noise(v: np.ndarray) -> float:
    """Line wiggle in pixels: robust spread of the residual from a short rolling median."""
    s = pd.Series(v)
    r = (s - s.rolling(7, center=True, min_periods=1).median()).to_numpy()
    mad = float(np.median(np.abs(r - np.median(r)))) * 1.4826
    return max(mad, 0.7)


def _metric_detector():  # type: ignore[no-untyped-def]
    try:
        from analysis.engines.metrics import detect_series
    except Exception:  # noqa: BLE001 - engine absent or broken: fall back
        return None
    return detect_series


def detector_name() -> str:
    return "metrics.detect_series" if _metric_detector() is not None else "vision.builtin"


def _fallback(v: np.ndarray) -> list[tuple[int, int, str, str]]:
    """Built-in detector: strongest abrupt steps and spikes, as (i0, i1, direction, kind)."""
    n = v.size
    out: list[tuple[int, int, str, str]] = []
    w = max(6, n // 25)
    s = pd.Series(v)
    left = s.rolling(w, min_periods=w).median().to_numpy()
    right = s[::-1].rolling(w, min_periods=w).median().to_numpy()[::-1]
    step = np.full(n, np.nan)
    step[w:n - w] = right[w:n - w] - left[w - 1:n - w - 1]
    sig = _noise(v)
    if np.isfinite(step).any():
        i = int(np.nanargmax(np.abs(step)))
        if abs(step[i]) >= 6 * sig:
            out.append((i, n - 1, "up" if step[i] > 0 else "down", "level_shift"))
    base = s.rolling(max(15, n // 15), center=True, min_periods=1).median().to_numpy()
    r = v - base
    hot = np.abs(r) >= 8 * sig
    for a, b in true_runs(hot):
        k = a + int(np.argmax(np.abs(r[a:b])))
        out.append((a, b - 1, "up" if r[k] > 0 else "down", "spike" if r[k] > 0 else "dip"))
    return out


def detect_events(rows: np.ndarray, plot_h: int, seconds: np.ndarray | None,
                  detector: Literal["auto", "metrics", "builtin", "ungated"] = "auto") -> list[Event]:
    """Visually significant anomalies of one traced line (``rows`` = pixel rows, NaN = gap).

    ``detector`` picks the candidate generator: the metric engine's ``detect_series`` (``auto``
    falls back to the built-in step/spike detector when it cannot be imported); ``ungated`` (the
    metric detector's raw output, no visual gates) exists only as a benchmark baseline.
    """
    ok = np.isfinite(rows)
    idx = np.flatnonzero(ok)
    if idx.size < 20:
        return []
    v = -rows[idx]  # up is positive
    off = float(v.min())
    v = v - off
    n = v.size
    if seconds is not None and np.all(np.diff(seconds[idx]) > 0):
        ts = pd.to_datetime(np.round(seconds[idx]).astype(np.int64), unit="s", utc=True)
    else:
        ts = pd.DatetimeIndex([_EPOCH + timedelta(minutes=int(i)) for i in idx])
    det = _metric_detector() if detector != "builtin" else None
    raw: list[tuple[int, int, str, str]] = []
    if det is not None:
        try:
            anomalies, _ = det(ts, v)
        except Exception:  # noqa: BLE001 - a detector failure must not lose the screenshot
            anomalies = []
            det = None
        tsn = ts.as_unit("ns").asi8
        for an in anomalies:
            a = int(np.searchsorted(tsn, pd.Timestamp(an.start).as_unit("ns").value))
            b = int(np.searchsorted(tsn, pd.Timestamp(an.end).as_unit("ns").value))
            raw.append((min(a, n - 1), min(max(b, a), n - 1), an.direction, an.kind))
    if det is None:
        raw = _fallback(v)
    sig = _noise(v)
    dep = _departure(v, sig, plot_h) if detector != "ungated" else None
    if dep is not None:
        raw.append(dep)
    events: list[Event] = []
    for a, b, direction, kind in raw:
        ev = _gate(v, a, b, direction, kind, sig, plot_h) if detector != "ungated" else _ungated(v, a, b, direction, kind)
        if ev is not None:
            events.append(Event(i0=int(idx[ev.i0]), i1=int(idx[ev.i1]), direction=ev.direction, kind=ev.kind,
                                score=ev.score, delta_px=ev.delta_px, before_px=-(ev.before_px + off),
                                after_px=-(ev.after_px + off)))
    return _dedupe(events)


def _departure(v: np.ndarray, sig: float, plot_h: int) -> tuple[int, int, str, str] | None:
    """A lasting departure from a flat opening baseline (ramps that change-point tests miss).

    The first fifth of the line must be flat; the departure starts where the line last sat in the
    baseline band before leaving it for good (at least a tenth of the width, or to the end).
    """
    n = v.size
    nb = max(20, n // 5)
    if n < 3 * nb // 2:
        return None
    base = v[:nb]
    m0 = float(np.median(base))
    spread = float(np.percentile(base, 90) - np.percentile(base, 10))
    if spread > max(6 * sig, 0.06 * plot_h):
        return None
    band = max(spread / 2 + 2 * sig, 0.04 * plot_h)
    out = np.abs(v - m0) > max(3 * band, 0.12 * plot_h)
    min_len = max(10, n // 10)
    i = nb
    while i < n:
        if out[i] and out[i:min(n, i + min_len)].mean() >= 0.85 and (i + min_len <= n or out[i:].mean() >= 0.85):
            break
        i += 1
    if i >= n:
        return None
    sign = 1.0 if v[i] > m0 else -1.0
    j = i
    while j > nb // 2 and sign * (v[j - 1] - m0) > band:
        j -= 1
    end = i
    while end + 1 < n and sign * (v[end + 1] - m0) > band:
        end += 1
    return (_hinge_onset(sign * (v - m0), j, end), end, "up" if sign > 0 else "down", "departure")


def _hinge_onset(dev: np.ndarray, j: int, end: int) -> int:
    """Where a ramp leaves the baseline: extend the ramp's rising part back to zero deviation."""
    peak = float(np.max(dev[j:end + 1]))
    if peak <= 0:
        return j
    k0 = j + int(np.argmax(dev[j:end + 1] >= 0.15 * peak))
    k1 = j + int(np.argmax(dev[j:end + 1] >= 0.6 * peak))
    if k1 - k0 < 3:
        return j
    ks = np.arange(k0, k1 + 1, dtype=float)
    a, b = np.polyfit(ks, dev[k0:k1 + 1], 1)
    if a <= 0:
        return j
    onset = int(round(-b / a))
    return int(min(max(onset, j - max(3, dev.size // 20), 0), k0))


def _gate(v: np.ndarray, a: int, b: int, direction: str, kind: str, sig: float, plot_h: int) -> Event | None:
    n = v.size
    w = max(5, n // 30)
    if kind == "level_shift":
        a = _refine_step(v, a, b, w, sig)
    before = v[max(0, a - 3 * w):max(1, a)]
    if before.size < 3:
        before = v[:max(3, w)]
    base = float(np.median(before))
    if kind in ("spike", "dip"):
        seg = v[a:b + 1]
        k = int(np.argmax(seg)) if direction == "up" else int(np.argmin(seg))
        peak = float(seg[k])
    else:
        seg = v[a:min(n, a + max(2 * w, (b - a + 1)))]
        peak = float(np.median(v[a:min(n, a + 2 * w)])) if kind == "level_shift" else float(np.median(v[max(a, b - w):b + 1]))
        if kind in ("trend_change", "departure"):
            seg = v[a:b + 1]
            k = int(np.argmax(np.abs(seg - base)))
            peak = float(np.median(seg[max(0, k - w // 2):k + w // 2 + 1]))
    delta = peak - base
    if (direction == "up") != (delta > 0):
        return None
    # visual significance
    span = float(np.percentile(v, 98) - np.percentile(v, 2)) or 1.0
    if abs(delta) < MIN_HEIGHT_FRAC * plot_h or abs(delta) < MIN_NOISE_RATIO * sig:
        return None
    if kind in ("spike", "dip"):
        if abs(delta) < 8 * sig or abs(delta) < 0.2 * plot_h:
            return None
    else:
        # abrupt change or departure from a flat baseline; smooth cycles are neither
        # a flat stretch (up to 30 % of the width) must precede a gradual change: the crest of a
        # daily cycle is locally flat but bends over that span
        pre = v[max(0, a - int(0.3 * n)):a]
        flat = pre.size >= max(2 * w, int(0.12 * n)) and \
            (np.percentile(pre, 90) - np.percentile(pre, 10)) <= max(0.1 * abs(delta), 5 * sig)
        j = min(n, a + w)
        fast = abs(float(np.median(v[a:j])) - base) >= 0.55 * abs(delta) if j > a else False
        if not (flat or fast):
            return None
        if abs(delta) < 0.3 * span:
            return None
    score = float(min(1.0, 0.35 + 0.45 * min(1.0, abs(delta) / (0.5 * plot_h)) + 0.2 * min(1.0, abs(delta) / (20 * sig))))
    return Event(i0=a, i1=b, direction="up" if delta > 0 else "down", kind=kind, score=score,
                 delta_px=delta, before_px=base, after_px=peak)


def _refine_step(v: np.ndarray, a: int, b: int, w: int, sig: float) -> int:
    """Move a level shift's start to the steepest step near it, then back to where the line left
    its previous level (change-point searches may open the window a little early)."""
    n = v.size
    lo, hi = max(2, a - w), min(n - 2, b, a + 4 * w)
    if hi <= lo:
        return a
    idx = np.arange(lo, hi + 1)
    d = np.empty(idx.size)
    full = (idx >= w) & (idx + w <= n)  # both windows complete: medians of one sliding view
    if full.any():
        med = np.median(np.lib.stride_tricks.sliding_window_view(v, w), axis=1)
        d[full] = np.abs(med[idx[full]] - med[idx[full] - w])
    for k in np.flatnonzero(~full):  # windows cut short by the series' ends
        i = int(idx[k])
        d[k] = abs(float(np.median(v[i:i + w])) - float(np.median(v[max(0, i - w):i])))
    best = int(idx[int(np.argmax(d))])
    seg = v[max(0, best - 2 * w):best]
    pre = float(np.median(seg))
    band = max(3 * sig, 3 * 1.4826 * float(np.median(np.abs(seg - pre))), 1.5)
    sign = 1.0 if float(np.median(v[best:best + w])) > pre else -1.0
    i = best
    while i - 1 > max(0, best - max(3, w // 3)) and sign * (v[i - 1] - pre) > band:
        i -= 1
    return i


def _ungated(v: np.ndarray, a: int, b: int, direction: str, kind: str) -> Event:
    """Benchmark baseline only: the detector's anomaly as is, without the visual-significance gates."""
    base = float(np.median(v[max(0, a - 10):max(1, a)]))
    peak = float(np.median(v[a:b + 1]))
    return Event(i0=a, i1=b, direction="up" if direction == "up" else "down", kind=kind, score=0.7,
                 delta_px=peak - base, before_px=base, after_px=peak)


def _dedupe(events: list[Event]) -> list[Event]:
    events.sort(key=lambda e: -e.score)
    kept: list[Event] = []
    for e in events:
        if any(not (e.i1 < k.i0 or e.i0 > k.i1) and e.direction == k.direction for k in kept):
            continue
        kept.append(e)
    kept.sort(key=lambda e: e.i0)
    return kept
