"""The incident form (create and edit) and the lifecycle control."""

from __future__ import annotations

import pydantic
import streamlit as st

from analysis.errors import ValidationError
from analysis.models import STATUS_TRANSITIONS, Incident, IncidentInput, IncidentStatus, Severity
from components import format as fmt


def incident_form(key: str, *, current: Incident | None = None, submit_label: str = "Create incident") -> IncidentInput | None:
    """A form; returns the validated input when submitted (raises ValidationError with one sentence)."""
    with st.form(key, border=current is None):
        title = st.text_input("Title", value=current.title if current else "", key=f"{key}.title",
                              placeholder="Checkout 5xx after deploy")
        description = st.text_area("Description", value=current.description if current else "", key=f"{key}.description",
                                   placeholder="What was seen, by whom, when (UTC)")
        c1, c2 = st.columns([3, 1])
        services = c1.text_input("Services (comma-separated)", value=", ".join(current.services) if current else "",
                                 key=f"{key}.services", placeholder="checkout, payments-db")
        severities = [s.value for s in Severity]
        severity = c2.selectbox("Severity", severities, key=f"{key}.severity",
                                index=severities.index(current.severity.value) if current else 2)
        if not st.form_submit_button(submit_label, type="primary"):
            return None
    if not title.strip():
        raise ValidationError("An incident needs a title: describe what broke in a few words.")
    try:
        return IncidentInput(title=title, description=description, services=services, severity=severity)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValidationError(f"The incident field '{field}' is invalid ({first['msg']}): correct it and submit again.") from None


def lifecycle_control(incident: Incident, key: str) -> IncidentStatus | None:
    """Pick the next status; every status is offered, so an illegal move is refused by the store with a reason."""
    allowed = STATUS_TRANSITIONS[incident.status]
    options = [s for s in IncidentStatus if s != incident.status]
    default = options.index(allowed[0]) if allowed else 0
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    target = c1.selectbox("Move to", options, index=default, key=f"{key}.target",
                          format_func=lambda s: fmt.status_label(s) + ("" if s in allowed else "  (not allowed from here)"))
    st.caption("Allowed next: " + (", ".join(fmt.status_label(s) for s in allowed) or "none — this is the final state"))
    if c2.button("Move", key=f"{key}.move", width="stretch"):
        return target
    return None
