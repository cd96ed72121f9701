"""Bounded streaming accumulators: per-template occurrences, error clusters, entities, access metrics."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from analysis.engines.logs.levels import rank

MAX_LINES = 50
SAMPLE_CHARS = 500
MAX_ENTITY_KEYS = 20_000
MAX_ERROR_KEYS = 2_000


def minute_key(dt: datetime) -> int:
    return int(dt.timestamp()) // 60


def minute_label(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, tz=timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def minute_dt(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=timezone.utc)


@dataclass
class Occurrence:
    """Where something was first seen: line range, time and an excerpt."""

    line_start: int
    line_end: int
    time: datetime | None
    excerpt: str


@dataclass
class TemplateAcc:
    """Running statistics of one template cluster."""

    count: int = 0
    level_rank: int = -1
    level: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    first: Occurrence | None = None
    lines: list[int] = field(default_factory=list)
    per_minute: dict[int, int] = field(default_factory=dict)
    minute_line: dict[int, int] = field(default_factory=dict)
    services: Counter = field(default_factory=Counter)
    errors: int = 0

    def add(self, line_start: int, line_end: int, ts: datetime | None, level: str | None,
            service: str | None, excerpt_fn) -> None:
        self.count += 1
        r = rank(level)
        if r > self.level_rank:
            self.level_rank, self.level = r, level
        if r >= 4:
            self.errors += 1
        if self.first is None:
            self.first = Occurrence(line_start, line_end, ts, excerpt_fn())
        if len(self.lines) < MAX_LINES:
            self.lines.append(line_start)
        if ts is not None:
            if self.first_seen is None or ts < self.first_seen:
                self.first_seen = ts
            if self.last_seen is None or ts > self.last_seen:
                self.last_seen = ts
            mk = minute_key(ts)
            pm = self.per_minute
            if mk in pm:
                pm[mk] += 1
            else:
                pm[mk] = 1
                self.minute_line[mk] = line_start
        if service:
            self.services[service] += 1


@dataclass
class ErrorCluster:
    """Error records grouped by exception type + top frames (or by template)."""

    key: str
    exception: str | None
    frames: list[str]
    template_ids: Counter = field(default_factory=Counter)
    count: int = 0
    first: Occurrence | None = None
    last_seen: datetime | None = None
    services: Counter = field(default_factory=Counter)
    level: str | None = None


class EntityCounter:
    """Bounded counters of entities by kind (hosts, services, endpoints, status codes, users …)."""

    def __init__(self) -> None:
        self.counters: dict[str, Counter] = {}

    def add(self, kind: str, value: str | None) -> None:
        if not value:
            return
        c = self.counters.get(kind)
        if c is None:
            c = self.counters[kind] = Counter()
        if value in c or len(c) < MAX_ENTITY_KEYS:
            c[value] += 1

    def top(self, k: int = 10) -> dict[str, list[tuple[str, int]]]:
        return {kind: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
                for kind, c in sorted(self.counters.items())}


class AccessAcc:
    """Per-minute request counts, 4xx/5xx and latency percentiles (overall and per upstream)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str], list] = {}
        self.upstreams: set[str] = set()

    def add(self, ts: datetime | None, status: str | None, latency_ms: str | None, upstream: str | None) -> None:
        if ts is None:
            return
        mk = minute_key(ts)
        lat = None
        if latency_ms:
            try:
                lat = float(latency_ms)
            except ValueError:
                lat = None
        keys = [(mk, "")]
        if upstream:
            if len(self.upstreams) < 200 or upstream in self.upstreams:
                self.upstreams.add(upstream)
                keys.append((mk, upstream))
        for key in keys:
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = [0, 0, 0, array("f")]
            row[0] += 1
            if status and status[:1] == "5":
                row[1] += 1
            elif status and status[:1] == "4":
                row[2] += 1
            if lat is not None:
                row[3].append(lat)

    def table(self) -> list[dict]:
        out: list[dict] = []
        per_upstream = len(self.upstreams) > 1
        for (mk, ups), (n, s5, s4, lats) in sorted(self.rows.items()):
            if ups and not per_upstream:
                continue
            d: dict = {"minute": minute_label(mk), "requests": n, "status_5xx": s5, "status_4xx": s4,
                       "p50_ms": None, "p95_ms": None, "p99_ms": None}
            if len(lats):
                a = np.frombuffer(lats, dtype=np.float32)
                p50, p95, p99 = np.percentile(a, [50, 95, 99])
                d.update(p50_ms=round(float(p50), 3), p95_ms=round(float(p95), 3), p99_ms=round(float(p99), 3))
            if ups:
                d["upstream"] = ups
            out.append(d)
        return out
