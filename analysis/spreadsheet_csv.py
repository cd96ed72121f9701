"""CSV exports meant to be opened in a spreadsheet, with formula injection neutralised.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab, a carriage return or the full-width forms of those characters) as a formula, so
a log line such as ``=HYPERLINK("http://evil", "click")`` or ``=cmd|' /C calc'!A0`` would run when
an analyst opens the export. Text cells starting with one of those characters are prefixed with a
single quote (the OWASP "CSV injection" recommendation): the spreadsheet shows the text, it does
not evaluate it. Numbers (``int``/``float`` values) are written as numbers, so ``-2.5`` stays a
number. Every cell is quoted, so commas, quotes and newlines inside text stay inside their cell.

The machine-readable CLI CSVs (``logs --assignments``, ``metrics --scores``) keep their data
verbatim and do not use this module; this is for downloads a human opens in Excel or Sheets.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from analysis.models import IncidentReport

#: Leading characters that make a spreadsheet treat a cell as a formula or a command.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_cell(value: Any) -> str | int | float:
    """A cell value that a spreadsheet shows as written and never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value if not (isinstance(value, float) and not math.isfinite(value)) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def rows_to_spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A complete CSV document (header + rows) with every text cell neutralised and quoted."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow([neutralise_cell(h) for h in header])
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])
    return buf.getvalue()


def hypotheses_csv(report: IncidentReport) -> str:
    """One row per hypothesis (rank, category, service, onset, confidence, status, statement, evidence)."""
    rows = []
    for rank, h in enumerate(report.hypotheses, 1):
        evidence = "; ".join(f"{ev.locator()}: {ev.excerpt[:200]}" for ev in h.evidence)
        rows.append([rank, h.category.value, h.service or "", h.onset, round(h.confidence, 3), h.status,
                     h.statement, evidence])
    return rows_to_spreadsheet_csv(["rank", "category", "service", "onset", "confidence", "status", "statement",
                                    "evidence"], rows)


def findings_csv(report: IncidentReport) -> str:
    """One row per finding (agent, severity, service, start, end, title, detail)."""
    rows = [[f.agent, f.severity, f.service or "", f.start, f.end, f.title, f.detail] for f in report.findings]
    return rows_to_spreadsheet_csv(["agent", "severity", "service", "start", "end", "title", "detail"], rows)


def timeline_csv(report: IncidentReport) -> str:
    """One row per timeline event (time, source, service, kind, change, title)."""
    rows = [[ev.time, ev.source, ev.service or "", ev.kind, ev.is_change, ev.title] for ev in report.timeline]
    return rows_to_spreadsheet_csv(["time", "source", "service", "kind", "change", "title"], rows)
