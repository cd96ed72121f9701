"""The log explorer: cached per-line view of a log artifact, filters, templates table, raw lines around a template.

Heavy work (the log engine's analysis plus a per-line frame of template, record, timestamp and
level) is cached with ``st.cache_data`` keyed by the artifact's sha256, so widget interactions only
filter and draw. Log text is shown through ``st.dataframe`` / ``st.code`` (no markup) or the shared
log viewer (HTML-escaped); Markdown captions go through ``format.md``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import streamlit as st

from analysis.engines.logs import LogAnalysis, TemplateStat, analyze_log, iter_assignments, iter_records
from analysis.engines.logs.models import LEVEL_RANK, LEVELS
from analysis.models import Artifact
from components import format as fmt
from components.log_view import log_html
from components.metric_explorer import clamp_range
from components.resources import loaded_artifact
from components.session_state import UiState

#: Raw lines drawn at once; the rest is reached with "From line".
PAGE_LINES = 500
#: Lines shown before the selected template's first matching line.
CONTEXT_BEFORE = 20
#: Sparkline points per template.
SPARK_BINS = 60
NO_LEVEL = "(none)"


@dataclass(frozen=True)
class LogExplored:
    """One log artifact, analysed: the engine's result and one row per input line.

    ``frame`` columns: ``line`` (1-based), ``record`` (first line of its record), ``template``
    (template id, ``""`` when none), ``ts`` (UTC; continuation and untimed lines inherit the
    previous timestamp), ``level`` (normalised, ``(none)`` when the record has none).
    """

    analysis: LogAnalysis
    frame: pd.DataFrame
    timed: bool
    sha256: str = ""

    @property
    def by_id(self) -> dict[str, TemplateStat]:
        return {t.id: t for t in self.analysis.templates}

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        if not self.timed:
            return None
        ts = self.frame["ts"]
        return ts.min().to_pydatetime(), ts.max().to_pydatetime()

    @property
    def levels(self) -> list[str]:
        present = set(self.frame["level"].astype(str).unique())
        return [lv for lv in (*reversed(LEVELS), NO_LEVEL) if lv in present]


def per_line_frame(lines: list[str], name: str, now: datetime | None = None) -> pd.DataFrame:
    """One row per line: template (``iter_assignments``), record, timestamp and level (``iter_records``)."""
    n = len(lines)
    template = [""] * n
    for ln, tid, _ in iter_assignments(lines, name, now=now):
        if 1 <= ln <= n:
            template[ln - 1] = tid
    record = np.arange(1, n + 1, dtype=np.int64)
    ts: list[datetime | None] = [None] * n
    level = [NO_LEVEL] * n
    for r in iter_records(lines, name, now=now):
        lo, hi = r.line_start - 1, min(r.line_end, n)
        record[lo:hi] = r.line_start
        ts[lo:hi] = [r.timestamp] * (hi - lo)
        lv = (r.level or "").upper()
        level[lo:hi] = [lv if lv in LEVEL_RANK else NO_LEVEL] * (hi - lo)
    when = pd.to_datetime(pd.Series(ts, dtype=object), utc=True).ffill().bfill()
    return pd.DataFrame({"line": np.arange(1, n + 1, dtype=np.int64), "record": record,
                         "template": pd.Categorical(template), "ts": when, "level": pd.Categorical(level)})


@st.cache_data(show_spinner="Reading the log…", max_entries=8)
def _explored(sha256: str, name: str, _artifact: Artifact) -> LogExplored:
    lines = loaded_artifact(_artifact).lines()
    now = _artifact.created_at
    analysis = analyze_log(lines, artifact_id=_artifact.id, name=name, now=now)
    frame = per_line_frame(lines, name, now)
    return LogExplored(analysis, frame, bool(frame["ts"].notna().any()), sha256)


def explore(artifact: Artifact) -> LogExplored:
    """The artifact's analysis and per-line frame, computed once per content (sha256)."""
    return _explored(artifact.sha256, artifact.name, artifact)


# ------------------------------------------------------------------------------------------ filters
@dataclass(frozen=True)
class LogFilter:
    """What the analyst narrowed the log to; empty fields mean no restriction."""

    levels: tuple[str, ...] = ()
    text: str = ""
    window: tuple[datetime, datetime] | None = None


def text_hits(lines: list[str], needle: str) -> np.ndarray:
    """Boolean per line: ``needle`` occurs in it, ignoring case."""
    needle = needle.lower()
    return np.fromiter((needle in ln.lower() for ln in lines), dtype=bool, count=len(lines))


@st.cache_data(show_spinner=False, max_entries=16)
def _text_hits(sha256: str, needle: str, _lines: list[str]) -> np.ndarray:
    return text_hits(_lines, needle)


def line_mask(ex: LogExplored, lines: list[str], flt: LogFilter) -> np.ndarray:
    """Boolean mask over the lines: level, time window (whole minutes) and case-insensitive text."""
    f = ex.frame
    mask = np.ones(len(f), dtype=bool)
    if flt.levels:
        mask &= f["level"].isin(flt.levels).to_numpy()
    if flt.window is not None and ex.timed:
        lo, hi = (pd.Timestamp(t) for t in flt.window)
        ts = f["ts"]
        mask &= ((ts >= lo) & (ts < hi + pd.Timedelta(minutes=1))).to_numpy()
    if flt.text.strip():
        needle = flt.text.strip()
        mask &= _text_hits(ex.sha256, needle, lines) if ex.sha256 else text_hits(lines, needle)
    return mask


