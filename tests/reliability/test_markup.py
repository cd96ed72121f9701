"""Nothing displayed is executed, in exports: Markdown escapes, spreadsheet CSVs neutralise formulas.

Every user- or log-derived string of a report (incident fields, hypothesis statements, evidence
excerpts, timeline titles, gaps, similar incidents, review notes) is filled with script, markup,
Markdown and formula payloads; the exports must carry them as text.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest

from analysis.cli.main import main
from analysis.export import md_code, md_escape, report_to_markdown, report_to_text
from analysis.models import (
    EvidenceRef, Gap, Hypothesis, Incident, IncidentReport, RemediationStep, Review, SimilarIncident, TimelineEvent,
    Finding,
)
from analysis.spreadsheet_csv import (
    FORMULA_TRIGGERS, findings_csv, hypotheses_csv, neutralise_cell, rows_to_spreadsheet_csv, timeline_csv,
)

T = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
PAYLOADS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![img](http://127.0.0.1:9/beacon.png)",
    "**bold** _it_ `code` ~~s~~",
    "line one\n# Injected heading\n- injected bullet",
    "| a | b |\n|---|---|",
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "&lt;already escaped&gt; &amp;",
    "<!-- comment --> <style>body{display:none}</style>",
    "\\`\\*escaped backslashes\\*",
]
FENCE_BREAKERS = ["```\n# pwned after fence\n```", "````\n<script>x</script>", "~~~\n<b>tilde</b>"]


def _report() -> tuple[Incident, IncidentReport, list[Review]]:
    joined = " ".join(PAYLOADS)
    inc = Incident(id="inc-1", title=PAYLOADS[0] + " " + PAYLOADS[2], description=joined,
                   services=[PAYLOADS[1], PAYLOADS[7]], created_at=T, updated_at=T)
    evidence = [EvidenceRef(kind="log_lines", artifact_id="art-1", artifact_name="<img src=x onerror=alert(1)>.log",
                            line_start=3, line_end=4, excerpt=p) for p in PAYLOADS + FENCE_BREAKERS]
    hyp = Hypothesis(id="h1", category="database_overload", service=PAYLOADS[1], onset=T, statement=joined,
                     confidence=0.7, evidence=evidence, refuting=evidence[:3], reasoning=PAYLOADS,
                     remediation=[RemediationStep(text=PAYLOADS[2], command="rm -rf / # " + FENCE_BREAKERS[0],
                                                  risk="destructive", risk_reason=PAYLOADS[0])])
    report = IncidentReport(
        incident_id=inc.id, run_id="run-1", title=inc.title, created_at=T, hypotheses=[hyp],
        findings=[Finding(id=f"f{i}", agent="log", kind="burst", title=p, detail=p, service=p, start=T, evidence=evidence[:1])
                  for i, p in enumerate(PAYLOADS)],
        timeline=[TimelineEvent(time=T, source=p, service=p, kind="log", title=p) for p in PAYLOADS],
        gaps=[Gap(what=p, why=p, would_settle=p) for p in PAYLOADS],
        similar=[SimilarIncident(entry_id="kb-1", title=p, score=0.5, reason=p, resolution=p) for p in PAYLOADS])
    reviews = [Review(id=f"r{i}", incident_id=inc.id, verdict="note", note=p, author=p, created_at=T)
               for i, p in enumerate(PAYLOADS)]
    return inc, report, reviews


def _split_fences(md: str) -> tuple[list[str], list[str]]:
    """CommonMark backtick fences: returns (prose lines, code block bodies)."""
    prose, blocks = [], []
    lines = md.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", lines[i])
        if not m:
            prose.append(lines[i])
            i += 1
            continue
        fence = m.group(1)
        body, i = [], i + 1
        while i < len(lines) and not re.match(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        blocks.append("\n".join(body))
        i += 1
    return prose, blocks


def test_markdown_export_keeps_every_payload_as_text():
    inc, report, reviews = _report()
    md = report_to_markdown(inc, report, reviews=reviews)
    prose, blocks = _split_fences(md)
    for line in prose:
        assert "<" not in line, f"raw HTML in Markdown prose: {line!r}"
        assert not re.search(r"(?<!\\)\]\(", line), f"a live link: {line!r}"
        assert not re.search(r"(?<!\\)!\[", line), f"a live image: {line!r}"
        assert not line.lstrip().startswith(("# Injected", "- injected", "\\# Injected")), line
        assert "Injected heading" not in line or line.startswith(("#", "-", "|")) is False or "\\#" in line
    # headings come only from the template (one title, fixed sections, one per hypothesis)
    headings = [ln for ln in prose if ln.startswith("#")]
    assert all(re.match(r"^#{1,3} ", h) for h in headings)
    assert sum(h.startswith("# ") for h in headings) == 1
    # every timeline row still has exactly its five column separators
    rows = [ln for ln in prose if ln.startswith("| 2024")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", r)) == 5 for r in rows)
    # code blocks hold the excerpts verbatim and nothing escapes from them
    for breaker in FENCE_BREAKERS:
        assert breaker in blocks, f"fence broken by {breaker!r}"
    assert "# pwned after fence" not in "\n".join(prose)


@pytest.mark.parametrize("text", PAYLOADS + FENCE_BREAKERS)
def test_md_escape_and_md_code_one_by_one(text):
    esc = md_escape(text)
    assert "\n" not in esc and "<" not in esc and not re.search(r"(?<![\\])[\[\]`*_#|]", esc)
    fenced = md_code(text)
    _prose, blocks = _split_fences(fenced)
    assert blocks == [text]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_neutralise_cell_covers_every_trigger_and_keeps_numbers():
    for trigger in FORMULA_TRIGGERS:
        assert str(neutralise_cell(trigger + "SUM(A1)")).startswith("'")
    assert neutralise_cell("  =1+1") == "'  =1+1"
    assert neutralise_cell(-2.5) == -2.5 and neutralise_cell(7) == 7
    assert neutralise_cell("plain text, with comma") == "plain text, with comma"
    assert neutralise_cell(None) == "" and neutralise_cell(float("nan")) == "nan"


def test_spreadsheet_csv_round_trips_text_and_never_starts_a_cell_with_a_trigger():
    inc, report, _ = _report()
    for doc in (hypotheses_csv(report), findings_csv(report), timeline_csv(report),
                rows_to_spreadsheet_csv(["=h1", "n"], [[p, -1.5] for p in PAYLOADS])):
        rows = list(csv.reader(io.StringIO(doc)))
        assert len({len(r) for r in rows}) == 1, "a payload broke the column structure"
        for row in rows:
            for cell in row:
                assert _is_number(cell) or not cell.lstrip(" ").startswith(FORMULA_TRIGGERS), cell
    rows = list(csv.reader(io.StringIO(rows_to_spreadsheet_csv(["text", "n"], [[p, -1.5] for p in PAYLOADS]))))
    for p, row in zip(PAYLOADS, rows[1:]):
        assert row[0] == p or row[0] == "'" + p  # the text itself is kept, only prefixed
        assert row[1] == "-1.5"


def test_cli_machine_csv_keeps_data_verbatim(tmp_path):
    log = tmp_path / "f.log"
    log.write_text("".join(f"2024-03-01T10:00:{i:02d}Z ERROR =HYPERLINK(\"http://x\") user {i}\n" for i in range(20)))
    out_csv = tmp_path / "assign.csv"
    code = main(["logs", str(log), "--assignments", str(out_csv)], out=io.StringIO(), err=io.StringIO())
    assert code == 0
    text = out_csv.read_text()
    assert "=HYPERLINK" in text and "'=HYPERLINK" not in text


def test_text_report_for_the_terminal_strips_control_sequences():
    inc, report, _ = _report()
    report.hypotheses[0].evidence[0].excerpt = "ok \x1b]0;owned title\x07 \x1b[2J\x1b[31mred\x1b[0m"
    report.hypotheses[0].statement = "statement \x1b[2J cleared"
    text = report_to_text(report)
    assert "\x1b" not in text and "\x07" not in text
