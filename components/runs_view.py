"""Running an analysis with visible per-agent progress, and the list of earlier runs."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from analysis.models import IncidentReport, RunInfo
from analysis.settings import Settings
from analysis.store import Store
from analysis.workflow import run_stored_analysis
from components import format as fmt

AGENT_LABELS = {"log": "Log agent", "metrics": "Metrics agent", "vision": "Vision agent", "supervisor": "Supervisor"}
CANCEL_KEY = "analysis.cancel"

# Streamlit stops a running script when the user clicks anything and starts a new run at once
# (runner.fastReruns); the running analysis keeps going in its own thread. The Cancel button's
# callback runs in that new run and leaves a request here, which the analysis polls between agents.
_cancel_lock = threading.Lock()
_cancel_requests: set[str] = set()


def request_cancel(incident_id: str) -> None:
    """Ask the running analysis of ``incident_id`` to stop at its next agent boundary."""
    with _cancel_lock:
        _cancel_requests.add(incident_id)


def cancel_requested(incident_id: str, *, clear: bool = False) -> bool:
    with _cancel_lock:
        found = incident_id in _cancel_requests
        if clear:
            _cancel_requests.discard(incident_id)
        return found


def run_with_progress(store: Store, incident_id: str, settings: Settings, *, backend: Any = None,
                      knowledge: Any = None) -> tuple[RunInfo, IncidentReport]:
    """Run and store an analysis inside an ``st.status`` that shows each agent as it works.

    A click or page change during the run would stop the script at the next progress line and lose
    the run; instead the request is held until the analysis is stored, then obeyed. The "Cancel
    analysis" button is the exception: it stops the run at the next agent boundary (the run is
    stored as cancelled, earlier runs and artifacts are untouched).
    """
    finished: set[str] = set()
    deferred: list[ScriptControlException] = []
    bar = st.progress(0.0, text="Starting the agents…")
    with st.container(key=f"analysis.progress.{len(store.list_runs(incident_id))}"), \
            st.status("Analysing…", expanded=True) as status:
        cancel_requested(incident_id, clear=True)  # a stale request from an earlier run does not count
        st.button("Cancel analysis", key=CANCEL_KEY, icon=":material/stop_circle:", on_click=request_cancel,
                  args=(incident_id,), help="Stops at the next agent boundary; the run is kept as cancelled.")

        def progress(agent: str, message: str) -> None:
            if deferred:
                return
            label = AGENT_LABELS.get(agent, agent)
            if message.startswith("done"):
                finished.add(agent)
            share = min(len(finished) / len(AGENT_LABELS), 1.0)
            try:
                if message == "started":
                    status.update(label=f"{label} working…", expanded=True)
                    bar.progress(share, text=f"{label} working…")
                    st.write(f"**{label}** started")
                else:
                    bar.progress(share, text=f"{label}: {fmt.md(message)}")
                    st.write(f"**{label}**: {fmt.md(message)}")
            except ScriptControlException as exc:
                deferred.append(exc)  # a click or page change mid-run: finish and store the run first

        try:
            run, report = run_stored_analysis(store, incident_id, settings, backend=backend, knowledge=knowledge,
                                              progress=progress,
                                              cancelled=lambda: cancel_requested(incident_id))
        except BaseException:
            cancel_requested(incident_id, clear=True)
            if deferred:
                raise deferred[0]  # cancelled (or stopped): the run is stored as such; obey the click
            status.update(label="Analysis failed", state="error")
            raise
        if deferred:
            raise deferred[0]  # now obey the click (the run is stored)
        done = f"Analysis complete in {fmt.seconds(report.timings.get('total'))}"
        status.update(label=done + (" (degraded: see Gaps)" if report.degraded else ""),
                      state="complete", expanded=False)
    bar.empty()
    return run, report


def runs_table(runs: list[RunInfo]) -> None:
    st.dataframe(pd.DataFrame([{
        "run": r.id, "status": r.status, "backend": r.backend,
        "started": fmt.when(r.started_at, seconds=True), "time": fmt.seconds(r.seconds),
        "top hypothesis": fmt.category_label(r.top_category) if r.top_category else "—",
        "confidence": fmt.pct(r.top_confidence), "error": r.error} for r in runs]),
        hide_index=True, key="runs.table")


def pick_run(runs: list[RunInfo], current: str | None) -> str | None:
    """Choose which completed run's report to show (latest by default)."""
    done = [r for r in runs if r.status == "completed"]
    if not done:
        return None
    ids = [r.id for r in done]
    index = ids.index(current) if current in ids else 0
    labels = {r.id: f"{fmt.when(r.started_at, seconds=True)} · {r.backend} · "
                    f"{fmt.category_label(r.top_category) if r.top_category else 'no hypothesis'} ({r.id})" for r in done}
    if len(done) == 1:
        return ids[0]
    # keyed by the number of completed runs: a new run re-creates the picker, which then opens on it
    return st.selectbox("Report of run", ids, index=index, format_func=labels.get,
                        key=f"report.run.{done[0].incident_id}.{len(done)}")


def payload_preview(store: Store, incident_id: str, settings: Settings, knowledge: Any = None) -> None:
    """Bedrock only: "What will be sent" — each agent's redacted payload, computed when opened."""
    if settings.backend != "bedrock":
        return
    exp = st.expander("What will be sent to Bedrock", icon=":material/visibility:", key="report.preview",
                      on_change="rerun")
    with exp:
        if exp.open:
            from components.bedrock_settings import payload_previews, render_payload_preview

            with st.spinner("Running the offline engines to build the payloads…"):
                previews = payload_previews(store, incident_id, settings, knowledge=knowledge)
            render_payload_preview(previews)
