"""The upload form: several files at once (drag and drop, .zip/.gz bundles), validated before storing."""

from __future__ import annotations

import streamlit as st

from analysis.settings import Settings
from analysis.store import Store
from analysis.workflow import UploadOutcome, upload
from components import format as fmt

ACCEPTED_HELP = ("Logs (.log .txt .json .jsonl .gz), metric CSVs (.csv .tsv), screenshots (PNG, JPEG, WebP) "
                 "or a .zip bundle holding any of these. Each file is checked before anything is stored.")


def upload_form(store: Store, incident_id: str, settings: Settings, key: str = "upload") -> UploadOutcome | None:
    """Pick files and add them to the incident; returns what was added and what was refused."""
    with st.form(f"{key}.form", clear_on_submit=True, border=True):
        files = st.file_uploader("Add artifacts", accept_multiple_files=True, key=f"{key}.files", help=ACCEPTED_HELP,
                                 max_upload_size=settings.max_upload_mb)
        st.caption(ACCEPTED_HELP + f" Limit {settings.max_upload_mb} MB per file.")
        if not st.form_submit_button("Upload", type="primary", icon=":material/upload:"):
            return None
    if not files:
        st.warning("Choose or drop at least one file first, then press Upload.")
        return None
    with st.spinner(f"Checking {len(files)} file(s)…"):
        return upload(store, incident_id, [(f.name, f.getvalue()) for f in files], settings)


def outcome_messages(outcome: UploadOutcome) -> list[tuple[str, str]]:
    """``(level, sentence)`` for what was stored and, for each refused file, the one-sentence reason."""
    out: list[tuple[str, str]] = []
    if outcome.added:
        names = fmt.md(", ".join(a.name for a in outcome.added))
        out.append(("success", f"Added {len(outcome.added)} artifact(s): {names}."))
    for r in outcome.rejected:
        out.append(("error", fmt.md(r.reason if r.name in r.reason else f"{r.name}: {r.reason}")))
    if outcome.incident is not None:
        out.append(("info", "The bundle holds an incident.json; its fields were not applied — edit the incident "
                            "details to use them."))
    if not outcome.added and not outcome.rejected:
        out.append(("info", "Nothing new was added (those files are already stored with this incident)."))
    return out
