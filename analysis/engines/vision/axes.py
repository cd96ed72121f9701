"""Axis reading: tick-label parsing (values with units, clock times), pixel->value/time calibration.

Tick labels come from OCR and may be misread, so calibration is robust: a Theil-Sen line through
(pixel, value) pairs, then labels that disagree with it are dropped and the line refitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3, "µ": 1e-6, "u": 1e-6}
_BYTES = {"B": 1.0, "KiB": 2.0**10, "MiB": 2.0**20, "GiB": 2.0**30, "TiB": 2.0**40,
          "KB": 1e3, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
_UNIT_WORDS = ("req/s", "ops/s", "rps", "qps", "ms", "s", "%", "us", "µs", "ns", "min", "h", "/s", "bps",
               "Bps", "c")
_NUM = re.compile(r"^([-+−]?\d{1,3}(?:[ ,]\d{3})*(?:\.\d+)?|[-+−]?\d*\.\d+|[-+−]?\d+)\s*([kKMGTµu]?)\s*(.*)$")
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:;]([0-5]\d)(?::([0-5]\d))?(?!\d)")
_TZ = re.compile(r"(?:UTC|GMT)\s*([+-−])\s*(\d{1,2})(?::?(\d{2}))?")
_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


@dataclass(frozen=True)
class TickValue:
    value: float
    unit: str


def _fix_ocr_digits(s: str) -> str:
    s = s.strip().strip("|[](){}'\"`‘’“”").strip()
    s = s.replace("O", "0").replace("o", "0") if re.fullmatch(r"[\dOo.,]+\s*\S*", s) and re.search(r"\d", s) else s
    return s.replace("−", "-")


def parse_value(text: str) -> TickValue | None:
    """``"1.2K ms"`` -> 1200 ms; ``"24 %"`` -> 24 %; ``"1.49 GiB"`` -> bytes; ``None`` if not a number."""
    s = _fix_ocr_digits(text)
    if not s or _TIME.search(s):
        return None
    m = _NUM.match(s)
    if not m:
        return None
    num, prefix, rest = m.group(1), m.group(2), m.group(3).strip()
    try:
        v = float(num.replace(",", "").replace(" ", ""))
    except ValueError:
        return None
    unit = rest
    if prefix in ("m", "u", "µ") and rest:  # "m" before a unit is milli only as part of the unit
        unit = prefix + rest
        prefix = ""
    if rest in _BYTES or (prefix + rest) in _BYTES:
        key = rest if rest in _BYTES else prefix + rest
        return TickValue(v * _BYTES[key] * (_SI.get(prefix, 1.0) if rest in _BYTES and prefix else 1.0), "bytes")
    if unit and not (unit in _UNIT_WORDS or re.fullmatch(r"[A-Za-z/%]{1,8}", unit)):
        return None
    mult = _SI.get(prefix, 1.0)
    return TickValue(v * mult, unit)


def parse_clock(text: str) -> int | None:
    """Seconds since midnight of a ``HH:MM`` (or ``HH:MM:SS``) tick label, else None."""
    s = text.strip()
    m = _TIME.search(s)
    if not m:
        return None
    rest = (s[:m.start()] + s[m.end():]).strip(" .,;:-|'\"°")
    if len(rest) > 3 and parse_tick_date(rest) is None:
        return None
    hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    return hh * 3600 + mm * 60 + ss


_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                            "nov", "dec"))}
_MD = re.compile(r"(?<![\d.])(\d{1,2})/(\d{1,2})(?![\d/.])")
_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_MON = re.compile(r"\b(\d{1,2})?\s*([A-Za-z]{3})[a-z]*\.?\s*(\d{1,2})?\b")


def parse_tick_date(text: str) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a date on a time tick: ``03/12``, ``2024-03-12``, ``Mar 12``."""
    m = _YMD.search(text)
    if m:
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    m = _MD.search(text)
    if m and 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(2)) <= 31:
        return None, int(m.group(1)), int(m.group(2))
    m = _MON.search(text)
    if m and m.group(2).lower() in _MONTHS and (m.group(1) or m.group(3)):
        day = int(m.group(3) or m.group(1))
        if 1 <= day <= 31:
            return None, _MONTHS[m.group(2).lower()], day
    return None


def parse_tz_offset(texts: list[str]) -> tuple[timedelta | None, str]:
    """UTC offset shown on the page (``UTC``, ``UTC+01:00``, ``GMT-5``...) and how it was found."""
    joined = " ".join(texts)
    m = _TZ.search(joined)
    if m:
        sign = -1 if m.group(1) in "-−" else 1
        off = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)) * sign
        return off, f"time zone {m.group(0).replace(' ', '')} read from the page"
    if re.search(r"\b(UTC|GMT|Z)\b", joined):
        return timedelta(0), "time zone UTC read from the page"
    return None, "no time zone shown: times assumed to be UTC"


