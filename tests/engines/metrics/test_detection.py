"""detect_series and causal_scores on synthetic series with known answers."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from analysis.engines.metrics import causal_scores, detect_series


def _minutes(n: int, start: str = "2024-03-12T11:00:00Z") -> np.ndarray:
    return pd.date_range(start, periods=n, freq="1min").to_numpy()


def test_level_shift_found_at_its_onset_with_direction_and_magnitude():
    rng = np.random.default_rng(1)
    x = 0.05 + 0.01 * rng.standard_normal(240)
    x[142:] += 1.4
    anomalies, changes = detect_series(_minutes(240), x)
    assert len(changes) == 1
    cp = changes[0]
    assert cp.time == datetime(2024, 3, 12, 13, 22, tzinfo=timezone.utc)
    assert cp.direction == "up" and cp.after > 1.3 and cp.before < 0.1
    assert any(a.kind == "level_shift" and a.direction == "up" for a in anomalies)


def test_short_pulse_is_a_spike_and_noise_alone_is_quiet():
    rng = np.random.default_rng(2)
    x = 1.0 + 0.02 * rng.standard_normal(240)
    quiet_a, quiet_c = detect_series(_minutes(240), x)
    assert quiet_a == [] and quiet_c == []
    x[141:147] += 0.8
    anomalies, _ = detect_series(_minutes(240), x)
    assert len(anomalies) == 1
    a = anomalies[0]
    assert a.direction == "up" and a.start == datetime(2024, 3, 12, 13, 21, tzinfo=timezone.utc)
    assert a.magnitude == pytest.approx(0.8, abs=0.15)


def test_dip_direction_down():
    rng = np.random.default_rng(3)
    x = 100 + rng.standard_normal(300)
    x[200:203] = 20
    anomalies, _ = detect_series(_minutes(300), x)
    assert [a.direction for a in anomalies] == ["down"]
    assert anomalies[0].kind == "dip"


def test_daily_seasonality_does_not_alarm():
    rng = np.random.default_rng(4)
    n = 288 * 5  # five days of 5-minute samples
    t = np.arange(n)
    x = 50 + 30 * np.sin(2 * np.pi * t / 288) + rng.standard_normal(n)
    ts = pd.date_range("2024-01-01", periods=n, freq="5min").to_numpy()
    anomalies, changes = detect_series(ts, x)
    assert changes == [] and anomalies == []


def test_causal_scores_are_causal_and_bounded():
    rng = np.random.default_rng(5)
    x = 10 + rng.standard_normal(500)
    x[400] = 40
    ts = _minutes(500)
    s = causal_scores(ts, x)
    assert s.shape == (500,) and np.all((s >= 0) & (s <= 1))
    assert s[400] == s.max() and s[400] > 0.9
    # changing the future does not change the past
    y = x.copy()
    y[450:] += 100
    np.testing.assert_allclose(causal_scores(ts, y)[:450], s[:450])


def test_causal_scores_flag_a_noisy_series_going_flat_once_but_not_recurring_quiet():
    rng = np.random.default_rng(8)
    x = 50 + 5 * rng.standard_normal(1500)
    x[1200:1300] = 50.0  # the exporter got stuck: a flat line at an ordinary level
    ts = _minutes(1500)
    s = causal_scores(ts, x)
    assert s[600:1200].max() < 0.6 and s[1200:1300].max() > 0.9 and s[1200:1300].max() > s[:1200].max()
    # quiet stretches that recur (every 300 points) stop being news
    y = 50 + 5 * rng.standard_normal(3000)
    for start in range(300, 3000, 300):
        y[start:start + 100] = 50.0
    late = causal_scores(_minutes(3000), y)[2400:]
    assert late.max() < 0.6


def test_nan_and_unsorted_input_are_tolerated():
    x = np.r_[np.ones(50), np.full(50, 5.0)]
    x[10] = np.nan
    ts = _minutes(100)
    order = np.random.default_rng(6).permutation(100)
    _, changes = detect_series(ts[order], x[order])
    assert len(changes) == 1 and changes[0].direction == "up"


def test_hourly_job_spikes_do_not_alarm_but_an_off_schedule_spike_does():
    rng = np.random.default_rng(8)
    n = 60 * 8  # eight hours of minutes with a cron job at minute 5 of each hour
    x = 1.0 + 0.02 * rng.standard_normal(n)
    for h in range(8):
        x[h * 60 + 5] += 0.8
    anomalies, _ = detect_series(_minutes(n), x)
    assert anomalies == []
    x[4 * 60 + 33] += 0.8
    anomalies, _ = detect_series(_minutes(n), x)
    assert len(anomalies) == 1 and anomalies[0].start == pd.Timestamp(_minutes(n)[4 * 60 + 33])


def test_ramp_that_stops_is_a_trend_change_at_the_stop():
    rng = np.random.default_rng(9)
    n = 240
    x = np.r_[np.linspace(230.0, 0.0, 132), np.zeros(n - 132)] + 0.2 * rng.standard_normal(n)
    anomalies, changes = detect_series(_minutes(n), x)
    trend = [a for a in anomalies if a.kind == "trend_change"]
    assert trend, anomalies
    assert abs((trend[0].start - pd.Timestamp(_minutes(n)[132])).total_seconds()) <= 180
    assert trend[0].direction == "up"  # the value stays above where the falling trend was heading


def test_causal_scores_treat_a_nightly_job_as_recurring_at_minute_sampling():
    rng = np.random.default_rng(10)
    n = 1440 * 5
    x = 10 + rng.standard_normal(n)
    for d in range(5):
        x[d * 1440 + 300:d * 1440 + 305] += 40  # 05:00 batch job every day
    ts = pd.date_range("2024-01-01", periods=n, freq="1min").to_numpy()
    s = causal_scores(ts, x)
    assert s[298:307].max() > 0.9  # the first run is new
    later_days = [s[d * 1440 + 298:d * 1440 + 307].max() for d in (1, 2, 3, 4)]
    assert max(later_days) <= 0.55  # each repeat is no more unusual than the day before's


def _heap_sawtooth(n: int, drop_at: int, rng: np.random.Generator) -> np.ndarray:
    """A heap that climbs with GC wiggles to its limit, sits there, and falls back on a restart at ``drop_at``."""
    t = np.arange(n, dtype=float)
    climb = np.minimum(1100.0 + 6.0 * t, 1610.0)
    wiggle = 60.0 * np.sin(t * 2.1) + 15.0 * rng.standard_normal(n)
    x = np.minimum(climb + wiggle, 1610.0)
    after = np.arange(n - drop_at, dtype=float)
    x[drop_at:] = 650.0 + 6.0 * after + 60.0 * np.sin(after * 2.1) + 15.0 * rng.standard_normal(n - drop_at)
    return x


def test_restart_drop_inside_a_climbing_sawtooth_is_a_significant_step():
    # The segments either side of the drop overlap in value (the series climbs again after the restart), so a
    # comparison of segment medians alone scores it weakly; the step is abrupt against the point-to-point noise.
    rng = np.random.default_rng(3)
    x = _heap_sawtooth(180, 98, rng)
    anomalies, _ = detect_series(_minutes(180), x)
    drops = [a for a in anomalies if a.direction == "down" and a.peak_score >= 0.5]
    assert drops, anomalies
    assert abs((drops[0].start - pd.Timestamp(_minutes(180)[98])).total_seconds()) <= 120


def test_slow_drift_without_a_step_is_not_scored_as_abrupt():
    rng = np.random.default_rng(4)
    n = 240
    x = 100.0 + np.cumsum(0.4 * rng.standard_normal(n)) + 2.0 * rng.standard_normal(n)
    anomalies, _ = detect_series(_minutes(n), x)
    assert not [a for a in anomalies if a.kind == "level_shift" and a.peak_score >= 0.5], anomalies


@pytest.mark.parametrize("n", [1, 2, 7, 500, 8000])
@pytest.mark.parametrize("window", [1, 2, 3, 4, 5, 11, 60, 128, 129, 300])
def test_centered_median_equals_scipy_median_filter(n, window):
    from scipy.ndimage import median_filter

    from analysis.engines.metrics.robust import centered_median

    x = np.random.default_rng(n * window).standard_normal(n)
    expected = median_filter(x, size=int(max(1, min(window, 2 * n - 1))), mode="nearest")
    assert np.array_equal(centered_median(x, window), expected)
