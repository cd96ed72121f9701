"""The metric explorer: cached analysis of a metrics artifact, series search/picker, range, charts, onset tables.

Heavy work (parsing the CSV and running the detector) is cached with ``st.cache_data`` keyed by the
artifact's sha256, so widget interactions only filter and draw. Every name, label and value shown
comes from user files: charts escape it for plotly, tables render it as plain text, Markdown goes
through ``format.md``.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from analysis.engines.metrics import MetricAnalysis, SeriesSummary, analyze_metrics, load_metrics
from analysis.models import Artifact
from components import format as fmt
from components.resources import loaded_artifact

#: Series drawn by default (moved-first order); more can be picked.
DEFAULT_PICK = 6
BAND_COLOURS = {"up": "rgba(229,57,53,0.18)", "down": "rgba(30,136,229,0.18)"}
MARKER_COLOURS = {"up": "#c62828", "down": "#1565c0"}
#: Log events drawn on the charts at most (the table lists them all).
MAX_MARKS = 40


@dataclass(frozen=True)
class Explored:
    """One metrics artifact, loaded and analysed: the long frame and the engine's result."""

    frame: pd.DataFrame
    analysis: MetricAnalysis

    @property
    def by_name(self) -> dict[str, SeriesSummary]:
        return {s.name: s for s in self.analysis.series}

    @property
    def span(self) -> tuple[datetime, datetime]:
        ts = self.frame["timestamp"]
        return ts.min().to_pydatetime(), ts.max().to_pydatetime()


@st.cache_data(show_spinner="Analysing the metrics…", max_entries=8)
def _explored(sha256: str, name: str, _artifact: Artifact) -> Explored:
    table = load_metrics(loaded_artifact(_artifact).payload(), name)
    frame = table.frame.assign(series=table.frame["series"].astype(str))
    return Explored(frame, analyze_metrics(table, artifact_id=_artifact.id, name=name))


def explore(artifact: Artifact) -> Explored:
    """The artifact's table and analysis, computed once per content (sha256)."""
    return _explored(artifact.sha256, artifact.name, artifact)


def _plain(text: object) -> str:
    """Plotly renders a subset of HTML in labels and hovers: escape it so names stay text."""
    return html.escape(str(text), quote=False)


# ------------------------------------------------------------------------------------------ search / order
def matches(summary: SeriesSummary, query: str) -> bool:
    """Every whitespace-separated term of ``query`` occurs (case-insensitive) in the name or a label."""
    hay = " ".join([summary.name, *(f"{k}={v}" for k, v in summary.labels.items()), summary.service or ""]).lower()
    return all(term in hay for term in query.lower().split())


def ordered_names(ex: Explored) -> list[str]:
    """Series that moved, earliest onset first, then the others by name."""
    moved = [name for name, _ in ex.analysis.onset_order]
    rest = sorted(s.name for s in ex.analysis.series if s.onset is None)
    return moved + rest


def search_and_pick(ex: Explored, key: str) -> list[str]:
    """Search box, 'only series that moved' toggle and the series picker; returns the picked names."""
    by_name = ex.by_name
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    query = left.text_input("Search series", key=f"{key}.search", placeholder="name or label, e.g. orders-db cpu")
    only_moved = right.toggle("Only series that moved", key=f"{key}.moved")
    names = [n for n in ordered_names(ex) if matches(by_name[n], query) and (not only_moved or by_name[n].onset)]
    st.caption(f"{len(names)} of {len(by_name)} series match." if query or only_moved else f"{len(by_name)} series.")
    # the picker restarts from the first matches whenever the filter changes
    filt = hashlib.sha1(f"{' '.join(query.lower().split())}|{only_moved}".encode()).hexdigest()[:8]
    pick_key = f"{key}.pick.{filt}"
    return st.multiselect("Series to chart", names, default=names[:DEFAULT_PICK], key=pick_key,
                          placeholder="Pick series to chart")


