"""The log explorer's template-rate chart: records per time bin of the top templates (plotly).

Template texts come from user logs; plotly renders a subset of HTML in names and hovers, so every
label is HTML-escaped here.
"""

from __future__ import annotations

import html
from datetime import datetime

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from components.log_explorer import LogExplored, counts_per_bin

#: Bins of the rate chart (1 minute each when the range is short enough).
RATE_BINS = 240
LABEL_CHARS = 60
PALETTE = qualitative.D3


def _label(text: str) -> str:
    short = text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
    return html.escape(short, quote=False)


def rate_figure(ex: LogExplored, mask: np.ndarray, window: tuple[datetime, datetime], *, top: int = 6,
                picked: str | None = None, height: int = 320) -> go.Figure:
    """One line per template: the ``top`` templates by records under ``mask`` (plus the picked one)."""
    table, width = counts_per_bin(ex, mask, window, RATE_BINS)
    totals = table.sum(axis=1).sort_values(ascending=False, kind="stable")
    ids = [i for i in totals.index if totals[i] > 0][:top]
    if picked and picked in table.index and picked not in ids:
        ids.append(picked)
    by_id = ex.by_id
    minutes = int(width.total_seconds() // 60)
    unit = "minute" if minutes == 1 else f"{minutes} minutes"
    fig = go.Figure()
    for n, tid in enumerate(ids):
        tpl = by_id[tid].template if tid in by_id else tid
        chosen = tid == picked
        fig.add_trace(go.Scatter(
            x=list(table.columns), y=table.loc[tid].tolist(), mode="lines", name=_label(tpl),
            line=dict(width=3.2 if chosen else 1.5, color=PALETTE[n % len(PALETTE)]), opacity=1.0 if chosen or not picked else 0.55,
            hovertemplate=f"%{{x|%Y-%m-%d %H:%M}} UTC<br>%{{y}} per {unit}<br>{_label(tpl)}<extra>{tid}</extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), hovermode="closest",
                      title=dict(text=f"Records per {unit} (UTC), top {len(ids)} templates", font=dict(size=13)),
                      legend=dict(orientation="h", yanchor="top", y=-0.1, font=dict(size=11)))
    fig.update_yaxes(rangemode="tozero", title_text=None)
    return fig
