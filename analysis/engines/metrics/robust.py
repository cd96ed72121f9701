"""Robust statistics shared by the metric detectors: noise scale, z-to-score map, seasonality.

Everything here is numpy/pandas vectorised and deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: z (robust standard deviations) at which a point's score reaches 1 - 1/e (~0.63).
Z_SCALE = 6.0

#: Windows up to this size use the numpy path of :func:`centered_median`.
SHORT_WINDOW = 128
#: Largest sliding view (window x length, in values) the numpy median is used for beyond SHORT_WINDOW (16 MB).
SLIDING_BUDGET = 2_000_000


def z_to_score(z: np.ndarray | float) -> np.ndarray | float:
    """Map a non-negative robust z-score onto [0, 1) monotonically (0 -> 0, 6 -> 0.63, 18 -> 0.95)."""
    z = np.maximum(np.nan_to_num(np.asarray(z, dtype=float), nan=0.0, posinf=1e6), 0.0)
    return 1.0 - np.exp(-z / Z_SCALE)


def centered_median(x: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median (edges padded with the nearest value), as ``scipy.ndimage.median_filter``.

    Short windows (the detector's 3, 5, 11; an hourly period at minute steps) and any window over a short
    series (a screenshot's ~1,000 plot columns) are one numpy partition over a sliding view; long windows over
    long series (a daily period in a week of minutes) use scipy's C filter, O(n log w), imported only then
    (scipy.ndimage takes 0.25-0.7 s to import, a fifth of a cold ``analyze``).
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return x.copy()
    size = int(max(1, min(window, 2 * x.size - 1)))
    if size <= SHORT_WINDOW or size * x.size <= SLIDING_BUDGET:
        padded = np.pad(x, (size // 2, (size - 1) // 2), mode="edge")
        view = np.lib.stride_tricks.sliding_window_view(padded, size)
        return np.partition(view, size // 2, axis=1)[:, size // 2]  # rank size//2: scipy's choice for even sizes
    from scipy.ndimage import median_filter

    return median_filter(x, size=size, mode="nearest")


def mad_scale(x: np.ndarray) -> float:
    """1.4826 * median absolute deviation (a robust standard deviation); 0.0 for empty input."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def noise_scale(x: np.ndarray) -> float:
    """Robust point-to-point noise: MAD of first differences / sqrt(2), floored by the value spread.

    The floor keeps quantised or constant series from producing infinite z-scores: it is a small
    fraction of the series' typical magnitude (or of its range when the level is ~0).
    """
    x = x[np.isfinite(x)]
    if x.size < 3:
        return 1.0
    s = mad_scale(np.diff(x)) / np.sqrt(2.0)
    return max(s, scale_floor(x))


def scale_floor(x: np.ndarray) -> float:
    """Smallest scale treated as real noise: 1% of the median magnitude or 0.5% of the range."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 1.0
    mag = float(np.median(np.abs(x)))
    rng = float(np.ptp(x))
    floor = max(0.01 * mag, 0.005 * rng)

    return floor if floor > 0 else 1e-9


def infer_step_seconds(ts_ns: np.ndarray) -> float:
    """Median sampling step in seconds (60.0 when it cannot be told)."""
    if ts_ns.size < 2:
        return 60.0
    d = np.diff(ts_ns.astype(np.int64))
    d = d[d > 0]
    if d.size == 0:
        return 60.0
    return float(np.median(d)) / 1e9


def estimate_period(x: np.ndarray, step_seconds: float) -> int | None:
    """Return a daily/hourly/weekly period in samples when the series clearly repeats, else None.

    A candidate period p (in samples) is accepted when at least 2.5 cycles are present and the
    autocorrelation of the (median-detrended) series at lag p exceeds 0.4 and beats lag p/2.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    best: tuple[float, int] | None = None
    for seconds in (3600.0, 86400.0, 7 * 86400.0):
        p = int(round(seconds / step_seconds)) if step_seconds > 0 else 0
        if p < 4 or n < 2.5 * p:
            continue
        trend = centered_median(x, p)
        r = x - trend
        r = r - r.mean()
        denom = float(np.dot(r, r))
        if denom <= 0:
            continue
        ac_p = float(np.dot(r[:-p], r[p:])) / denom
        h = p // 2
        ac_h = float(np.dot(r[:-h], r[h:])) / denom if h > 0 else 0.0
        if ac_p > 0.4 and ac_p > ac_h + 0.1:
            if best is None or ac_p > best[0]:
                best = (ac_p, p)
    return best[1] if best else None


def seasonal_profile(x: np.ndarray, period: int) -> np.ndarray:
    """Median value per phase of ``period`` (centred on 0), broadcast back to the series length."""
    n = x.size
    phase = np.arange(n) % period
    detr = x - np.nanmedian(x)
    prof = pd.Series(detr).groupby(phase).median().reindex(range(period)).fillna(0.0).to_numpy()
    return prof[phase]