# ------------------------------------------------------------------------------------------ time range
def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def clamp_range(span: tuple[datetime, datetime], chosen: tuple[datetime, datetime] | None) -> tuple[datetime, datetime]:
    """``chosen`` cut to the data's span; the whole span when nothing is chosen or it misses the data."""
    lo, hi = span
    if not chosen or chosen[1] < lo or chosen[0] > hi:
        return lo, hi
    return max(chosen[0], lo), min(chosen[1], hi)


def time_range(ex: Explored, chosen: tuple[datetime, datetime] | None, key: str) -> tuple[datetime, datetime]:
    """A UTC range slider over the data, starting at the session's shared range; returns the UTC range."""
    lo, hi = ex.span
    if hi <= lo:
        return lo, hi
    start, end = clamp_range((lo, hi), chosen)
    step = timedelta(minutes=1) if hi - lo <= timedelta(days=2) else timedelta(minutes=15)
    slider_key = f"{key}.range"
    if st.session_state.get(f"{slider_key}.seed") != (start, end):  # follow a range set elsewhere
        st.session_state[slider_key] = (_naive(start), _naive(end))
    picked = st.slider("Time range (UTC)", min_value=_naive(lo), max_value=_naive(hi), step=step,
                       format="MM-DD HH:mm", key=slider_key,
                       help="Shared with the log explorer and the other timeline views of this incident.")
    out = tuple(t.replace(tzinfo=timezone.utc) for t in picked)
    st.session_state[f"{slider_key}.seed"] = out
    return out  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------ charts
def _value_at(part: pd.DataFrame, when: datetime) -> float:
    idx = int(part["timestamp"].searchsorted(pd.Timestamp(when)))
    return float(part["value"].iloc[min(idx, len(part) - 1)])


def explorer_figure(ex: Explored, names: list[str], window: tuple[datetime, datetime] | None = None,
                    marks: list[datetime] | None = None, row_height: int = 170) -> go.Figure:
    """One panel per series: values, anomaly bands (shaded start..end), change-point markers and
    ``marks`` (log events) as dotted vertical lines across every panel."""
    by_name = ex.by_name
    fig = make_subplots(rows=max(len(names), 1), cols=1, shared_xaxes=True,
                        vertical_spacing=0.05 if len(names) < 6 else 0.025, subplot_titles=[_plain(n) for n in names] or None)
    for row, name in enumerate(names, start=1):
        s = by_name[name]
        part = ex.frame[ex.frame["series"] == name]
        unit = f" {_plain(s.unit)}" if s.unit else ""
        fig.add_trace(go.Scatter(x=part["timestamp"], y=part["value"], mode="lines", name=_plain(name),
                                 line=dict(width=1.6, color="#455a64"),
                                 hovertemplate=f"%{{x|%Y-%m-%d %H:%M:%S}} UTC<br>%{{y:.4g}}{unit}<extra></extra>"),
                      row=row, col=1)
        for a in s.anomalies:
            fig.add_vrect(x0=a.start, x1=max(a.end, a.start + timedelta(seconds=1)), fillcolor=BAND_COLOURS[a.direction],
                          line_width=0, row=row, col=1)
        if s.change_points:
            cps = s.change_points
            fig.add_trace(go.Scatter(
                x=[c.time for c in cps], y=[_value_at(part, c.time) for c in cps], mode="markers", name="change point",
                marker=dict(symbol="diamond", size=11, color=[MARKER_COLOURS[c.direction] for c in cps],
                            line=dict(width=1, color="#212121")),
                text=[f"change {c.direction}: {c.before:.4g} → {c.after:.4g}{unit} ({c.magnitude:+.0%})" for c in cps],
                hovertemplate="%{x|%Y-%m-%d %H:%M:%S} UTC<br>%{text}<extra></extra>"), row=row, col=1)
    for t in (marks or [])[:MAX_MARKS]:
        fig.add_vline(x=t, line_dash="dot", line_width=1, line_color="rgba(97,97,97,0.7)", row="all", col=1)
    if window:
        fig.update_xaxes(range=[window[0], window[1]])
    fig.update_annotations(font_size=12, x=0, xanchor="left")
    fig.update_layout(height=70 + row_height * max(len(names), 1), showlegend=False, hovermode="closest",
                      margin=dict(l=10, r=10, t=30, b=10))
    return fig


