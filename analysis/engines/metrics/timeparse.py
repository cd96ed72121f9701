"""Timestamp column parsing: ISO 8601 (with or without offset), epoch s/ms/us/ns, locale formats.

Returns UTC ``datetime64[ns]`` values; naive timestamps are taken as UTC. Parsing works on the
unique values of a column so long-format files (the same timestamps repeated per series) stay fast.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

#: Epoch magnitude bounds (values of "now-ish" dates) per unit.
_EPOCH_UNITS = (("s", 1e8, 1e11), ("ms", 1e11, 1e14), ("us", 1e14, 1e17), ("ns", 1e17, 1e20))
_DAYFIRST_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})")
#: Go ``time.Time.String()`` output: "2023-01-29 10:47:09.096851078 +0000 UTC m=+7560.17" -> ISO part + offset.
_GO_TIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s+([+-]\d{4})(?:\s+[A-Z]{2,5})?"
                         r"(?:\s+m=[+-][\d.]+)?$")
_TIME_NAMES = ("timestamp", "time", "ts", "date", "datetime", "@timestamp", "_time", "time_stamp",
               "event_time", "period", "interval", "t", "when", "epoch", "unix_time")


def is_time_name(col: str) -> bool:
    """Does a header look like a time column name?"""
    c = col.strip().strip('"').lower()
    return c in _TIME_NAMES or c.endswith("timestamp") or c.endswith("_time") or c.startswith("time")


def epoch_unit(values: np.ndarray) -> str | None:
    """Epoch unit ('s', 'ms', 'us', 'ns') of a numeric column, or None if it is not an epoch column."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return None
    med = float(np.median(np.abs(v)))
    for unit, lo, hi in _EPOCH_UNITS:
        if lo <= med < hi:
            return unit
    return None


def parse_numeric_epoch(values: np.ndarray) -> pd.DatetimeIndex | None:
    """Epoch numbers -> UTC datetimes, or None when the magnitudes do not look like epochs."""
    unit = epoch_unit(values)
    if unit is None:
        return None
    scale = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[unit]
    ns = np.where(np.isfinite(values), np.round(values * scale), np.nan)
    out = pd.to_datetime(ns, unit="ns", utc=True)
    return pd.DatetimeIndex(out)


def _dayfirst(samples: list[str]) -> bool:
    for s in samples:
        m = _DAYFIRST_RE.match(s)
        if m and int(m.group(1)) > 12:
            return True
        if m and int(m.group(2)) > 12:
            return False
    # dotted dates (12.03.2024) are day-first by convention
    return any(re.match(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}", s) for s in samples[:5])


def _parse_unique(uniq: pd.Index) -> pd.DatetimeIndex:
    """Parse unique timestamp strings to UTC; unparseable values become NaT."""
    strs = uniq.astype(str)
    stripped = pd.Index([s.strip() for s in strs])
    # numeric strings -> epoch
    nums = pd.to_numeric(stripped, errors="coerce")
    if np.isfinite(np.asarray(nums, dtype=float)).mean() > 0.9:
        parsed = parse_numeric_epoch(np.asarray(nums, dtype=float))
        if parsed is not None:
            return parsed
    go = [_GO_TIME_RE.match(s) for s in stripped]
    if go and sum(m is not None for m in go) >= 0.9 * len(go):
        iso = pd.Index([f"{m.group(1)}T{m.group(2)}{m.group(3)}" if m else "" for m in go])
        return pd.DatetimeIndex(pd.to_datetime(iso, format="ISO8601", utc=True, errors="coerce"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.DatetimeIndex(pd.to_datetime(stripped, format="ISO8601", utc=True))
        except (ValueError, TypeError, OverflowError):
            pass
        samples = [s for s in stripped[:200] if s and s.lower() not in ("nan", "none", "")]
        dayfirst = _dayfirst(samples)
        fmt = guess_datetime_format(samples[0], dayfirst=dayfirst) if samples else None
        if fmt:
            try:
                return pd.DatetimeIndex(pd.to_datetime(stripped, format=fmt, utc=True))
            except (ValueError, TypeError, OverflowError):
                pass
        cleaned = pd.Index([re.sub(r"\s+(UTC|GMT|Z)$", "", s) for s in stripped])
        return pd.DatetimeIndex(pd.to_datetime(cleaned, format="mixed", dayfirst=dayfirst, utc=True,
                                               errors="coerce"))


def parse_time_column(col: pd.Series) -> pd.DatetimeIndex:
    """Parse a whole column (strings or numbers) to UTC datetimes; bad cells become NaT."""
    if pd.api.types.is_numeric_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        parsed = parse_numeric_epoch(vals)
        if parsed is None:
            return pd.DatetimeIndex(pd.Series(pd.NaT, index=range(len(col)), dtype="datetime64[ns, UTC]"))
        return parsed.as_unit("ns")
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype):
        return pd.DatetimeIndex(pd.to_datetime(col, utc=True)).as_unit("ns")
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, uniq = col.cat.codes.to_numpy(), col.cat.categories
    else:
        codes, uniq = pd.factorize(col, use_na_sentinel=True)
    parsed = _parse_unique(pd.Index(np.asarray(uniq, dtype=object))).as_unit("ns")
    values = parsed.asi8
    out = np.where(codes >= 0, values[np.maximum(codes, 0)], np.iinfo(np.int64).min)
    return pd.DatetimeIndex(pd.to_datetime(out.view("datetime64[ns]"), utc=True)).as_unit("ns")


def parse_ratio(col: pd.Series, sample: int = 200) -> float:
    """Fraction of the first ``sample`` non-empty cells that parse as timestamps."""
    head = col.dropna().head(sample)
    if head.empty:
        return 0.0
    if pd.api.types.is_numeric_dtype(head.dtype):
        return 1.0 if epoch_unit(head.to_numpy(dtype=float)) else 0.0
    if pd.api.types.is_bool_dtype(head.dtype):
        return 0.0
    parsed = parse_time_column(head.astype(str).reset_index(drop=True))
    return float((~parsed.isna()).mean())
