"""Metric explorer: per incident, chart its metric series with anomaly bands and change points, see what moved first."""

import streamlit as st

from analysis.models import ArtifactKind
from components import format as fmt
from components import metric_explorer as mx
from components.errors import shown_errors
from components.incident_header import explorer_start
from components.session_state import ui

state = ui()
store, incident, metric_arts = explorer_start(
    state, title="Metric explorer", kind=ArtifactKind.metrics, icon=":material/monitoring:", key="metrics",
    empty_text="This incident has no metric CSV yet: upload one on the incident page to explore it here.")

names = {a.id: a for a in metric_arts}
art_id = st.selectbox("Metrics file", list(names), format_func=lambda i: names[i].name,
                      key=f"metrics.artifact.{incident.id}", disabled=len(metric_arts) == 1)
art = names[art_id]
ex = None
with shown_errors():
    ex = mx.explore(art)
if ex is None:
    st.stop()
moved = len(ex.analysis.onset_order)
st.caption(f"Layout **{fmt.md(ex.analysis.layout)}** · {len(ex.analysis.series)} series · {moved} moved · "
           f"{fmt.when(ex.span[0])} → {fmt.when(ex.span[1])}")
for note in ex.analysis.notes[:-1]:
    st.caption(f"Note: {fmt.md(note)}")

key = f"metrics.{art.sha256[:12]}"
picked = mx.search_and_pick(ex, key)
shared = state.time_range
if shared and mx.clamp_range(ex.span, shared) == ex.span and (shared[1] < ex.span[0] or shared[0] > ex.span[1]):
    st.caption(f"The shared time range ({fmt.when(shared[0])} → {fmt.when(shared[1])}) misses these metrics: "
               "showing all of them.")
window = mx.time_range(ex, shared, key)
if window != mx.clamp_range(ex.span, shared):
    state.time_range = window  # the analyst moved it: share it with the log explorer and timelines
if st.button("Whole time span", key=f"{key}.reset", icon=":material/zoom_out_map:", disabled=window == ex.span):
    state.time_range = None
    st.rerun()

report = store.get_report(state.run_id) if state.run_id else store.latest_report(incident.id)
marks = mx.log_marks(report.timeline, window) if report is not None else []
if picked:
    st.plotly_chart(mx.explorer_figure(ex, picked, window, marks=marks), key=f"{key}.chart")
    st.caption("Shaded: anomalies (red up, blue down) · diamonds: change points (hover for before → after)"
               + (" · dotted lines: warning-level log events and changes of the latest analysis." if marks else "."))
else:
    st.info("No series picked: search or pick series above to chart them.", icon=":material/search:")

st.markdown("##### What moved first")
onsets = mx.onset_table(ex, window)
if onsets.empty:
    st.caption("No series deviated significantly in this time range.")
else:
    st.dataframe(onsets, hide_index=True, key=f"{key}.onsets")
st.markdown("##### Moved together")
groups = mx.groups_table(ex, window)
if groups.empty:
    st.caption("No two series started moving at the same time in this range.")
else:
    st.dataframe(groups, hide_index=True, key=f"{key}.groups")

st.markdown("##### Anomalies and change points of the charted series")
events = mx.events_table(ex, picked, window)
if events.empty:
    st.caption("None in this time range.")
else:
    st.dataframe(events, hide_index=True, key=f"{key}.events")

if report is not None:
    logs = mx.log_events_table(report.timeline, window)
    with st.expander(f"Log and change events of the analysis in this range ({len(logs)})",
                     icon=":material/description:"):
        if logs.empty:
            st.caption("The analysis timeline has no log events in this time range.")
        else:
            st.dataframe(logs, hide_index=True, key=f"{key}.logs")
