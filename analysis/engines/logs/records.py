"""Lines -> records: header parsing per line, multi-line grouping (stack traces, tracebacks,
``Caused by:`` chains), year hints from a bounded look-ahead, and exception extraction.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator

from analysis.engines.logs.headers import LineParser, ParsedLine
from analysis.engines.logs.models import LogRecord
from analysis.engines.logs.timestamps import TimestampReader, find_year_hint

LOOKAHEAD_LINES = 500
MAX_RECORD_LINES = 1000
MAX_MESSAGE_CHARS = 8000
MAX_LINE_CHARS = 65_536  # longer lines are parsed (and kept) truncated

_CONT_START = re.compile(
    r"^(?:\s|at |Caused by:|Suppressed:|\.\.\. \d+ (?:more|common)|Traceback \(|During handling|"
    r"The above exception|goroutine \d+ |panic: |[\w$.]+(?:Exception|Error)(?::|$))")
_JAVA_EXC = re.compile(
    r"^\s*(?:Caused by:\s*)?(?P<exc>(?:[a-zA-Z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error|Throwable|Fault|Failure))"
    r"(?::\s*(?P<msg>.*))?$")
_JAVA_FRAME = re.compile(r"^\s+at\s+(?P<frame>[\w$.<>/]+)\((?P<loc>[^)]*)\)")
_PY_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_PY_EXC = re.compile(r"^(?P<exc>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Timeout|Warning|Refused|Failure)):?\s*(?P<msg>.*)$")
_INLINE_EXC = re.compile(r"\b(?P<exc>(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)|[A-Z][A-Za-z]*(?:Exception|Error))\b")


@dataclass
class RawRecord:
    """A record before it becomes a :class:`LogRecord` (cheap to build for every line)."""

    line_start: int
    line_end: int
    parsed: ParsedLine | None
    first_line: str
    extra: list[str] = field(default_factory=list)
    extra_chars: int = 0

    @property
    def message(self) -> str:
        base = self.parsed.message if self.parsed is not None else self.first_line.strip()
        if not self.extra:
            return base
        return (base + "\n" + "\n".join(self.extra))[:MAX_MESSAGE_CHARS]

    @property
    def mine_text(self) -> str:
        if self.parsed is None:
            return self.first_line.strip()
        return self.parsed.mine_text if self.parsed.mine_text is not None else self.parsed.message

    @property
    def timestamp(self) -> datetime | None:
        return self.parsed.timestamp if self.parsed is not None else None

    def exception(self) -> tuple[str, list[str]] | None:
        """(exception type, top frames) when the record carries a stack trace or names an exception."""
        exc: str | None = None
        root: str | None = None
        frames: list[str] = []
        py_frames: list[str] = []
        for ln in self.extra[:300]:
            fm = _JAVA_FRAME.match(ln)
            if fm:
                if len(frames) < 3 and root is None:
                    frames.append(fm.group("frame"))
                continue
            pm = _PY_FRAME.match(ln)
            if pm:
                py_frames.append(f"{pm.group('func')} ({pm.group('file').rsplit('/', 1)[-1]}:{pm.group('line')})")
                continue
            em = _JAVA_EXC.match(ln)
            if em:
                if ln.lstrip().startswith("Caused by"):
                    root = em.group("exc")
                elif exc is None:
                    exc = em.group("exc")
                continue
            if not ln[:1].isspace():
                pe = _PY_EXC.match(ln)
                if pe and py_frames:
                    exc = pe.group("exc")
        if py_frames and exc:
            return exc, py_frames[-3:][::-1]
        if exc is None and self.parsed is not None:
            fex = (self.parsed.fields.get("exception") or "")
            if fex:
                em = _JAVA_EXC.match(fex.splitlines()[0]) or _PY_EXC.match(fex.splitlines()[0])
                if em:
                    exc = em.group("exc")
                    for ln in fex.splitlines()[1:40]:
                        fm = _JAVA_FRAME.match(ln)
                        if fm and len(frames) < 3:
                            frames.append(fm.group("frame"))
            if exc is None:
                im = _INLINE_EXC.search(self.parsed.message[:500])
                if im:
                    exc = im.group("exc")
        if exc is None:
            return None
        if root and root != exc:
            exc = f"{exc} (caused by {root})"
        return exc, frames

    def to_model(self, template_id: str | None = None) -> LogRecord:
        p = self.parsed
        if p is None:
            return LogRecord(line_start=self.line_start, line_end=self.line_end, message=self.message,
                             template_id=template_id)
        fields = dict(p.fields)
        ex = self.exception() if (self.extra or "exception" in fields) else None
        if ex:
            fields["exception_type"] = ex[0]
            if ex[1]:
                fields["frames"] = " | ".join(ex[1])
        return LogRecord(line_start=self.line_start, line_end=self.line_end, timestamp=p.timestamp,
                         level=p.level, host=p.host, component=p.component, pid=p.pid, service=p.service,
                         message=self.message, template_id=template_id, fields=fields)


def is_table_header(p: ParsedLine | None) -> bool:
    return p is not None and p.fields.get("table_header") == "1"


class RecordReader:
    """Streams :class:`RawRecord` objects; ``format_counts`` tallies header families seen."""

    def __init__(self, name: str = "", *, now: datetime | None = None, year_hint: int | None = None) -> None:
        self.name = name
        self.now = now
        self.year_hint = year_hint
        self.format_counts: dict[str, int] = {}
        self.line_count = 0

    def __call__(self, lines: Iterable[str]) -> Iterator[RawRecord]:
        it = iter(lines)
        head = list(itertools.islice(it, LOOKAHEAD_LINES))
        year = self.year_hint if self.year_hint is not None else find_year_hint(self.name)
        if year is None:
            for ln in head:
                year = find_year_hint(ln[:400])
                if year is not None:
                    break
        parser = LineParser(TimestampReader(now=self.now, year_hint=year))
        cur: RawRecord | None = None
        counts = self.format_counts
        n = 0
        for n, line in enumerate(itertools.chain(head, it), start=1):
            if line.endswith("\n") or line.endswith("\r"):
                line = line.rstrip("\r\n")
            if len(line) > MAX_LINE_CHARS:
                line = line[:MAX_LINE_CHARS]
            p = parser.parse(line)
            if p is None:
                if cur is not None and not line[:1].isdigit() and (cur.line_end - cur.line_start) < MAX_RECORD_LINES and (
                        (cur.parsed is not None and not is_table_header(cur.parsed)
                         and (cur.parsed.timestamp is not None or cur.parsed.level is not None))
                        or _CONT_START.match(line) or not line.strip()):
                    cur.line_end = n
                    if cur.extra_chars < MAX_MESSAGE_CHARS:
                        cur.extra.append(line)
                        cur.extra_chars += len(line) + 1
                    continue
                if cur is not None:
                    yield cur
                cur = RawRecord(n, n, None, line)
                continue
            counts[p.family] = counts.get(p.family, 0) + 1
            if cur is not None:
                yield cur
            cur = RawRecord(n, n, p, line)
        self.line_count = n
        if cur is not None:
            yield cur


def iter_records(lines: Iterable[str], name: str = "", *, now: datetime | None = None,
                 year_hint: int | None = None) -> Iterator[LogRecord]:
    """Detect the format line by line and yield one :class:`LogRecord` per (multi-line) record."""
    reader = RecordReader(name, now=now, year_hint=year_hint)
    for raw in reader(lines):
        if is_table_header(raw.parsed):
            continue
        yield raw.to_model()
