"""Analysis & report: run the agents with visible progress, read the ranked hypotheses, review, export."""

import streamlit as st

from analysis.export import report_to_json, report_to_markdown
from analysis.spreadsheet_csv import findings_csv, hypotheses_csv, timeline_csv
from analysis.knowledge import draft_from_report, promoted_id
from components import format as fmt
from components import kb_view
from components import report_view as view
from components.errors import shown_errors
from components.incident_header import INCIDENT, current_incident, go, header, no_incident_notice, show_flashes
from components.resources import get_backend, get_kb, get_knowledge, get_settings, get_store
from components.runs_view import payload_preview, pick_run, run_with_progress, runs_table
from components.session_state import ui

state = ui()
show_flashes(state)
store = None
with shown_errors():
    store = get_store()
if store is None:
    st.stop()
settings = state.analysis_settings(get_settings())

incident = current_incident(store, state)
if incident is None:
    st.title("Analysis & report", anchor=False)
    no_incident_notice()
    st.stop()

header(incident)
artifacts = store.list_artifacts(incident.id)
left, right = st.columns([1, 3], vertical_alignment="center")
analyse = left.button("Analyse", key="report.analyse", type="primary", icon=":material/play_arrow:",
                      disabled=not artifacts, width="stretch")
right.caption(f"{len(artifacts)} artifact(s) · backend **{settings.backend}** · each run is kept; "
              "earlier runs stay listed below." if artifacts else "Upload artifacts first on the incident page.")
if not artifacts and st.button("Upload artifacts", key="report.to_incident", icon=":material/upload_file:"):
    go(INCIDENT, state)
with shown_errors():
    payload_preview(store, incident.id, settings, knowledge=get_knowledge())
if analyse:
    with shown_errors():
        run, _report = run_with_progress(store, incident.id, settings, backend=get_backend(settings),
                                         knowledge=get_knowledge())
        state.run_id = run.id
        state.flash("success", "Analysis stored." if not _report.degraded else
                    "Analysis stored, degraded: some checks could not run (see Gaps).")
        st.rerun()

runs = store.list_runs(incident.id)
if not runs:
    st.info("No analysis yet: press Analyse to run the log, metrics, vision and supervisor agents.",
            icon=":material/troubleshoot:")
    st.stop()

run_id = pick_run(runs, state.run_id)
report = store.get_report(run_id) if run_id else None
if report is None:
    st.warning("No run has completed yet; see the runs list for what happened.")
else:
    state.run_id = run_id
    verdicts = store.verdicts(run_id)

    def review(hypothesis_id: str, verdict: str, note: str) -> None:
        with shown_errors():
            store.add_review(incident.id, verdict=verdict, note=note, run_id=run_id, hypothesis_id=hypothesis_id)
            state.flash("success", f"Hypothesis marked {verdict}.")
            st.rerun()

    view.summary(report)
    by_id = {a.id: a for a in artifacts}
    tabs = st.tabs(["Hypotheses", "Timeline", f"Gaps ({len(report.gaps)})", "Similar incidents", "Agents & findings",
                    "Notes & export"], key="report.tab")
    with tabs[0]:
        if not report.hypotheses:
            st.info("No hypothesis could be formed from this evidence; the gaps say what is missing.")
        for rank, h in enumerate(report.hypotheses, 1):
            view.hypothesis_card(h, rank, verdict=verdicts.get(h.id), artifacts=by_id, review=review,
                                 key=f"hyp.{run_id}.{h.id}")
    with tabs[1]:
        view.timeline(report)
        view.service_graph(report)
    with tabs[2]:
        view.gaps(report)
    with tabs[3]:
        view.similar(report)
    with tabs[4]:
        view.agents(report)
        view.finding_detail(report, by_id)
    with tabs[5]:
        reviews = store.list_reviews(incident.id)
        with shown_errors():
            note = st.text_area("Add a note to this run", key="report.note", placeholder="What the team learned")
            if st.button("Save note", key="report.save_note") and note.strip():
                store.add_review(incident.id, verdict="note", note=note.strip(), run_id=run_id)
                state.flash("success", "Note saved.")
                st.rerun()
        for r in reviews:
            st.caption(f"{r.created_at:%Y-%m-%d %H:%M} · {fmt.md(r.author)} · {r.verdict}"
                       + (f" · {r.hypothesis_id}" if r.hypothesis_id else ""))
            if r.note:
                st.text(r.note)
        with shown_errors():  # promote a reviewed report to the knowledge base (prefilled, editable)
            run_reviews = [r for r in reviews if r.run_id == run_id]
            promoted = kb_view.promote(draft_from_report(incident, report, run_reviews), reviewed=bool(run_reviews),
                                       already=lambda: bool(get_kb().existing_ids([promoted_id(incident.id)])),
                                       key=f"report.promote.{run_id}")
            if promoted is not None:
                get_kb().upsert([promoted])
                state.flash("success", f"Saved to the knowledge base as {fmt.md(promoted.id)}.")
                st.rerun()
        md = report_to_markdown(store.get_incident(incident.id), report, verdicts, reviews)
        c1, c2, c3 = st.columns(3)
        c1.download_button("Export Markdown", md, file_name=f"{incident.id}-{run_id}.md", mime="text/markdown",
                           key="export.md", icon=":material/download:", width="stretch")
        c2.download_button("Export JSON", report_to_json(report), file_name=f"{incident.id}-{run_id}.json",
                           mime="application/json", key="export.json", icon=":material/data_object:", width="stretch")
        with c3.popover("Spreadsheet CSV", icon=":material/table:", width="stretch"):
            st.caption("For Excel or Sheets: cells that would run as formulas are quoted.")
            for label, make in (("Hypotheses", hypotheses_csv), ("Findings", findings_csv), ("Timeline", timeline_csv)):
                st.download_button(label, make(report), file_name=f"{incident.id}-{run_id}-{label.lower()}.csv",
                                   mime="text/csv", key=f"export.csv.{label.lower()}", width="stretch")

st.markdown("##### Runs")
runs_table(runs)
