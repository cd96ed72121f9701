"""Log explorer: per incident and log file, the mined templates, filters, a template-rate chart and raw lines."""

import streamlit as st

from analysis.models import ArtifactKind
from components import format as fmt
from components import log_explorer as lx
from components.errors import shown_errors
from components.incident_header import explorer_start
from components.log_explorer_charts import rate_figure
from components.resources import loaded_artifact
from components.session_state import ui

state = ui()
store, incident, log_arts = explorer_start(
    state, title="Log explorer", kind=ArtifactKind.log, icon=":material/article:", key="logs",
    empty_text="This incident has no log yet: upload one on the incident page to explore it here.")

names = {a.id: a for a in log_arts}
select_key = f"logs.artifact.{incident.id}"
link = lx.take_link(list(names), select_key)  # ?artifact=&line= from an evidence link
if link is not None:
    st.session_state["logs.focus"] = link
art_id = st.selectbox("Log file", list(names), format_func=lambda i: names[i].name, key=select_key,
                      disabled=len(log_arts) == 1)
art = names[art_id]
ex = lines = None
with shown_errors():
    ex = lx.explore(art)
    lines = loaded_artifact(art).lines()
if ex is None or lines is None:
    st.stop()

a = ex.analysis
span = f" · {fmt.when(a.start)} → {fmt.when(a.end)}" if a.start else " · no timestamps"
st.caption(f"Format **{fmt.md(a.format)}** · {a.line_count:,} lines · {a.record_count:,} records · "
           f"{len(a.templates):,} templates{span}")
for note in a.notes:
    st.caption(f"Note: {fmt.md(note)}")

key = f"logs.{art.sha256[:12]}"
flt = lx.filters(ex, state, key)
if flt.window is not None and st.button("Whole time span", key=f"{key}.reset", icon=":material/zoom_out_map:"):
    state.time_range = None
    st.rerun()

mask = lx.line_mask(ex, lines, flt)
st.markdown("##### Templates")
table = lx.templates_table(ex, mask, flt.window)
if table.empty:
    st.caption("No template has a line matching these filters.")
    picked = None
else:
    st.caption(f"{len(table):,} of {len(a.templates):,} templates have matching lines · "
               "click a row to highlight its lines below.")
    picked = lx.template_picker(table, key)

only_picked = False
if picked:
    t = ex.by_id[picked]
    services = ", ".join(t.services) or "—"
    st.caption(f"Selected **{fmt.md(t.id)}** · {fmt.md(t.level or lx.NO_LEVEL)} · {t.count:,} records · "
               f"first seen {fmt.when(t.first_seen, seconds=True)} (line {t.first_line:,}) · services {fmt.md(services)}")
    st.code(t.sample or t.template, language=None, wrap_lines=True)
    only_picked = st.toggle("Only this template's lines", key=f"{key}.only")

if ex.timed:
    top = st.columns([1, 2])[0].slider("Templates in the rate chart", 1, 15, 6, key=f"{key}.top")
    st.plotly_chart(rate_figure(ex, mask, flt.window or ex.span, top=top, picked=picked), key=f"{key}.rate")

st.markdown("##### Lines")
focus_art, focus_line = st.session_state.get("logs.focus", (None, None))
lx.raw_lines(ex, lines, mask, picked, only_picked, key, focus=focus_line if focus_art == art.id else None)
