"""Report exports: plain text (CLI), Markdown (escaped: nothing in it renders as markup) and JSON."""

from __future__ import annotations

import html
import re

from analysis.models import Incident, IncidentReport, Review

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=:@$])")


def md_escape(text: str | None) -> str:
    """Escape Markdown and HTML so user-controlled text renders as literal text."""
    if not text:
        return ""
    text = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    """A fenced code block whose fence is longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f\x9b]")


def terminal_safe(text: str | None) -> str:
    """Strip ANSI/OSC escape sequences and control characters so log excerpts cannot drive the terminal."""
    return _CONTROL.sub("", text or "")


def _fmt_time(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt else "unknown"


def report_to_text(report: IncidentReport) -> str:
    """Human text for the terminal."""
    lines = [f"Incident report: {report.title}", f"run {report.run_id or '-'} · backend {report.backend}"
             f" · {report.timings.get('total', 0):.1f} s" + (" · DEGRADED" if report.degraded else ""), ""]
    if report.inconclusive:
        lines.append("Outcome: INCONCLUSIVE - the evidence is too thin to name a cause with confidence.")
    lines.append("Hypotheses (best first):")
    for i, h in enumerate(report.hypotheses, 1):
        lines.append(f"  {i}. [{h.confidence:.0%}] {h.category.value} · service {h.service or '?'} · onset {_fmt_time(h.onset)}")
        lines.append(f"     {h.statement}")
        for ev in h.evidence[:4]:
            lines.append(f"     - {ev.locator()}: {ev.excerpt[:140]}")
    if not report.hypotheses:
        lines.append("  (none)")
    if report.gaps:
        lines.append("")
        lines.append("Gaps (not checked):")
        for g in report.gaps:
            lines.append(f"  - {g.what}: {g.why}" + (f" -> {g.would_settle}" if g.would_settle else ""))
    lines.append("")
    return terminal_safe("\n".join(lines))


def report_to_markdown(incident: Incident, report: IncidentReport, verdicts: dict[str, str] | None = None,
                       reviews: list[Review] | None = None) -> str:
    """Markdown export for postmortems; every user- or log-derived string is escaped."""
    verdicts = verdicts or {}
    out = [f"# {md_escape(incident.title)}", "",
           f"- **Incident:** {md_escape(incident.id)} · **Severity:** {incident.severity.value} · "
           f"**Status:** {incident.status.value}",
           f"- **Services:** {md_escape(', '.join(incident.services)) or '-'}",
           f"- **Run:** {md_escape(report.run_id)} · **Backend:** {md_escape(report.backend)} · "
           f"**Generated:** {_fmt_time(report.created_at)}", ""]
    if incident.description:
        out += ["## Description", "", md_escape(incident.description), ""]
    out += ["## Hypotheses", ""]
    if report.inconclusive:
        out += ["**Inconclusive:** the evidence is too thin to name a cause with confidence.", ""]
    for i, h in enumerate(report.hypotheses, 1):
        verdict = verdicts.get(h.id, h.status)
        out += [f"### {i}. {h.category.value} — {md_escape(h.service or 'unknown service')} "
                f"({h.confidence:.0%}, {verdict})", "",
                md_escape(h.statement), "", f"- **Onset:** {_fmt_time(h.onset)}"]
        if h.reasoning:
            out.append("- **Why this confidence:** " + "; ".join(md_escape(r) for r in h.reasoning))
        if h.evidence:
            out += ["", "Evidence:", ""]
            for ev in h.evidence:
                out.append(f"- {md_escape(ev.locator())}")
                if ev.excerpt:
                    out += ["", md_code(ev.excerpt), ""]
        if h.refuting:
            out += ["", "Against:", ""] + [f"- {md_escape(ev.locator())}: {md_escape(ev.excerpt[:200])}" for ev in h.refuting]
        if h.remediation:
            out += ["", "Suggested remediation (not run):", ""]
            for step in h.remediation:
                flag = f" **[{step.risk}: {md_escape(step.risk_reason)}]**" if step.risk != "safe" else ""
                out.append(f"- {md_escape(step.text)}{flag}")
                if step.command:
                    out += ["", md_code(step.command), ""]
        out.append("")
    if report.timeline:
        out += ["## Timeline (UTC)", "", "| time | source | service | event |", "|---|---|---|---|"]
        for ev in report.timeline[:200]:
            out.append(f"| {ev.time.strftime('%Y-%m-%d %H:%M:%S')} | {md_escape(ev.source)} | "
                       f"{md_escape(ev.service or '')} | {'**change** ' if ev.is_change else ''}{md_escape(ev.title)} |")
        out.append("")
    if report.gaps:
        out += ["## Gaps", ""] + [f"- **{md_escape(g.what)}:** {md_escape(g.why)}"
                                  + (f" — would settle: {md_escape(g.would_settle)}" if g.would_settle else "")
                                  for g in report.gaps] + [""]
    if report.similar:
        out += ["## Similar past incidents", ""] + [f"- {md_escape(s.title)} ({s.score:.2f}): {md_escape(s.reason)}"
                                                    + (f" — fixed by: {md_escape(s.resolution)}" if s.resolution else "")
                                                    for s in report.similar] + [""]
    if reviews:
        out += ["## Review notes", ""] + [f"- {r.created_at.strftime('%Y-%m-%d %H:%M')} {md_escape(r.author)} "
                                          f"({r.verdict}): {md_escape(r.note)}" for r in reviews] + [""]
    return "\n".join(out)


def report_to_json(report: IncidentReport) -> str:
    return report.model_dump_json(indent=2)
