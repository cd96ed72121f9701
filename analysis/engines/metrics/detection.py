"""Offline per-series detector: change points (binary segmentation) plus spikes, dips and trends.

``detect_series`` is the one detector used by the metric engine, the CLI and the vision engine
(on series recovered from screenshots). It looks at the whole series (not causal): seasonality is
removed first when a daily/hourly/weekly cycle is evident; slope changes (a ramp that starts or
stops) are found by binary segmentation of the smoothed first differences and kept only next to a
clear straight ramp; level changes are found by binary segmentation of a CUSUM mean-shift
statistic (around the piecewise-linear trend when there is one) and kept only when the medians on
both sides are clearly separated; short excursions from a rolling median become spikes or dips,
unless the same excursion recurs an hour or a day apart.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from analysis.engines.metrics.models import Anomaly, ChangePoint
from analysis.engines.metrics.robust import (
    centered_median,
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
    # pandas containers go in as they are: np.asarray of a tz-aware index makes an object array of Timestamps
    keep = isinstance(timestamps, (pd.Series, pd.Index))
    idx = pd.DatetimeIndex(pd.to_datetime(timestamps if keep else np.asarray(timestamps), utc=True))
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


def find_change_indices(y: np.ndarray, level: float | None = None) -> list[int]:
    """Indices where a lasting change of level starts (binary segmentation, strongest first).

    ``level`` is the series' typical magnitude (for the minimum relative shift); it defaults to
    the median magnitude of ``y`` (pass it when ``y`` is a detrended residual).
    """
    n = y.size
    if n < 8:
        return []
    min_size = _min_size(n)
    smooth = centered_median(y, 3)
    sigma = noise_scale(smooth)
    floor = scale_floor(y)
    if level is None:
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


def find_trend_changes(y: np.ndarray, level: float) -> list[int]:
    """Indices where the slope changes lastingly (a ramp starts, stops or reverses).

    Binary segmentation of the first differences of a median-smoothed series; single large
    differences (steps, spikes) are clipped to a local median first so that only sustained slope
    changes count, and a change is kept when the slope difference accumulates to a clear level
    difference over the following points.
    """
    n = y.size
    if n < 40:
        return []
    ms = max(8, _min_size(n))
    ys = centered_median(y, 5)
    d = np.diff(ys)
    sd = max(noise_scale(d), 1e-12)
    local = centered_median(d, 11)
    dc = np.clip(d, local - 4 * sd, local + 4 * sd)
    level_spread = max(mad_scale(y - ys), scale_floor(y))
    thr = 3.0 + np.sqrt(2.0 * np.log(n))
    heap: list[tuple[float, int, int, int]] = []

    def push(a: int, b: int) -> None:
        t, idx = _segment_split(dc, a, b, ms, sd)
        if idx > 0 and t >= thr:
            heapq.heappush(heap, (-t, idx, a, b))

    push(0, dc.size)
    found: list[int] = []
    while heap and len(found) < MAX_CHANGE_POINTS // 2:
        _, idx, a, b = heapq.heappop(heap)
        w = int(min(60, idx - a, b - idx))
        drift = abs(float(np.mean(dc[idx:idx + w])) - float(np.mean(dc[idx - w:idx]))) * w
        if drift < 2 * SHIFT_Z * level_spread or drift < MIN_RELATIVE_SHIFT * level:
            continue
        c = idx + 1
        if not any(_is_ramp(y, max(a, c - L), c, level_spread) or _is_ramp(y, c, min(b + 1, c + L), level_spread)
                   for L in (15, 30, 60)):
            continue
        found.append(idx)
        push(a, idx)
        push(idx, b)
    return sorted(i + 1 for i in found)


def _is_ramp(y: np.ndarray, a: int, b: int, level_spread: float) -> bool:
    """Is y[a:b] a clear straight ramp (large drift, a line explains >= 80% of its variance)?"""
    if b - a < 8:
        return False
    t = np.arange(a, b, dtype=float)
    seg = y[a:b]
    slope, icpt = np.polyfit(t, seg, 1)
    drift = abs(slope) * (b - a)
    var = float(np.var(seg))
    if var <= 0 or drift < 2 * SHIFT_Z * level_spread:
        return False
    r2 = 1.0 - float(np.var(seg - (slope * t + icpt))) / var
    return r2 >= 0.8


def piecewise_linear(y: np.ndarray, cps: list[int]) -> np.ndarray:
    """Least-squares line per segment between ``cps`` (the trend the level detector works around)."""
    fit = np.empty_like(y)
    bounds = [0, *cps, y.size]
    for a, b in zip(bounds[:-1], bounds[1:]):
        t = np.arange(a, b, dtype=float)
        if b - a >= 3:
            slope, icpt = np.polyfit(t, y[a:b], 1)
            fit[a:b] = slope * t + icpt
        else:
            fit[a:b] = np.median(y[a:b])
    return fit


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
        base[a:b] = centered_median(y[a:b], w)
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
        if i >= min(7, n // 20) and not near_cp[i:j + 1].all():  # the first points have no baseline
            seg = z[i:j + 1]
            k = int(np.argmax(np.abs(seg)))
            if not _recurs(z, i, j, float(np.sign(seg[k])), periods):
                runs.append((i, j, i + k, float(seg[k]), float(base[i + k])))
        i = j + 1
    return runs


def _abruptness(y: np.ndarray, c: int, a: int, b: int, floor: float) -> float:
    """Score of the step at ``c`` from the few points either side, against the point-to-point noise before it.

    Segment medians undersell a step inside a ramp or a sawtooth (a heap that climbs to its limit and drops on
    restart: the segments either side overlap in value); the local jump against the differenced noise does not.
    A drift or a noisy stretch has no local jump, so this never scores it.
    """
    k = 3
    if c - a < k or b - c < k:
        return 0.0
    jump = abs(float(np.median(y[c:c + k])) - float(np.median(y[c - k:c])))
    rough = max(mad_scale(np.diff(y[max(a, c - 60):c])) / np.sqrt(2.0), floor)
    return float(z_to_score(jump / rough))


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
    floor = scale_floor(y)
    level = max(float(np.median(np.abs(y))), 0.05 * float(np.ptp(y)), 1e-12)
    tcps = find_trend_changes(y, level)
    trend = piecewise_linear(y, tcps)
    resid = y - trend + float(np.median(trend))
    cps = find_change_indices(y)
    if tcps:
        # Level changes are searched around the trend; sharp steps found on the raw series are kept
        # unless they only cut a straight ramp into a staircase.
        res_cps = find_change_indices(resid, level)
        level_spread = max(mad_scale(y - centered_median(y, 5)), floor)
        tb = [0, *tcps, n]
        ramp = [_is_ramp(y, a, b, level_spread) for a, b in zip(tb[:-1], tb[1:])]
        ms = _min_size(n)
        extra = [c for c in cps
                 if not ramp[int(np.searchsorted(tcps, c, side="right"))]
                 and all(abs(c - o) > ms for o in [*res_cps, *tcps])]
        cps = sorted(set(res_cps) | set(extra))
    work = resid if tcps else y

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
        spread = max(mad_scale(work[spread_lo:spread_hi]), floor)
        score = float(z_to_score(abs(after - before) / spread))
        if j == i:  # a single step: also judge how abrupt it is against the point-to-point noise before it
            score = max(score, _abruptness(work, cps[i], bounds[i], bounds[i + 2], floor))
        end_idx = bounds[j + 2] - 1
        anomalies.append(Anomaly(
            start=to_datetime(ts[cps[i]]), end=to_datetime(ts[end_idx]),
            direction="up" if up else "down", kind="trend_change" if j - i >= 2 else "level_shift",
            peak_score=score, magnitude=relative_change(before, after), baseline=before, peak=after))
        i = j + 1

    # Slope changes: compare the value reached with what the previous trend would have reached.
    tb = [0, *tcps, n]
    spread_all = max(mad_scale(resid - centered_median(resid, 5)),
                     floor)
    for i, c in enumerate(tcps):
        a, e = tb[i], tb[i + 2] - 1
        h = int(min(e - c, max(c - a, 5), 60))
        lo = max(a, c - 60)
        t_prev = np.arange(lo, c, dtype=float)
        slope, icpt = np.polyfit(t_prev, y[lo:c], 1) if c - lo >= 3 else (0.0, float(np.median(y[lo:c])))
        expected = float(slope * (c + h) + icpt)
        actual = float(np.median(y[max(c, c + h - 2):c + h + 1]))
        direction = "up" if actual > expected else "down"
        anomalies.append(Anomaly(
            start=to_datetime(ts[c]), end=to_datetime(ts[e]), direction=direction,
            kind="trend_change", peak_score=float(z_to_score(abs(actual - expected) / (2 * spread_all))),
            magnitude=relative_change(expected, actual), baseline=expected, peak=actual))
        changes.append(ChangePoint(time=to_datetime(ts[c]), direction=direction,
                                   before=expected, after=actual, magnitude=relative_change(expected, actual)))
    changes.sort(key=lambda cp: cp.time)

    step = infer_step_seconds(ts)
    periods = [p for p in (int(round(3600 / step)), int(round(86400 / step))) if 4 <= p <= n // 2]
    for a, b, k, zpk, base_y in _spike_runs(work, cps, periods):
        peak = float(x[k])
        base_raw = base_y + float(x[k] - work[k])
        anomalies.append(Anomaly(
            start=to_datetime(ts[a]), end=to_datetime(ts[b]), direction="up" if zpk > 0 else "down",
            kind="spike" if zpk > 0 else "dip", peak_score=float(z_to_score(abs(zpk))),
            magnitude=relative_change(base_raw, peak), baseline=base_raw, peak=peak))

    anomalies.sort(key=lambda an: (an.start, an.end, an.kind))
    return anomalies, changes
