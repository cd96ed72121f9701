"""Offline per-series detector: change points (binary segmentation) plus spikes, dips and trends.

``detect_series`` is the one detector used by the metric engine, the CLI and the vision engine
(on series recovered from screenshots). It looks at the whole series (not causal): seasonality is
removed first when a daily/hourly/weekly cycle is evident, change points are found by binary
segmentation of a CUSUM mean-shift statistic and kept only when the medians on both sides are
clearly separated, and short excursions from a rolling median become spikes or dips.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from analysis.engines.metrics.models import Anomaly, ChangePoint
from analysis.engines.metrics.robust import (
    estimate_period,
    infer_step_seconds,
    mad_scale,
    noise_scale,
    scale_floor,
    seasonal_profile,
    z_to_score,
)

#: Robust z a single point must reach to count as a spike or dip.
SPIKE_Z = 7.0
#: Width of the centred rolling median that spikes are measured against (pulses up to ~half of it).
SPIKE_BASELINE_POINTS = 31
#: Separation (in robust spreads) the medians either side of a change point must reach.
SHIFT_Z = 4.0
#: Largest number of change points reported per series.
MAX_CHANGE_POINTS = 12
#: A change must also move the level by at least this fraction of its typical magnitude.
MIN_RELATIVE_SHIFT = 0.05


def to_ns(timestamps: np.ndarray | pd.Series | list) -> np.ndarray:
    """Timestamps (datetime64, pandas, or datetime objects, naive = UTC) as int64 ns since epoch."""
    idx = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps) if not isinstance(timestamps, pd.Series)
                                          else timestamps, utc=True))
    return idx.as_unit("ns").asi8.copy()


def to_datetime(ns: int) -> datetime:
    """int64 ns since epoch -> aware UTC datetime."""
    return pd.Timestamp(int(ns), unit="ns", tz=timezone.utc).to_pydatetime()


def clean_series(timestamps, values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted timestamps (ns) and finite float values; NaN/inf points and NaT are dropped."""
    ts = to_ns(timestamps)
    x = np.asarray(values, dtype=float)
    if ts.size != x.size:
        raise ValueError("timestamps and values must have the same length")
    ok = np.isfinite(x) & (ts != np.iinfo(np.int64).min)
    ts, x = ts[ok], x[ok]
    if ts.size > 1 and np.any(np.diff(ts) < 0):
        order = np.argsort(ts, kind="stable")
        ts, x = ts[order], x[order]
    return ts, x


def relative_change(before: float, after: float) -> float:
    """after/before - 1, or the absolute difference when ``before`` is ~0."""
    if abs(before) > 1e-9:
        return float(after / before - 1.0)
    return float(after - before)


