"""Timestamp recognition at the start of a log header, timezone handling and syslog year inference.

A :class:`TimestampReader` is stateful per file: it remembers which pattern matched last (tried
first next time), a year hint for formats without a year, and the last month seen so a
December -> January rollover moves the inferred year forward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

_TZ = r"(?:\s?(?P<tz>Z|[+-]\d{2}:?\d{2}|UTC|GMT)(?![\w]))?"
_FRAC = r"(?:[.,:](?P<frac>\d{1,9}))?"

#: (name, regex). Named groups: Y (4-digit) or y (2-digit) year, M month number or b month name,
#: D day, h, m, s, frac, tz, e (epoch seconds), E (epoch millis), L (klog level letter).
_PATTERNS: list[tuple[str, str]] = [
    ("iso", r"(?P<Y>\d{4})[-/.](?P<M>\d{2})[-/.](?P<D>\d{2})[T _-](?P<h>\d{2})[:.](?P<m>\d{2})[:.](?P<s>\d{1,2})(?!\d)"
            + _FRAC + _TZ),
    ("syslog", r"(?P<b>[A-Z][a-z]{2})\s{1,2}(?P<D>\d{1,2})\s(?:(?P<Y>\d{4})\s)?(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
               r"(?:\.(?P<frac>\d{1,9}))?" + _TZ),
    ("ctime", r"[A-Z][a-z]{2}\s(?P<b>[A-Z][a-z]{2})\s{1,2}(?P<D>\d{1,2})\s(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
              r"(?:\.(?P<frac>\d{1,9}))?\s(?P<Y>\d{4})"),
    ("dmy", r"(?P<D>\d{1,2})[/ ](?P<b>[A-Z][a-z]{2})[/ ](?P<Y>\d{4})[: ](?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
            + _FRAC + _TZ),
    ("compact8", r"(?P<Y>\d{4})(?P<M>\d{2})(?P<D>\d{2})[-T ]?(?P<h>\d{1,2}):?(?P<m>\d{1,2}):?(?P<s>\d{1,2})"
                 r"(?:[:.,](?P<frac>\d{1,6}))?(?!\d)"),
    ("compact6", r"(?P<y>\d{2})(?P<M>\d{2})(?P<D>\d{2})\s(?P<h>\d{2})(?P<m>\d{2})(?P<s>\d{2})(?!\d)"),
    ("yymmdd", r"(?P<y>\d{2})/(?P<M>\d{2})/(?P<D>\d{2})\s(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})" + _FRAC),
    ("mdy", r"(?P<M>\d{2})/(?P<D>\d{2})/(?P<Y>\d{4})[ :](?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})" + _FRAC + _TZ),
    ("klog", r"(?P<L>[IWEF])(?P<M>\d{2})(?P<D>\d{2})\s(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d{1,9}))?"),
    ("md", r"(?P<M>\d{2})[-.](?P<D>\d{2})\s(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d{1,9}))?"),
    ("epoch", r"(?:(?P<E>1\d{12})|(?P<e>1\d{9})(?:\.(?P<frac>\d{1,9}))?)(?![\d.])"),
]
COMPILED: list[tuple[str, re.Pattern[str]]] = [(n, re.compile(p)) for n, p in _PATTERNS]
_BY_NAME = dict(COMPILED)

KLOG_LEVELS = {"I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL"}

#: Date-like mentions that reveal the year of a file whose timestamps lack one.
_YEAR_HINT = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-/.](?:0[1-9]|1[0-2])(?!\d)"
    r"|\d{1,2}/[A-Z][a-z]{2}/((?:19|20)\d{2})"
    r"|[A-Z][a-z]{2}\s+\d{1,2},?\s+((?:19|20)\d{2})(?!\d)"
)


def find_year_hint(text: str) -> int | None:
    """A 4-digit year mentioned in a date-like context in ``text`` (file name or log text)."""
    m = _YEAR_HINT.search(text)
    if not m:
        return None
    for g in m.groups():
        if g:
            return int(g)
    return None


def parse_tz(tz: str | None) -> timezone:
    """``Z``/``UTC``/``+0200``/``-05:30`` -> a fixed-offset timezone (UTC when absent)."""
    if not tz or tz in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def epoch_to_dt(value: float) -> datetime | None:
    """Epoch seconds, millis, micros or nanos -> UTC datetime (None when implausible)."""
    v = float(value)
    for scale in (1.0, 1e3, 1e6, 1e9):
        s = v / scale
        if 631152000 <= s <= 4102444800:  # 1990 .. 2100
            return datetime.fromtimestamp(s, tz=timezone.utc)
    return None


def parse_iso(text: str) -> datetime | None:
    """Parse a free-standing timestamp string (JSON/logfmt values, table cells)."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return epoch_to_dt(float(text))
    for name, rx in COMPILED:
        if name in ("epoch", "klog", "md"):
            continue
        m = rx.match(text)
        if m:
            return _build(m, year=None, now=None)
    return None


