"""The report: ranked hypotheses with their evidence and review controls, timeline, gaps, agents.

Every log- or user-derived string goes through ``format.md`` (or a code block) before display.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from analysis.models import Artifact, EvidenceRef, Hypothesis, IncidentReport
from components import format as fmt
from components.artifact_view import show_evidence
from components.charts import focus_range, timeline_figure

Review = Callable[[str, str, str], None]
"""``review(hypothesis_id, verdict, note)`` stores an analyst verdict."""

VERDICT_BADGES = {"accepted": ("Accepted", "green", ":material/check_circle:"),
                  "rejected": ("Rejected", "red", ":material/cancel:")}
EVIDENCE_ICONS = {"log_lines": ":material/description:", "metric_window": ":material/show_chart:",
                  "image_region": ":material/image:", "note": ":material/sticky_note_2:"}


def summary(report: IncidentReport) -> None:
    """Headline numbers of a run."""
    top = report.top
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    c1.metric("Top hypothesis", fmt.category_label(top.category) if top else "none")
    c2.metric("Confidence", fmt.pct(top.confidence) if top else "—")
    c3.metric("Findings", len(report.findings))
    c4.metric("Analysis time", fmt.seconds(report.timings.get("total")))
    if report.inconclusive:
        st.warning("Inconclusive: the evidence is too thin to name a cause with confidence. See the gaps below.",
                   icon=":material/help:")
    if report.degraded:
        names = ", ".join(a.agent for a in report.agents if a.degraded)
        st.warning(f"Degraded run: the {names} agent(s) could not finish; what they could not check is listed "
                   "under Gaps.", icon=":material/warning:")


def _evidence_list(refs: list[EvidenceRef], artifacts: dict[str, Artifact], key: str) -> None:
    for i, ref in enumerate(refs):
        label = fmt.md(ref.locator())
        exp = st.expander(label, icon=EVIDENCE_ICONS.get(ref.kind), key=f"{key}.{i}", on_change="rerun")
        with exp:
            if exp.open:
                show_evidence(ref, artifacts, key=f"{key}.{i}")


def hypothesis_card(h: Hypothesis, rank: int, *, verdict: str | None, artifacts: dict[str, Artifact],
                    review: Review, key: str) -> None:
    """One ranked hypothesis: what, where, when, how sure, why, the evidence, and accept / reject."""
    with st.container(border=True, key=f"{key}.card"):
        head, badges = st.columns([3, 2], vertical_alignment="center")
        head.markdown(f"#### {rank}. {fmt.category_label(h.category)}")
        with badges:
            row = st.container(horizontal=True, horizontal_alignment="right")
            row.badge(f"{h.confidence:.0%} confidence", color="blue")
            if verdict in VERDICT_BADGES:
                text, colour, icon = VERDICT_BADGES[verdict]
                row.badge(text, color=colour, icon=icon)
        st.caption(f"category `{h.category.value}` · service **{fmt.md(h.service or 'unknown')}** · "
                   f"onset {fmt.when(h.onset, seconds=True)} · status {h.status}")
        st.progress(h.confidence)
        st.markdown(fmt.md(h.statement))
        ev_tab, why_tab, fix_tab = st.tabs([f"Evidence ({len(h.evidence)})", "Why this confidence",
                                            f"Remediation ({len(h.remediation)})"], key=f"{key}.tabs")
        with ev_tab:
            if not h.evidence:
                st.caption("No evidence attached.")
            else:
                st.caption("Open an item to see the exact log lines, metric window or screenshot region.")
            _evidence_list(h.evidence, artifacts, key=f"{key}.ev")
            if h.refuting:
                st.markdown(f"**Against** ({len(h.refuting)})")
                _evidence_list(h.refuting, artifacts, key=f"{key}.ref")
        with why_tab:
            st.markdown("\n".join(f"- {fmt.md(r)}" for r in h.reasoning) or "No reasoning recorded.")
        with fix_tab:
            if not h.remediation:
                st.caption("No remediation suggested.")
            else:
                st.caption("Suggestions are shown, never run.")
            for step in h.remediation:
                risk = "" if step.risk == "safe" else f" — :orange[{step.risk}: {fmt.md(step.risk_reason)}]"
                st.markdown(f"- {fmt.md(step.text)}{risk}")
                if step.command:
                    st.code(step.command, language="bash")
        note_col, acc, rej = st.columns([4, 1, 1], vertical_alignment="bottom")
        note = note_col.text_input("Review note", key=f"{key}.note", placeholder="optional: why you accept or reject it")
        if acc.button("Accept", key=f"{key}.accept", icon=":material/check:", width="stretch"):
            review(h.id, "accepted", note)
        if rej.button("Reject", key=f"{key}.reject", icon=":material/close:", width="stretch"):
            review(h.id, "rejected", note)


def timeline(report: IncidentReport) -> None:
    if not report.timeline:
        st.caption("No timed events were found.")
        return
    top = report.top
    st.plotly_chart(timeline_figure(report.timeline, onset=top.onset if top else None), key="report.timeline.chart")
    if focus_range(report.timeline):
        st.caption("Zoomed to the warning-level events and changes; double-click the chart to see every event.")
    st.dataframe(pd.DataFrame([{"time": fmt.when(e.time, seconds=True), "source": e.source, "service": e.service or "",
                                "event": ("[change] " if e.is_change else "") + e.title, "severity": e.severity}
                               for e in report.timeline]), hide_index=True, key="report.timeline.table")


def _dot_id(name: str) -> str:
    """A quoted DOT id: backslashes and quotes escaped, so a service name cannot change the graph."""
    text = name.replace("\n", " ")[:80].replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def service_graph(report: IncidentReport) -> None:
    """Caller -> callee edges inferred from the evidence; the culprit of the top hypothesis is outlined red."""
    if not report.service_graph:
        return
    st.markdown("**Service dependencies** (inferred from the evidence)")
    culprit = report.top.service if report.top else None
    nodes = sorted({e.caller for e in report.service_graph} | {e.callee for e in report.service_graph})
    lines = ["digraph G {", "rankdir=LR;", 'node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];']
    lines += [f"{_dot_id(n)} [color=red, penwidth=2];" for n in nodes if n == culprit]
    lines += [f"{_dot_id(e.caller)} -> {_dot_id(e.callee)};" for e in report.service_graph]
    st.graphviz_chart("\n".join(lines + ["}"]), width="content")
    st.dataframe(pd.DataFrame([{"caller": e.caller, "callee": e.callee, "evidence": e.evidence}
                               for e in report.service_graph]), hide_index=True, key="report.graph.table")


def gaps(report: IncidentReport) -> None:
    if not report.gaps:
        st.caption("Nothing was left unchecked.")
    for g in report.gaps:
        settle = f" — *would settle it:* {fmt.md(g.would_settle)}" if g.would_settle else ""
        st.warning(f"**{fmt.md(g.what)}**: {fmt.md(g.why)}{settle}", icon=":material/search_off:")


def similar(report: IncidentReport) -> None:
    if not report.similar:
        st.caption("No similar past incidents (the knowledge base is empty or nothing matched).")
    for s in report.similar:
        st.markdown(f"- **{fmt.md(s.title)}** (score {s.score:.2f} · {fmt.category_label(s.category)}): {fmt.md(s.reason)}"
                    + (f" — fixed by: {fmt.md(s.resolution)}" if s.resolution else ""))


def agents(report: IncidentReport) -> None:
    st.dataframe(pd.DataFrame([{
        "agent": a.agent, "backend": a.backend, "model": a.model, "time": fmt.seconds(a.seconds),
        "findings": len(a.findings), "hypotheses": len(a.hypotheses), "tokens": a.tokens_in + a.tokens_out,
        "cost (USD)": round(a.cost_usd, 4), "degraded": a.degraded_reason if a.degraded else ""}
        for a in report.agents]), hide_index=True, key="report.agents.table")
    if report.findings:
        st.dataframe(pd.DataFrame([{"agent": f.agent, "severity": f.severity, "finding": f.title,
                                    "service": f.service or "", "start": fmt.when(f.start, seconds=True), "evidence": len(f.evidence)}
                                   for f in report.findings]), hide_index=True, key="report.findings.table")


def finding_detail(report: IncidentReport, artifacts: dict[str, Artifact]) -> None:
    """Pick any finding (not only those behind a hypothesis) and open its evidence."""
    if not report.findings:
        return
    by_id = {f.id: f for f in report.findings}
    picked = st.selectbox("Open a finding", list(by_id), index=None, key="report.finding",
                          placeholder="choose a finding to see its evidence",
                          format_func=lambda i: f"[{by_id[i].agent} · {by_id[i].severity}] {by_id[i].title}"[:160])
    if picked is None:
        return
    f = by_id[picked]
    if f.detail:
        st.markdown(fmt.md(f.detail))
    if f.signals:
        st.caption("signals: " + ", ".join(fmt.md(x) for x in f.signals))
    _evidence_list(f.evidence, artifacts, key=f"finding.{f.id}.ev")