def _min_size(n: int) -> int:
    return int(max(3, min(30, n // 100)))


def _segment_split(y: np.ndarray, a: int, b: int, min_size: int, sigma: float) -> tuple[float, int]:
    """Best mean-shift split of y[a:b]: (CUSUM statistic, index of first point after the change)."""
    seg = y[a:b]
    m = seg.size
    if m < 2 * min_size:
        return 0.0, -1
    cs = np.cumsum(seg)
    total = cs[-1]
    k = np.arange(min_size, m - min_size + 1)
    left = cs[k - 1] / k
    right = (total - cs[k - 1]) / (m - k)
    t = np.sqrt(k * (m - k) / m) * np.abs(left - right) / sigma
    j = int(np.argmax(t))
    return float(t[j]), a + int(k[j])


def _separated(y: np.ndarray, idx: int, a: int, b: int, floor: float, level: float, min_size: int) -> bool:
    """Are the local windows either side of ``idx`` clearly apart (medians vs their spreads)?

    Several window lengths are tried so that a short plateau (a few minutes of errors) counts as
    well as a long shift; the spread is always measured on at least 10 points before the change.
    """
    wmax = int(min(30, idx - a, b - idx))
    if wmax < 2:
        return False
    spread_before = mad_scale(y[max(a, idx - max(wmax, 10)):idx])
    for w in sorted({min(min_size, wmax), min(2 * min_size, wmax), wmax}):
        before, after = y[idx - w:idx], y[idx:idx + w]
        d = abs(float(np.median(after)) - float(np.median(before)))
        spread = max(spread_before, mad_scale(after), floor)
        if d >= SHIFT_Z * spread and d >= MIN_RELATIVE_SHIFT * level:
            return True
    return False


def _refine_onset(y: np.ndarray, idx: int, lo: int, floor: float) -> int:
    """Move a change point back to the first point that already deviates towards the new level."""
    w = int(min(30, idx - lo))
    if w < 3:
        return idx
    before = y[idx - w:idx]
    med, spread = float(np.median(before)), max(mad_scale(before), floor)
    after_med = float(np.median(y[idx:idx + 3]))
    sign = 1.0 if after_med > med else -1.0
    j = idx
    while j - 1 > lo and sign * (y[j - 1] - med) > 3.0 * spread and idx - j < 5:
        j -= 1
    return j


def find_change_indices(y: np.ndarray) -> list[int]:
    """Indices where a lasting change of level starts (binary segmentation, strongest first)."""
    n = y.size
    if n < 8:
        return []
    min_size = _min_size(n)
    smooth = pd.Series(y).rolling(3, center=True, min_periods=1).median().to_numpy()
    sigma = noise_scale(smooth)
    floor = scale_floor(y)
    level = max(float(np.median(np.abs(y))), 0.05 * float(np.ptp(y)), 1e-12)
    thr = 3.0 + np.sqrt(2.0 * np.log(n))
    heap: list[tuple[float, int, int, int]] = []

    def push(a: int, b: int) -> None:
        t, idx = _segment_split(smooth, a, b, min_size, sigma)
        if idx > 0 and t >= thr:
            heapq.heappush(heap, (-t, idx, a, b))

    push(0, n)
    found: list[int] = []
    while heap and len(found) < MAX_CHANGE_POINTS:
        _, idx, a, b = heapq.heappop(heap)
        if not _separated(smooth, idx, a, b, floor, level, min_size):
            continue
        found.append(idx)
        push(a, idx)
        push(idx, b)
    found = _drop_transients(y, sorted(found))
    refined = [_refine_onset(y, c, (found[i - 1] if i else 0), floor) for i, c in enumerate(found)]
    return sorted(set(refined))


def _drop_transients(y: np.ndarray, cps: list[int]) -> list[int]:
    """Remove up-then-down (or down-then-up) pairs around a short plateau that returns to its level.

    Such pulses are not lasting changes; the spike detector reports them as spikes or dips.
    """
    changed = True
    while changed and len(cps) >= 2:
        changed = False
        bounds = [0, *cps, y.size]
        med = [float(np.median(y[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]
        for i in range(len(cps) - 1):
            if cps[i + 1] - cps[i] > SPIKE_BASELINE_POINTS // 2:
                continue
            before, mid, after = med[i], med[i + 1], med[i + 2]
            if (mid - before) * (mid - after) > 0 and abs(after - before) < 0.5 * abs(mid - before):
                cps = cps[:i] + cps[i + 2:]
                changed = True
                break
    return cps


def _recurs(z: np.ndarray, i: int, j: int, sign: float, periods: list[int]) -> bool:
    """Does an excursion like z[i..j] also occur one cycle earlier or later (hourly/daily jobs)?"""
    n = z.size
    for p in periods:
        hits = 0
        for off in (-2 * p, -p, p, 2 * p):
            lo, hi = i + off - 1, j + off + 2
            if lo < 0 or hi > n:
                continue
            if np.any(sign * z[lo:hi] >= SPIKE_Z / 2):
                hits += 1
        if hits >= 1:
            return True
    return False


def _spike_runs(y: np.ndarray, cps: list[int], periods: list[int]) -> list[tuple[int, int, int, float, float]]:
    """Short excursions from a centred rolling median: (first, last, peak index, signed peak z, baseline).

    The residual's scale is measured per segment between change points, so a noisier regime after
    a shift does not turn its ordinary noise into spikes; excursions that recur one cycle apart
    (hourly or daily jobs) are not reported.
    """
    n = y.size
    w = SPIKE_BASELINE_POINTS
    z = np.zeros(n)
    base = np.zeros(n)
    floor = max(scale_floor(y) * 0.5, 1e-12)
    bounds = [0, *cps, n]
    for a, b in zip(bounds[:-1], bounds[1:]):
        base[a:b] = pd.Series(y[a:b]).rolling(w, center=True, min_periods=1).median().to_numpy()
        r = y[a:b] - base[a:b]
        z[a:b] = r / max(mad_scale(r), floor)
    hot = np.abs(z) >= SPIKE_Z
    near_cp = np.zeros(n, dtype=bool)
    for c in cps:
        near_cp[max(0, c - 2):min(n, c + 2)] = True
    runs: list[tuple[int, int, int, float, float]] = []
    i = 0
    while i < n:
        if not hot[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and (hot[j + 1] or (j + 2 < n and hot[j + 2] and np.sign(z[j + 2]) == np.sign(z[i]))):
            j += 1
        if not near_cp[i:j + 1].all():
            seg = z[i:j + 1]
            k = int(np.argmax(np.abs(seg)))
            if not _recurs(z, i, j, float(np.sign(seg[k])), periods):
                runs.append((i, j, i + k, float(seg[k]), float(base[i + k])))
        i = j + 1
    return runs


def detect_series(timestamps, values) -> tuple[list[Anomaly], list[ChangePoint]]:
    """Find anomalies (spikes, dips, level shifts, trend changes) and change points in one series.

    ``timestamps`` are datetime64 (naive = UTC) or anything ``pandas.to_datetime`` reads;
    ``values`` are floats (NaN ignored). Results are sorted by start time.
    """
    ts, x = clean_series(timestamps, values)
    n = x.size
    if n < 8:
        return [], []
    period = estimate_period(x, infer_step_seconds(ts))
    y = x - seasonal_profile(x, period) if period else x.copy()
    cps = find_change_indices(y)
    floor = scale_floor(y)

    bounds = [0, *cps, n]
    seg_med = [float(np.median(y[bounds[i]:bounds[i + 1]])) for i in range(len(bounds) - 1)]
    changes: list[ChangePoint] = []
    anomalies: list[Anomaly] = []
    for i, c in enumerate(cps):
        before, after = seg_med[i], seg_med[i + 1]
        changes.append(ChangePoint(time=to_datetime(ts[c]), direction="up" if after > before else "down",
                                   before=before, after=after, magnitude=relative_change(before, after)))

    # Group consecutive same-direction change points on short segments into one trend change.
    i = 0
    while i < len(cps):
        j = i
        up = seg_med[i + 1] > seg_med[i]
        while (j + 1 < len(cps) and (seg_med[j + 2] > seg_med[j + 1]) == up
               and cps[j + 1] - cps[j] <= max(3 * _min_size(n), n // 10)):
            j += 1
        before, after = seg_med[i], seg_med[j + 1]
        spread_lo, spread_hi = bounds[i], bounds[i + 1]
        spread = max(mad_scale(y[spread_lo:spread_hi]), floor)
        score = float(z_to_score(abs(after - before) / spread))
        end_idx = bounds[j + 2] - 1
        anomalies.append(Anomaly(
            start=to_datetime(ts[cps[i]]), end=to_datetime(ts[end_idx]),
            direction="up" if up else "down", kind="trend_change" if j - i >= 2 else "level_shift",
            peak_score=score, magnitude=relative_change(before, after), baseline=before, peak=after))
        i = j + 1

    step = infer_step_seconds(ts)
    periods = [p for p in (int(round(3600 / step)), int(round(86400 / step))) if 4 <= p <= n // 2]
    for a, b, k, zpk, base_y in _spike_runs(y, cps, periods):
        peak = float(x[k])
        base_raw = base_y + float(x[k] - y[k])
        anomalies.append(Anomaly(
            start=to_datetime(ts[a]), end=to_datetime(ts[b]), direction="up" if zpk > 0 else "down",
            kind="spike" if zpk > 0 else "dip", peak_score=float(z_to_score(abs(zpk))),
            magnitude=relative_change(base_raw, peak), baseline=base_raw, peak=peak))

    anomalies.sort(key=lambda an: (an.start, an.end, an.kind))
    return anomalies, changes