def _build(m: re.Match[str], year: int | None, now: datetime | None,
           g: dict[str, str | None] | None = None) -> datetime | None:
    if g is None:
        g = m.groupdict()
    try:
        if g.get("E"):
            return epoch_to_dt(int(g["E"]) / 1000.0)
        if g.get("e"):
            frac = g.get("frac") or "0"
            return epoch_to_dt(float(f"{g['e']}.{frac}"))
        if g.get("Y"):
            y = int(g["Y"])
        elif g.get("y"):
            y = 2000 + int(g["y"])
        else:
            y = year if year is not None else (now.year if now else 1970)
        if g.get("b"):
            mon = MONTHS.get(g["b"].lower())
            if mon is None:
                return None
        else:
            mon = int(g["M"])
        frac = g.get("frac") or ""
        micro = int((frac + "000000")[:6]) if frac else 0
        tz = g.get("tz")
        utc_tz = not tz or tz in ("Z", "UTC", "GMT")
        dt = datetime(y, mon, int(g["D"]), int(g["h"]), int(g["m"]), min(int(g["s"]), 59), micro,
                      tzinfo=timezone.utc if utc_tz else parse_tz(tz))
    except (ValueError, OverflowError):
        return None
    return dt if utc_tz else dt.astimezone(timezone.utc)


@dataclass
class TimestampMatch:
    """A timestamp found at a position: the UTC time, where it ends, and a level it implied (klog)."""

    dt: datetime
    end: int
    pattern: str
    level: str | None = None


class TimestampReader:
    """Finds timestamps at a given position; remembers the last pattern and infers missing years."""

    def __init__(self, *, now: datetime | None = None, year_hint: int | None = None) -> None:
        self._order: list[tuple[str, re.Pattern[str]]] = list(COMPILED)
        self.now = now or datetime.now(timezone.utc)
        self.year_hint = year_hint
        self._year: int | None = None
        self._last_month: int | None = None
        self._cache: dict[tuple[str, str], TimestampMatch] = {}

    def match(self, text: str, pos: int = 0) -> TimestampMatch | None:
        """Match a timestamp starting exactly at ``pos`` of ``text``."""
        if pos >= len(text):
            return None
        c = text[pos]
        if not (c.isdigit() or "A" <= c <= "Z"):
            return None
        order = self._order
        cache = self._cache
        for i, (name, rx) in enumerate(order):
            m = rx.match(text, pos)
            if m is None:
                continue
            key = (name, m.group(0))
            hit = cache.get(key)
            if hit is not None:
                if i:
                    order.insert(0, order.pop(i))
                return TimestampMatch(hit.dt, m.end(), name, hit.level)
            g = m.groupdict()
            needs_year = not (g.get("Y") or g.get("y") or g.get("e") or g.get("E"))
            dt = _build(m, year=self._infer_year(g) if needs_year else None, now=self.now, g=g)
            if dt is None:
                continue
            if i:
                order.insert(0, order.pop(i))
            level = KLOG_LEVELS.get(g["L"]) if g.get("L") else None
            tm = TimestampMatch(dt, m.end(), name, level)
            if len(cache) >= 20_000:
                cache.clear()
            cache[key] = tm
            return tm
        return None

    def _infer_year(self, g: dict[str, str | None]) -> int:
        mon = MONTHS.get((g.get("b") or "").lower()) if g.get("b") else int(g.get("M") or 1)
        if self._year is None:
            if self.year_hint is not None:
                self._year = self.year_hint
            else:
                y = self.now.year
                # A date later than "now" (plus a day of slack) belongs to last year.
                try:
                    cand = datetime(y, mon or 1, min(int(g.get("D") or 1), 28), tzinfo=timezone.utc)
                except ValueError:
                    cand = self.now
                self._year = y - 1 if cand > self.now + timedelta(days=1) else y
        elif self._last_month is not None and mon is not None and mon < self._last_month and \
                self._last_month - mon >= 6:
            self._year += 1  # December -> January rollover
        self._last_month = mon
        return self._year