def _bins(window: tuple[datetime, datetime], n: int) -> tuple[pd.Timestamp, pd.Timedelta, int]:
    lo, hi = pd.Timestamp(window[0]).floor("min"), pd.Timestamp(window[1]).floor("min")
    minutes = int((hi - lo) / pd.Timedelta(minutes=1)) + 1
    width = max(1, -(-minutes // n))
    return lo, pd.Timedelta(minutes=width), -(-minutes // width)


def counts_per_bin(ex: LogExplored, mask: np.ndarray, window: tuple[datetime, datetime], n: int) -> tuple[pd.DataFrame, pd.Timedelta]:
    """Records (first lines) under ``mask`` per template and time bin: rows template ids, columns bin starts."""
    f = ex.frame[mask & (ex.frame["line"] == ex.frame["record"]).to_numpy()]
    lo, width, count = _bins(window, n)
    starts = [lo + width * i for i in range(count)]
    if f.empty:
        return pd.DataFrame(columns=starts, dtype=int), width
    b = ((f["ts"] - lo) // width).clip(0, count - 1).astype(int)
    table = pd.crosstab(f["template"].astype(str), b).reindex(columns=range(count), fill_value=0)
    table.columns = starts
    return table, width


def templates_table(ex: LogExplored, mask: np.ndarray, window: tuple[datetime, datetime] | None) -> pd.DataFrame:
    """Templates with at least one line under ``mask``: counts, level, first/last seen, sparkline over ``window``."""
    f = ex.frame[mask]
    matching = f.groupby("template", observed=True)["record"].nunique()
    by_id = ex.by_id
    ids = [t.id for t in ex.analysis.templates if matching.get(t.id, 0) > 0]
    ids.sort(key=lambda i: (-int(matching[i]), -LEVEL_RANK.get(by_id[i].level or "", -1), i))
    spark: dict[str, list[int]] = {}
    if ex.timed and ids:
        table, _ = counts_per_bin(ex, mask, window or ex.span, SPARK_BINS)
        spark = {i: [int(v) for v in table.loc[i]] if i in table.index else [] for i in ids}

    def stamp(dt: datetime | None) -> str:
        return "—" if dt is None else dt.strftime("%Y-%m-%d %H:%M:%S")

    rows = [{"template": by_id[i].template, "level": by_id[i].level or NO_LEVEL, "matching": int(matching[i]),
             "count": by_id[i].count, "first seen (UTC)": stamp(by_id[i].first_seen),
             "last seen (UTC)": stamp(by_id[i].last_seen), "rate": spark.get(i, []), "id": i} for i in ids]
    return pd.DataFrame(rows, columns=["template", "level", "matching", "count", "first seen (UTC)",
                                       "last seen (UTC)", "rate", "id"])


# ------------------------------------------------------------------------------------------ widgets
def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def time_window(ex: LogExplored, state: UiState, key: str) -> tuple[datetime, datetime] | None:
    """UTC range slider over the log, starting at the session's shared range; a move is written back."""
    span = ex.span
    if span is None:
        st.caption("This log has no timestamps, so it cannot be narrowed by time.")
        return None
    lo, hi = span
    if hi - lo < timedelta(minutes=1):
        return span
    shared = state.time_range
    start, end = clamp_range(span, shared)
    if shared and (start, end) == span and (shared[1] < lo or shared[0] > hi):
        st.caption(f"The shared time range ({fmt.when(shared[0])} → {fmt.when(shared[1])}) misses this log: "
                   "showing all of it.")
    slider_key = f"{key}.range"
    seed_key = f"{slider_key}.seed"
    if st.session_state.get(seed_key) != (start, end):  # follow a range set elsewhere
        st.session_state[slider_key] = (_naive(start), _naive(end))
    step = timedelta(minutes=1) if hi - lo <= timedelta(days=2) else timedelta(minutes=15)
    picked = st.slider("Time range (UTC)", min_value=_naive(lo), max_value=_naive(hi), step=step,
                       format="MM-DD HH:mm", key=slider_key,
                       help="Shared with the metric explorer and the other timeline views of this incident.")
    out = tuple(t.replace(tzinfo=timezone.utc) for t in picked)
    if st.session_state.get(seed_key) is not None and out != st.session_state[seed_key]:
        state.time_range = out  # the analyst moved it: share it
    st.session_state[seed_key] = out
    return out  # type: ignore[return-value]


def filters(ex: LogExplored, state: UiState, key: str) -> LogFilter:
    """Level and text filters in a row, the time slider below; returns the filter."""
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    levels = left.multiselect("Levels", ex.levels, key=f"{key}.levels", placeholder="All levels")
    text = right.text_input("Text contains", key=f"{key}.text", placeholder="case-insensitive, e.g. timeout")
    window = time_window(ex, state, key)
    return LogFilter(tuple(levels), text, window if window != ex.span else None)


def template_picker(table: pd.DataFrame, key: str) -> str | None:
    """The templates table with single-row selection; returns the picked template id.

    The table's key follows its rows, so a filter change starts a fresh widget; the picked id is
    kept separately and re-selected when it is still listed.
    """
    ids = table["id"].tolist()
    table_key = f"{key}.templates.{hashlib.sha1('|'.join(ids).encode()).hexdigest()[:10]}"
    store_key = f"{key}.picked"
    stored = st.session_state.get(store_key)
    fresh = table_key not in st.session_state
    if fresh and stored in ids:
        st.session_state[table_key] = {"selection": {"rows": [ids.index(stored)], "columns": [], "cells": []}}
    peak = max((max(r) for r in table["rate"] if r), default=1)
    event = st.dataframe(
        table, key=table_key, hide_index=True, on_select="rerun", selection_mode="single-row",
        column_config={
            "template": st.column_config.TextColumn("template", width="large"),
            "matching": st.column_config.NumberColumn("matching", help="records matching the filters"),
            "count": st.column_config.NumberColumn("count", help="records in the whole file"),
            "rate": st.column_config.LineChartColumn("rate in range", y_min=0, y_max=peak, width="small",
                                                     help="matching records over the time range"),
            "id": st.column_config.TextColumn("id", width="small"),
        })
    rows = event.selection.rows if event is not None else []
    picked = ids[rows[0]] if rows and rows[0] < len(ids) else None
    if not (fresh and stored is not None and stored not in ids):
        st.session_state[store_key] = picked
    return picked


def marked_html(numbered: list[tuple[int, str]], marked: set[int], height: int = 560) -> str:
    """The shared log viewer's HTML with every line in ``marked`` highlighted (not only one range)."""
    out = log_html(numbered, height=height)

    def mark(m: re.Match) -> str:
        cls = f"{m.group(1)} hit".strip() if int(m.group(2)) in marked else m.group(1)
        return f'<tr class="{cls}" data-line="{m.group(2)}">'

    # log text is HTML-escaped by log_html, so "<tr " only ever starts a row of the viewer itself
    return re.sub(r'<tr class="([^"]*)" data-line="(\d+)">', mark, out)


def take_link(artifact_ids: list[str], select_key: str) -> tuple[str, int] | None:
    """Consume ``?artifact=<id>&line=<n>`` (a link from evidence): pick that file; ``(artifact id, line)``."""
    art, line = st.query_params.get("artifact"), st.query_params.get("line")
    if art is None and line is None:
        return None
    st.query_params.pop("artifact", None)
    st.query_params.pop("line", None)
    if art not in artifact_ids:
        return None
    st.session_state[select_key] = art
    return (art, int(line)) if line and line.isdigit() and int(line) > 0 else None


def raw_lines(ex: LogExplored, lines: list[str], mask: np.ndarray, picked: str | None, only_picked: bool, key: str,
              focus: int | None = None) -> None:
    """Lines under ``mask``, numbered, ``PAGE_LINES`` at a time from a chosen line; the picked template's lines
    marked, else the record holding line ``focus`` (opened from a link) marked and shown."""
    f = ex.frame
    if picked and only_picked:
        mask = mask & (f["template"] == picked).to_numpy()
    if not picked and focus and focus <= len(f):
        record = int(f["record"].iat[focus - 1])
        mask = mask | (f["record"] == record).to_numpy()
    digest = hashlib.sha1(np.packbits(mask).tobytes()).hexdigest()[:10]
    matched = f["line"].to_numpy()[mask]
    total = len(matched)
    if total == 0:
        st.caption("No line matches these filters.")
        return
    if picked:
        mine = matched[(f["template"].to_numpy()[mask] == picked)]
    elif focus and focus <= len(f):
        mine = matched[f["record"].to_numpy()[mask] == int(f["record"].iat[focus - 1])]
    else:
        mine = matched[:0]
    anchor = int(mine[0]) if len(mine) else int(matched[0])
    default = int(matched[max(0, int(np.searchsorted(matched, anchor)) - CONTEXT_BEFORE)])
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    start = int(c1.number_input("From line", min_value=1, max_value=max(len(lines), 1), value=default, step=PAGE_LINES,
                                key=f"{key}.from.{digest}.{picked or focus}"))
    pos = int(np.searchsorted(matched, start))
    shown = matched[pos:pos + PAGE_LINES]
    if len(shown) == 0:
        c2.caption(f"{total:,} matching lines, none from line {start:,} on.")
        return
    marked = {int(i) for i in mine[(mine >= shown[0]) & (mine <= shown[-1])]}
    c2.caption(f"{total:,} of {len(lines):,} lines match · showing {len(shown):,} (lines {int(shown[0]):,}–{int(shown[-1]):,})"
               + (f" · {len(marked):,} of the selected template's {len(mine):,} matching lines highlighted" if picked else "")
               + (f" · the record at line {focus:,} highlighted" if marked and not picked else ""))
    st.html(marked_html([(int(i), lines[i - 1]) for i in shown], marked))
