"""The log viewer: numbered lines, level colouring, a highlighted evidence range.

Lines are HTML-escaped before rendering, so nothing in a log can become markup.
"""

from __future__ import annotations

import html
import re

import streamlit as st

_LEVEL = re.compile(
    r"(?<![A-Za-z])(FATAL|CRITICAL|CRIT|EMERG|ALERT|PANIC|ERROR|ERR|SEVERE|WARNING|WARN|NOTICE|INFO|DEBUG|TRACE)(?![A-Za-z])",
    re.IGNORECASE,
)
_GROUP = {
    "fatal": "error", "critical": "error", "crit": "error", "emerg": "error", "alert": "error", "panic": "error",
    "error": "error", "err": "error", "severe": "error", "warning": "warn", "warn": "warn", "notice": "info",
    "info": "info", "debug": "debug", "trace": "debug",
}
#: An access-log status after the quoted request line (combined/nginx/envoy: ``"GET /x HTTP/1.1" 503 ...``).
_ACCESS_STATUS = re.compile(r'HTTP/[\d.]+"\s+([1-5]\d\d)\b')
_CONTINUATION = re.compile(r"^(\s|Caused by:|[\w.$]+(Exception|Error)\b|\.\.\. \d+ more)")
_STYLE = """
<style>
.srewb-log{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;line-height:1.45;
  border:1px solid rgba(128,128,128,.35);border-radius:6px;overflow:auto;max-height:%(h)dpx}
.srewb-log table{border-collapse:collapse;width:100%%}
.srewb-log td{padding:0 8px;vertical-align:top;white-space:pre;border:none}
.srewb-log td.n{color:#888;text-align:right;user-select:none;width:1%%;white-space:nowrap;border-right:1px solid rgba(128,128,128,.3)}
.srewb-log tr.error td.t{color:#c62828}.srewb-log tr.error{background:rgba(229,57,53,.07)}
.srewb-log tr.warn td.t{color:#a15c00}.srewb-log tr.warn{background:rgba(255,167,38,.08)}
.srewb-log tr.debug td.t{color:#888}
.srewb-log tr.hit{background:rgba(255,235,59,.35)!important;outline:1px solid rgba(251,192,45,.9)}
</style>
"""


def line_level(line: str) -> str:
    """``error``, ``warn``, ``info``, ``debug`` or ``""`` from the first level word in the line's head (or a 5xx status)."""
    m = _LEVEL.search(line[:200])
    if m:
        return _GROUP.get(m.group(1).lower(), "")
    status = _ACCESS_STATUS.search(line[:2000])  # access logs carry no level word: a 5xx answer is an error
    return "error" if status and status.group(1)[0] == "5" else ""


def log_html(numbered: list[tuple[int, str]], *, highlight: tuple[int, int] | None = None, height: int = 420,
             max_chars: int = 2000) -> str:
    """HTML table of ``(line number, text)`` rows; ``highlight`` is an inclusive 1-based range."""
    rows = []
    previous = ""
    for i, text in numbered:
        cls = line_level(text) or (previous if _CONTINUATION.match(text) else "")
        previous = cls
        if highlight and highlight[0] <= i <= highlight[1]:
            cls += " hit"
        shown = text if len(text) <= max_chars else text[:max_chars] + " …"
        rows.append(f'<tr class="{cls.strip()}" data-line="{i}"><td class="n">{i}</td>'
                    f'<td class="t">{html.escape(shown, quote=False) or "&nbsp;"}</td></tr>')
    return (_STYLE % {"h": height}) + f'<div class="srewb-log"><table>{"".join(rows)}</table></div>'


def show_log(lines: list[str], first_line: int, *, highlight: tuple[int, int] | None = None, height: int = 420) -> None:
    """Render ``lines`` numbered from ``first_line``."""
    if not lines:
        st.caption("No lines in this range.")
        return
    st.html(log_html(list(enumerate(lines, start=first_line)), highlight=highlight, height=height))


def show_log_range(lines: list[str], line_start: int, line_end: int, *, context: int = 5) -> None:
    """The exact evidence lines, highlighted, with a few lines of context either side."""
    lo = max(1, line_start - context)
    hi = min(len(lines), line_end + context)
    show_log(lines[lo - 1:hi], lo, highlight=(line_start, line_end), height=320)


def browse_log(lines: list[str], key: str, *, page: int = 200) -> None:
    """A browsable log: pick the first line and optionally only warnings and errors."""
    total = len(lines)
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    start = int(c1.number_input("From line", min_value=1, max_value=max(total, 1), value=1, step=page,
                                key=f"{key}.from"))
    only_bad = c2.toggle("Warnings and errors only", key=f"{key}.bad")
    c3.caption(f"{total:,} lines")
    if only_bad:
        picked = [(i, t) for i, t in enumerate(lines[start - 1:], start) if line_level(t) in ("error", "warn")][:page]
        if not picked:
            st.caption("No warning or error lines from here on.")
            return
        st.html(log_html(picked))
        return
    show_log(lines[start - 1:start - 1 + page], start)
