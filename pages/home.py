"""Incidents: the list, a new incident, and the shipped samples (the first-run screen when empty)."""

import streamlit as st

from components import format as fmt
from components.errors import shown_errors
from components.incident_form import incident_form
from components.incident_header import INCIDENT, go, show_flashes
from components.resources import get_settings, get_store
from components.samples import list_samples, open_sample
from components.session_state import ui

state = ui()
st.title("SRE Workbench", anchor=False)
show_flashes(state)

store = None
with shown_errors():
    store = get_store()
if store is None:
    st.stop()

incidents = store.list_incidents()
samples = list_samples()


def sample_buttons(prefix: str) -> None:
    if not samples:
        st.caption("No sample incidents are installed (data/samples/ is empty).")
    for name, title in samples:
        if st.button(f"Open a sample incident: {fmt.md(title)}", key=f"{prefix}.{name}", icon=":material/science:"):
            with st.spinner(f"Loading the sample {fmt.md(title)}…"), shown_errors():
                inc = open_sample(store, name, get_settings())
                state.flash("success", f"Sample incident “{fmt.md(inc.title)}” created with its artifacts.")
                go(INCIDENT, state, inc.id)


def new_incident_form() -> None:
    with shown_errors():
        data = incident_form("home.new")
        if data is not None:
            inc = store.create_incident(data)
            state.flash("success", f"Incident “{fmt.md(inc.title)}” created: now upload its artifacts.")
            go(INCIDENT, state, inc.id)


if not incidents:
    st.subheader("Welcome", anchor=False)
    st.markdown(
        "Open an incident, upload its **logs**, **metric CSVs** and **dashboard screenshots**, press **Analyse**, "
        "and get ranked root-cause hypotheses whose evidence opens the exact log lines, metric windows and "
        "screenshot regions. Everything runs offline and is stored under the data directory "
        f"(`{get_settings().data_dir}`).")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("##### Try it on a sample")
        sample_buttons("home.sample")
    with right:
        st.markdown("##### Or start your own incident")
        new_incident_form()
    st.stop()

left, right = st.columns([3, 1], vertical_alignment="bottom")
query = left.text_input("Filter", key="home.filter", placeholder="title, service, status or severity")
with right.popover("New incident", icon=":material/add:", width="stretch"):
    new_incident_form()

shown = [i for i in incidents
         if not query or query.lower() in " ".join([i.title, i.status.value, i.severity.value, *i.services]).lower()]
st.caption(f"{len(shown)} of {len(incidents)} incidents, newest first")
for inc in shown:
    with st.container(border=True):
        c1, c2, c3 = st.columns([5, 3, 1], vertical_alignment="center")
        c1.markdown(f"**{fmt.md(inc.title)}**")
        c1.caption(f"{fmt.md(', '.join(inc.services)) or 'no services'} · opened {fmt.when(inc.created_at)} · {inc.id}")
        last = next((r for r in store.list_runs(inc.id) if r.status == "completed"), None)
        if last is not None:
            c1.caption(f"Last analysis: {fmt.category_label(last.top_category) if last.top_category else 'inconclusive'}"
                       + (f" ({fmt.pct(last.top_confidence)})" if last.top_confidence is not None else ""))
        badges = c2.container(horizontal=True)
        badges.badge(fmt.status_label(inc.status), color=fmt.STATUS_COLORS.get(inc.status.value, "gray"))
        badges.badge(inc.severity.value, color=fmt.SEVERITY_COLORS.get(inc.severity.value, "gray"))
        if c3.button("Open", key=f"home.open.{inc.id}", width="stretch"):
            go(INCIDENT, state, inc.id)

with st.expander("Sample incidents", icon=":material/science:"):
    sample_buttons("home.more")
