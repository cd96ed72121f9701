"""Causal anomaly scores: point i's score in [0, 1] uses only the values at or before i.

Used by ``--scores`` on the CLI, by the NAB benchmark and by the UI's score strip.

The score measures *novelty*: how far the newest behaviour goes beyond the most unusual
behaviour of the recent past, so recurring spikes and ordinary noise stay low while a first-of-
its-kind spike, dip or level shift scores high. Two features are computed against a trailing
robust baseline (median and MAD of the last ``BASELINE`` points):

* point deviation ``|x_t - median| / scale`` (spikes and dips), discounted by half when the
  value stays inside the range already seen over the last ``RANGE_HISTORY`` points;
* mean-shift deviation of the mean of the last ``MEAN_WINDOWS`` points (level shifts, sustained changes);
* quietness, ``log2`` of the baseline standard deviation over that of the last ``QUIET_WINDOW``
  points (flat lines and variance collapse: a stuck exporter, a drained queue, a dead worker).

Each feature is divided by its own maximum over the previous ``REFERENCE`` points; the larger
ratio ``r`` becomes ``1 - 2**(-r**2)`` (r = 1, as unusual as the recent worst, scores 0.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Trailing points for the baseline median and spread.
BASELINE = 4000
#: Trailing points whose feature maximum defines "as unusual as anything recent".
REFERENCE = 1000
#: Points averaged by the mean-shift features (short level shifts, longer bursts of activity).
MEAN_WINDOWS = (9,)
#: Longest history (points) used for the day-long reference at fine sampling steps.
MAX_HISTORY = 20_000
#: Trailing points whose value range discounts spikes that stay inside it.
RANGE_HISTORY = 4000
#: Smallest reference deviation (robust z): in very quiet or quantised series ordinary jitter is
#: not "as unusual as the recent worst".
MIN_REFERENCE = 2.0
#: Discount for point deviations that stay inside the recent value range.
IN_RANGE_DISCOUNT = 0.5
#: Points the baseline needs before its spread is trusted (a young median/MAD underestimates the
#: spread, and the inflated deviations it produces would dominate the novelty reference). Short
#: series use an eighth of their length (at least 20 points), like NAB's length-based probation.
BASELINE_WARMUP = 150
#: Points whose spread is compared with the baseline's for the quiet (flat-line, variance collapse)
#: feature; 0 turns it off.
QUIET_WINDOW = 48
#: Largest spread ratio (log2) the quiet feature counts: a perfectly flat line scores this.
QUIET_CAP = 6.0
#: Further points of feature history before any score is emitted.
REFERENCE_LAG = 50


def _day_points(timestamps, n: int) -> int:
    """Points in 1.1 days at the series' median sampling step (0 when timestamps are unusable)."""
    if timestamps is None or n < 2:
        return 0
    try:
        t = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps), utc=True)).asi8
    except (TypeError, ValueError):
        return 0
    d = np.diff(t)
    d = d[d > 0]
    if d.size == 0:
        return 0
    return int(min(1.1 * 86400e9 / float(np.median(d)), MAX_HISTORY))


def _novelty(feature: np.ndarray, warmup: int, reference: int) -> np.ndarray:
    f = pd.Series(feature)
    ref = np.array(f.shift(1).rolling(reference, min_periods=1).max(), dtype=float)
    ref[: warmup + REFERENCE_LAG] = np.nan
    ref = np.maximum(ref, MIN_REFERENCE)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(ref > 0, feature / ref, 0.0)
    return np.nan_to_num(r, nan=0.0, posinf=0.0)


def causal_scores(timestamps, values) -> np.ndarray:
    """Per-point anomaly score in [0, 1], computed causally, aligned with the input order.

    Points are scored in the given order; ``timestamps`` only set the sampling step, so that the
    novelty reference always spans more than a day. NaN values are carried forward for the
    features and score 0 themselves.
    """
    x = np.asarray(values, dtype=float)
    n = x.size
    if n == 0:
        return np.zeros(0)
    s = pd.Series(x).ffill().bfill().fillna(0.0)
    warm = int(min(BASELINE_WARMUP, max(20, n // 8)))
    # the novelty reference and value range always cover more than a day, so daily jobs recur in it
    day = _day_points(timestamps, n)
    reference, range_history = max(REFERENCE, day), max(RANGE_HISTORY, day)
    hist = s.shift(1)
    med = hist.rolling(BASELINE, min_periods=warm).median()
    mad = (s - med).abs().shift(1).rolling(BASELINE, min_periods=warm).median() * 1.4826
    std = hist.rolling(BASELINE, min_periods=warm).std()
    scale = np.maximum(np.maximum(mad.to_numpy(), 0.1 * std.to_numpy()), 1e-9)
    scale = np.where(np.isfinite(scale), scale, np.inf)

    point = np.nan_to_num(np.abs(s.to_numpy() - med.to_numpy()) / scale, nan=0.0)
    r_point = _novelty(point, warm, reference)
    hi = hist.rolling(range_history, min_periods=warm).max().to_numpy()
    lo = hist.rolling(range_history, min_periods=warm).min().to_numpy()
    outside = (s.to_numpy() > hi) | (s.to_numpy() < lo)
    r_point = np.where(outside, r_point, IN_RANGE_DISCOUNT * r_point)

    r = r_point
    for k in MEAN_WINDOWS:
        mean_k = s.rolling(k).mean().to_numpy()
        med_k = med.shift(k - 1).to_numpy()
        scale_k = pd.Series(scale).shift(k - 1).to_numpy()
        shift = np.nan_to_num(np.abs(mean_k - med_k) / scale_k, nan=0.0)
        r = np.maximum(r, _novelty(shift, warm, reference))
    if QUIET_WINDOW:
        spread = s.rolling(QUIET_WINDOW).std().to_numpy()
        base = std.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            quiet = np.log2(base / np.maximum(spread, base * 2.0 ** -QUIET_CAP))
        quiet = np.nan_to_num(np.clip(quiet, 0.0, QUIET_CAP), nan=0.0)
        r = np.maximum(r, _novelty(quiet, warm, reference))
    r = np.clip(r, 0.0, 50.0)
    out = 1.0 - np.power(2.0, -(r ** 2))
    out[~np.isfinite(x)] = 0.0
    return np.clip(out, 0.0, 1.0)
