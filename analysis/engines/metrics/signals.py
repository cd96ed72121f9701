"""Metric-family signal tags for findings (``error_rate_up``, ``latency_up``, ``memory_up`` ...).

The supervisor reasons over these tags; they come from the series name (and unit), never from
the values, so a renamed metric in another system still lands in the right family.
"""

from __future__ import annotations

import re

#: (family, pattern on the lower-cased series name); first match wins.
FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((f, re.compile(p)) for f, p in (
    ("error_rate", r"5xx|4xx|error|fail|exception|deadline|timeout|_429|rejected|denied"),
    ("success_rate", r"success|approved|_ok_|_ok$|reservations_ok|hit_ratio|hit_rate|availability"),
    ("latency", r"latency|duration|response_time|rq_time|handling_seconds|_p9\d|_p50|elapsed|call_p\d"),
    ("memory", r"memory|heap|_rss|working_set|\bmem"),
    ("cpu", r"cpu|load_avg|throttl"),
    ("disk", r"filesystem|disk|volume|inode|storage"),
    ("connections", r"connection|pool|pg_stat_activity|sessions|threads|inflight|in_flight"),
    ("queue", r"queue|backlog|lag|pending"),
    ("restarts", r"restart|oom|evict|crash"),
    ("availability", r"^up\b|^up\{|ready|active_servers|healthy|replicas"),
    ("traffic", r"requests|_rps|_qps|per_sec|per_min|throughput|network_in|network_out|bytes_in|count"),
))


def family_of(series: str) -> str | None:
    """Metric family of a series name, or None when it does not match any family."""
    low = series.lower()
    for fam, pat in FAMILIES:
        if pat.search(low):
            return fam
    return None


def signals_for(series: str, direction: str) -> list[str]:
    """Signal tags for a change of ``series`` in ``direction`` ('up'/'down')."""
    fam = family_of(series)
    if fam is None:
        return [f"metric_{direction}"]
    return [f"{fam}_{direction}"]