# ------------------------------------------------------------------------------------------ tables
def _in(t: datetime | None, window: tuple[datetime, datetime]) -> bool:
    return t is not None and window[0] <= t <= window[1]


def onset_table(ex: Explored, window: tuple[datetime, datetime]) -> pd.DataFrame:
    """What moved first: series with an onset inside the window, in onset order, with their group."""
    group_of = {n: i for i, g in enumerate(ex.analysis.groups, start=1) for n in g}
    by_name = ex.by_name
    rows, first = [], None
    for name, onset in ex.analysis.onset_order:
        if not _in(onset, window):
            continue
        first = first or onset
        s = by_name[name]
        a = min((a for a in s.anomalies if a.start >= onset), key=lambda a: a.start, default=None)
        rows.append({"#": len(rows) + 1, "series": name, "onset (UTC)": fmt.when(onset, seconds=True),
                     "after first": f"+{(onset - first).total_seconds() / 60:.1f} min",
                     "what": f"{a.kind.replace('_', ' ')} {a.direction}" if a else "",
                     "change": f"{a.baseline:.4g} → {a.peak:.4g} ({a.magnitude:+.0%})" if a else "",
                     "group": group_of.get(name, "")})
    return pd.DataFrame(rows)


def groups_table(ex: Explored, window: tuple[datetime, datetime]) -> pd.DataFrame:
    """Groups of two or more series whose onsets coincide (inside the window)."""
    onset = dict(ex.analysis.onset_order)
    rows = []
    for i, g in enumerate(ex.analysis.groups, start=1):
        inside = [n for n in g if _in(onset.get(n), window)]
        if len(inside) < 2:
            continue
        rows.append({"group": i, "from (UTC)": fmt.when(min(onset[n] for n in inside), seconds=True),
                     "series": len(inside), "members": ", ".join(inside)})
    return pd.DataFrame(rows)


def events_table(ex: Explored, names: list[str], window: tuple[datetime, datetime]) -> pd.DataFrame:
    """Anomalies and change points of the picked series inside the window, in time order."""
    rows = []
    for name in names:
        s = ex.by_name[name]
        for a in s.anomalies:
            if a.end >= window[0] and a.start <= window[1]:
                rows.append({"start (UTC)": a.start, "series": name, "event": f"{a.kind.replace('_', ' ')} {a.direction}",
                             "before → after": f"{a.baseline:.4g} → {a.peak:.4g} ({a.magnitude:+.0%})",
                             "until (UTC)": fmt.when(a.end, seconds=True), "score": f"{a.peak_score:.2f}"})
        for c in s.change_points:
            if _in(c.time, window):
                rows.append({"start (UTC)": c.time, "series": name, "event": f"change point {c.direction}",
                             "before → after": f"{c.before:.4g} → {c.after:.4g} ({c.magnitude:+.0%})",
                             "until (UTC)": "", "score": ""})
    if not rows:
        return pd.DataFrame(rows)
    out = pd.DataFrame(rows).sort_values(["start (UTC)", "series"], kind="stable")
    out["start (UTC)"] = [fmt.when(t, seconds=True) for t in out["start (UTC)"]]
    return out


def _log_events(events: list, window: tuple[datetime, datetime]) -> list:
    return [e for e in sorted(events, key=lambda e: (e.time, e.source, e.title))
            if _in(e.time, window) and not e.source.startswith("metric")]


def log_marks(events: list, window: tuple[datetime, datetime]) -> list[datetime]:
    """Times of the warning-level log events and changes in the window (drawn on the charts)."""
    return sorted({e.time for e in _log_events(events, window) if e.severity != "info" or e.is_change})


def log_events_table(events: list, window: tuple[datetime, datetime]) -> pd.DataFrame:
    """The analysis timeline's non-metric events (log findings, changes) inside the window, in time order."""
    rows = [{"time (UTC)": fmt.when(e.time, seconds=True), "source": e.source, "service": e.service or "",
             "event": ("[change] " if e.is_change else "") + e.title, "severity": e.severity}
            for e in _log_events(events, window)]
    return pd.DataFrame(rows)
