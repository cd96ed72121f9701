"""Causal anomaly scores: point i's score in [0, 1] uses only the values at or before i.

Used by ``--scores`` on the CLI, by the NAB benchmark and by the UI's score strip. The score
combines how far the newest point (and the mean of the last few points) sits from the trailing
robust baseline, in robust standard deviations, mapped through ``z_to_score``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.engines.metrics.robust import z_to_score

#: Trailing history (points) for the baseline median and spread.
HISTORY = 400
#: Points before any score is emitted (scores are 0 while the baseline is being learned).
WARMUP = 20


def causal_scores(timestamps, values) -> np.ndarray:
    """Per-point anomaly score in [0, 1], computed causally, aligned with the input order.

    NaN values are carried forward for the baseline and score 0 themselves.
    """
    x = np.asarray(values, dtype=float)
    n = x.size
    if n == 0:
        return np.zeros(0)
    s = pd.Series(x)
    filled = s.ffill().bfill().fillna(0.0)
    hist = filled.shift(1)
    med = hist.rolling(HISTORY, min_periods=WARMUP).median()
    dev = (filled - med).abs()
    mad = dev.shift(1).rolling(HISTORY, min_periods=WARMUP).median() * 1.4826
    spread = hist.rolling(HISTORY, min_periods=WARMUP).std()
    scale = np.maximum(mad.to_numpy(), 0.05 * np.nan_to_num(spread.to_numpy()))
    scale = np.maximum(scale, 1e-9 + 1e-3 * np.abs(np.nan_to_num(med.to_numpy())))
    z = dev.to_numpy() / scale
    out = np.asarray(z_to_score(np.nan_to_num(z, nan=0.0)), dtype=float)
    out[~np.isfinite(x)] = 0.0
    return np.clip(out, 0.0, 1.0)
