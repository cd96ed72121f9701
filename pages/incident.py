"""Incident & artifacts: create or edit the incident, upload and preview artifacts, move its lifecycle."""

import pandas as pd
import streamlit as st

from components import format as fmt
from components.artifact_view import KIND_ICONS, preview
from components.errors import shown_errors
from components.incident_form import incident_form, lifecycle_control
from components.incident_header import INCIDENT, REPORT, current_incident, go, header, show_flashes
from components.resources import get_settings, get_store
from components.session_state import ui
from components.upload_view import outcome_messages, upload_form

state = ui()
show_flashes(state)
store = None
with shown_errors():
    store = get_store()
if store is None:
    st.stop()
settings = get_settings()

incident = current_incident(store, state)
if incident is None:
    st.title("New incident", anchor=False)
    with shown_errors():
        data = incident_form("incident.new")
        if data is not None:
            created = store.create_incident(data)
            state.flash("success", f"Incident “{fmt.md(created.title)}” created: now upload its artifacts.")
            go(INCIDENT, state, created.id)
    st.stop()

header(incident)
artifacts = store.list_artifacts(incident.id)
if artifacts and st.button("Analyse this incident", key="incident.analyse", type="primary",
                           icon=":material/troubleshoot:"):
    go(REPORT, state)
tab_art, tab_details, tab_audit = st.tabs([f"Artifacts ({len(artifacts)})", "Details & lifecycle", "Audit log"],
                                          key="incident.tab")

with tab_art:
    with shown_errors():
        outcome = upload_form(store, incident.id, settings)
        if outcome is not None:
            for level, sentence in outcome_messages(outcome):
                state.flash(level, sentence, channel="upload")
            st.rerun()
    show_flashes(state, channel="upload")
    if not artifacts:
        st.info("No artifacts yet: drop logs, metric CSVs or screenshots above.", icon=":material/upload_file:")
    for art in artifacts:
        exp = st.expander(f"{fmt.md(art.name)} · {art.kind.value} · {fmt.size(art.size)}",
                          icon=KIND_ICONS.get(art.kind.value),
                          key=f"artifact.{art.id}", on_change="rerun")
        with exp:
            if exp.open:
                with shown_errors():
                    preview(art, key=f"artifact.{art.id}")

with tab_details:
    with shown_errors():
        st.markdown("##### Lifecycle")
        target = lifecycle_control(incident, key="lifecycle")
        if target is not None:
            moved = store.set_status(incident.id, target)
            state.flash("success", f"Status moved to {fmt.status_label(moved.status)}.")
            st.rerun()
    st.markdown("##### Details")
    with shown_errors():
        data = incident_form(f"incident.edit.{incident.id}", current=incident, submit_label="Save changes")
        if data is not None:
            store.update_incident(incident.id, data)
            state.flash("success", "Incident details saved.")
            st.rerun()

with tab_audit:
    audit = store.list_audit(incident.id)
    st.dataframe(pd.DataFrame(audit), hide_index=True, key="incident.audit") if audit else st.caption("No entries.")
