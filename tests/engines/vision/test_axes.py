"""Tick-label parsing and axis calibration."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from analysis.engines.vision.axes import fit_x_axis, fit_y_axis, parse_clock, parse_tz_offset, parse_value


@pytest.mark.parametrize("text,value,unit", [
    ("1.2K ms", 1200.0, "ms"), ("24 %", 24.0, "%"), ("100.0%", 100.0, "%"), ("0.016 s", 0.016, "s"),
    ("1.49 GiB", 1.49 * 2**30, "bytes"), ("762.94 MiB", 762.94 * 2**20, "bytes"), ("0 B", 0.0, "bytes"),
    ("200 req/s", 200.0, "req/s"), ("6K", 6000.0, ""), ("4.5", 4.5, ""),
])
def test_parse_value(text, value, unit):
    tv = parse_value(text)
    assert tv is not None and tv.value == pytest.approx(value) and tv.unit == unit


@pytest.mark.parametrize("text", ["Mean: 655 ms", "checkout-service", "12:00", ""])
def test_parse_value_rejects(text):
    assert parse_value(text) is None


def test_parse_clock():
    assert parse_clock("13:30") == 13 * 3600 + 1800
    assert parse_clock("09:05:30") == 9 * 3600 + 330
    assert parse_clock("latency") is None


def test_y_axis_rejects_misread_label():
    from analysis.engines.vision.axes import TickValue
    labels = [(400.0, TickValue(0, "%")), (300.0, TickValue(25, "%")), (200.0, TickValue(50, "%")),
              (100.0, TickValue(95, "%"))]  # the last one misread (75 -> 95)
    ax = fit_y_axis(labels)
    assert ax is not None and ax.value(100.0) == pytest.approx(75, abs=1)


def test_x_axis_midnight_and_timezone():
    off, _ = parse_tz_offset(["Custom (5h)", "Local (UTC+01:00) timezone"])
    assert off == timedelta(hours=1)
    labels = [(100.0, 23 * 3600), (200.0, 0), (300.0, 3600), (400.0, 2 * 3600)]
    ax = fit_x_axis(labels, date(2024, 11, 16), off)
    assert ax is not None
    # 01:00 local on 16 Nov = 00:00 UTC
    assert ax.time(300.0) == datetime(2024, 11, 16, 0, 0, tzinfo=timezone.utc)
    assert ax.time(100.0) == datetime(2024, 11, 15, 22, 0, tzinfo=timezone.utc)


def test_x_axis_with_dates_on_ticks():
    from analysis.engines.vision.axes import parse_tick_date
    texts = ["03/11 12:00", "03/12 00:00", "03/12 12:00", "03/13 00:00"]
    secs = [parse_clock(t) for t in texts]
    assert secs == [43200, 0, 43200, 0]
    ax = fit_x_axis([(100.0 + 100 * i, s) for i, s in enumerate(secs)], date(2024, 3, 13), None,
                    [parse_tick_date(t) for t in texts])
    assert ax is not None
    assert ax.time(100.0) == datetime(2024, 3, 11, 12, 0, tzinfo=timezone.utc)
    assert ax.time(350.0) == datetime(2024, 3, 12, 18, 0, tzinfo=timezone.utc)
    assert parse_tick_date("Mar 12") == (None, 3, 12) and parse_tick_date("2024-03-12") == (2024, 3, 12)