def find_date(texts: list[str]) -> date | None:
    """The latest ISO date printed on the page (a time picker's range end, a title), if any."""
    found: list[date] = []
    for t in texts:
        for m in _DATE.finditer(t):
            try:
                found.append(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
            except ValueError:
                continue
    return max(found) if found else None


def robust_line(p: np.ndarray, v: np.ndarray, tol_frac: float = 0.08) -> tuple[float, float, np.ndarray] | None:
    """Theil-Sen fit ``v = a*p + b`` with outlier rejection; returns (a, b, inlier mask)."""
    n = p.size
    if n < 2:
        return None
    slopes = []
    for i in range(n):
        for j in range(i + 1, n):
            if abs(p[j] - p[i]) >= 3:
                slopes.append((v[j] - v[i]) / (p[j] - p[i]))
    if not slopes:
        return None
    a = float(np.median(slopes))
    b = float(np.median(v - a * p))
    span = float(np.ptp(v)) or 1.0
    res = np.abs(v - (a * p + b))
    inl = res <= tol_frac * span
    if inl.sum() >= 2 and inl.sum() < n:
        pi, vi = p[inl], v[inl]
        if np.ptp(pi) >= 3:
            a, b = np.polyfit(pi, vi, 1)
            a, b = float(a), float(b)
    if inl.sum() < 2 or a == 0:
        return None
    return a, b, inl


@dataclass
class YAxis:
    """Pixel row -> value."""

    a: float
    b: float
    unit: str
    n_labels: int

    def value(self, y: float) -> float:
        return self.a * y + self.b


@dataclass
class XAxis:
    """Pixel column -> UTC datetime (or seconds of day when the date is unknown)."""

    a: float  # seconds per pixel
    b: float  # seconds (since the anchor day's local midnight) at x = 0
    anchor: datetime | None  # UTC datetime of the anchor day's local midnight
    n_labels: int

    def seconds(self, x: float) -> float:
        return self.a * x + self.b

    def time(self, x: float) -> datetime | None:
        if self.anchor is None:
            return None
        return self.anchor + timedelta(seconds=round(float(self.seconds(x))))


def fit_y_axis(labels: list[tuple[float, TickValue]]) -> YAxis | None:
    """Calibrate from (pixel-row centre, parsed value) pairs; needs two consistent labels."""
    if len(labels) < 2:
        return None
    p = np.array([c for c, _ in labels], dtype=float)
    v = np.array([t.value for _, t in labels], dtype=float)
    if np.ptp(v) == 0:
        return None
    fit = robust_line(p, v)
    if fit is None:
        return None
    a, b, inl = fit
    if a >= 0:  # values must grow upwards
        return None
    units = [t.unit for (_, t), ok in zip(labels, inl) if ok and t.unit]
    unit = max(set(units), key=units.count) if units else ""
    return YAxis(a=a, b=b, unit=unit, n_labels=int(inl.sum()))


def fit_x_axis(labels: list[tuple[float, int]], reference_date: date | None,
               tz_offset: timedelta | None,
               dates: list[tuple[int | None, int, int] | None] | None = None) -> XAxis | None:
    """Calibrate from (pixel-column centre, seconds of day) pairs of clock tick labels.

    When tick labels carry dates (``03/12 00:00``) they place the ticks on the calendar; otherwise
    times are unwrapped across midnight and the date anchor puts the right-most tick on
    ``reference_date`` (local date of the dashboard), i.e. "the screenshot shows the last hours".
    """
    if len(labels) < 2:
        return None
    order = sorted(range(len(labels)), key=lambda i: labels[i][0])
    p = np.array([labels[i][0] for i in order], dtype=float)
    secs = np.array([labels[i][1] for i in order], dtype=float)
    dd = [dates[i] for i in order] if dates is not None and len(dates) == len(labels) else [None] * len(order)
    dated = [(k, d) for k, d in enumerate(dd) if d is not None]
    days: dict[int, date] = {}
    calendar = False
    if len(dated) >= 2:
        label_year = next((d[0] for _, d in dated if d[0] is not None), None)
        year_hint = reference_date.year if reference_date is not None else None
        calendar = label_year is not None or year_hint is not None
        yr = label_year or year_hint or 2000
        for k, d in dated:
            try:
                days[k] = date(d[0] or yr, d[1], d[2])
            except ValueError:
                continue
    first_day: date | None = None
    if len(days) >= 2:
        first_day = min(days.values())
        keep = sorted(days)
        p = p[keep]
        t = np.array([(days[k] - first_day).days * 86400.0 + secs[k] for k in keep])
    else:
        # unwrap midnight crossings (times must increase left to right)
        day = 0.0
        out = [secs[0]]
        for s in secs[1:]:
            cand = s + day
            if cand < out[-1] - 6 * 3600:
                day += 86400.0
                cand = s + day
            out.append(cand)
        t = np.array(out)
    fit = robust_line(p, t, tol_frac=0.05)
    if fit is None:
        return None
    a, b, inl = fit
    if a <= 0:
        return None
    anchor = None
    off = tz_offset or timedelta(0)
    if first_day is not None:
        if not calendar:
            return XAxis(a=a, b=b, anchor=None, n_labels=int(inl.sum()))
        anchor = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc) - off
    elif reference_date is not None:
        right_day = int(np.floor(t[inl].max() / 86400.0))
        local_midnight = datetime(reference_date.year, reference_date.month, reference_date.day,
                                  tzinfo=timezone.utc) - timedelta(days=right_day)
        anchor = local_midnight - off
    return XAxis(a=a, b=b, anchor=anchor, n_labels=int(inl.sum()))
