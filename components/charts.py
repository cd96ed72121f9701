"""Plotly figures: metric series (with an evidence window shaded) and the unified incident timeline."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.models import TimelineEvent

SEVERITY_COLOURS = {"critical": "#b71c1c", "high": "#e53935", "medium": "#fb8c00", "low": "#fdd835", "info": "#90a4ae"}
_LAYOUT = dict(margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.2), hovermode="x unified")


def _plain(text: object) -> str:
    """Plotly renders a subset of HTML in labels: escape it so names and titles stay text."""
    return html.escape(str(text), quote=False)


def metric_figure(frame: pd.DataFrame, *, series: list[str] | None = None, window: tuple[datetime, datetime] | None = None,
                  title: str = "", row_height: int = 150) -> go.Figure:
    """One small panel per series (own y scale, shared UTC x axis); ``window`` is shaded on every panel."""
    names = series if series is not None else list(pd.unique(frame["series"]))
    names = names or []
    fig = make_subplots(rows=max(len(names), 1), cols=1, shared_xaxes=True, vertical_spacing=0.04 if len(names) < 6 else 0.02,
                        subplot_titles=[_plain(n) for n in names] or None)
    for row, name in enumerate(names, start=1):
        part = frame[frame["series"] == name]
        fig.add_trace(go.Scatter(x=part["timestamp"], y=part["value"], mode="lines", name=_plain(name),
                                 line=dict(width=1.6), hovertemplate="%{x|%Y-%m-%d %H:%M:%S} UTC<br>%{y:.4g}"),
                      row=row, col=1)
    if window and window[0] is not None:
        fig.add_vrect(x0=window[0], x1=window[1] or window[0], fillcolor="rgba(251,192,45,0.35)", line_width=1,
                      line_color="rgba(251,140,0,0.9)", row="all", col=1)
    fig.update_annotations(font_size=12, x=0, xanchor="left")
    fig.update_layout(title=title or None, height=60 + row_height * max(len(names), 1), showlegend=False,
                      margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified")
    return fig


def focus_range(events: list[TimelineEvent]) -> tuple[datetime, datetime] | None:
    """The window around the non-info events and changes when info events stretch the axis far beyond it."""
    key = [e.time for e in events if e.severity != "info" or e.is_change]
    times = [e.time for e in events]
    if not key or not times:
        return None
    lo, hi = min(key), max(key)
    pad = max((hi - lo) * 0.15, timedelta(minutes=2))
    if min(times) >= lo - pad and max(times) <= hi + pad:
        return None
    return lo - pad, hi + pad


def timeline_figure(events: list[TimelineEvent], *, onset: datetime | None = None, height: int = 320) -> go.Figure:
    """Every timeline event on one UTC axis, one row per source; changes drawn as diamonds."""
    fig = go.Figure()
    rows = pd.DataFrame([{"time": e.time, "source": _plain(e.source + (f" · {e.service}" if e.service else "")),
                          "title": _plain(e.title), "severity": e.severity, "change": e.is_change} for e in events])
    if rows.empty:
        return fig
    for sev, part in rows.groupby("severity", sort=False):
        fig.add_trace(go.Scatter(
            x=part["time"], y=part["source"], mode="markers", name=str(sev),
            marker=dict(size=11, color=SEVERITY_COLOURS.get(str(sev), "#607d8b"),
                        symbol=["diamond" if c else "circle" for c in part["change"]], line=dict(width=1, color="#333")),
            text=part["title"], hovertemplate="%{x|%H:%M:%S} UTC<br>%{text}<extra>%{y}</extra>"))
    if onset is not None:
        fig.add_vline(x=onset, line_dash="dash", line_color="#e53935")
        fig.add_annotation(x=onset, y=1.0, yref="paper", yanchor="bottom", text="onset", showarrow=False,
                           font=dict(color="#e53935"))
    focus = focus_range(events)
    if focus:
        fig.update_xaxes(range=list(focus))
    n_rows = rows["source"].nunique()
    fig.update_layout(height=max(height, 60 + 36 * n_rows), xaxis_title="UTC", **{**_LAYOUT, "hovermode": "closest"})
    return fig
