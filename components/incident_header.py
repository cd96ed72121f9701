"""The current incident: resolve it from the session (or URL) and draw its header."""

from __future__ import annotations

import streamlit as st

from analysis.errors import NotFoundError
from analysis.models import Artifact, ArtifactKind, Incident
from analysis.store import Store
from components import format as fmt
from components.session_state import UiState

HOME = "pages/home.py"
INCIDENT = "pages/incident.py"
REPORT = "pages/report.py"


def current_incident(store: Store, state: UiState) -> Incident | None:
    """The incident the session is working on; None (and a way back) when there is none."""
    incident_id = state.incident_id
    if not incident_id:
        return None
    try:
        return store.get_incident(incident_id)
    except NotFoundError as exc:
        state.incident_id = None
        st.warning(str(exc))
        return None


def no_incident_notice() -> None:
    st.info("No incident is open: open one from the incident list or create a new one.", icon=":material/info:")
    if st.button("Go to the incident list", key="nav.home", icon=":material/list:"):
        st.switch_page(HOME)


def header(incident: Incident) -> None:
    st.title(fmt.md(incident.title), anchor=False)
    row = st.container(horizontal=True)
    row.badge(fmt.status_label(incident.status), color=fmt.STATUS_COLORS.get(incident.status.value, "gray"))
    row.badge(incident.severity.value, color=fmt.SEVERITY_COLORS.get(incident.severity.value, "gray"))
    for svc in incident.services:
        row.badge(fmt.md(svc), color="gray", icon=":material/dns:")
    st.caption(f"{incident.id} · opened {fmt.when(incident.created_at)} · updated {fmt.when(incident.updated_at)}")
    if incident.description:
        st.markdown(fmt.md(incident.description))


FLASH_ICONS = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:",
               "error": ":material/block:"}


def show_flashes(state: UiState, channel: str = "page") -> None:
    """Show (once) the messages queued for this place on the page before the last rerun."""
    for f in state.pop_flashes(channel):
        getattr(st, f.level)(f.text, icon=FLASH_ICONS[f.level])


def go(page: str, state: UiState, incident_id: str | None = None) -> None:
    """Switch page, carrying the incident in the session and the URL."""
    if incident_id:
        state.incident_id = incident_id
    incident_id = state.incident_id
    st.switch_page(page, query_params={"incident": incident_id} if incident_id else None)


def explorer_start(state: UiState, *, title: str, kind: ArtifactKind, empty_text: str, icon: str,
                   key: str) -> tuple[Store, Incident, list[Artifact]]:
    """The common top of an explorer page: store, open incident, its artifacts of ``kind`` (else a notice and stop)."""
    from components.errors import shown_errors
    from components.resources import get_store

    show_flashes(state)
    store = None
    with shown_errors():
        store = get_store()
    if store is None:
        st.stop()
    incident = current_incident(store, state)
    if incident is None:
        st.title(title, anchor=False)
        no_incident_notice()
        st.stop()
    header(incident)
    arts = [a for a in store.list_artifacts(incident.id) if a.kind == kind]
    if not arts:
        st.info(empty_text, icon=icon)
        if st.button("Upload artifacts", key=f"{key}.to_incident", icon=":material/upload_file:"):
            go(INCIDENT, state)
        st.stop()
    return store, incident, arts
