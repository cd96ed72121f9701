"""``python -m analysis logs FILE [--assignments OUT.csv] [--json]``: detect format, mine templates."""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
from pathlib import Path
from typing import IO, Iterator, TextIO

from analysis.cli.output import emit_json
from analysis.errors import IngestError
from analysis.settings import Settings

_SNIFF = 8192


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("logs", help="detect a log's format, mine templates and report findings")
    p.add_argument("file", metavar="FILE", help="log file (plain text or .gz; any format, detected automatically)")
    p.add_argument("--assignments", metavar="OUT.csv",
                   help="write line,template_id,template for every input line (templates use <*>)")
    p.add_argument("--json", action="store_true", help="print the analysis as JSON")
    p.set_defaults(func=run)


def _open_binary(path: Path) -> IO[bytes]:
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return path.open("rb")


def check_file(path: Path) -> str:
    """Validate the file is readable, non-empty text; returns its sha256-based artifact id."""
    try:
        fh = _open_binary(path)
    except OSError as exc:
        raise IngestError(f"Cannot read {path} ({exc.strerror}); check the path.") from exc
    digest = hashlib.sha256()
    try:
        with fh:
            head = fh.read(_SNIFF)
            digest.update(head)
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise IngestError(f"Cannot read {path.name} ({exc}); upload an intact plain or gzip log file.") from exc
    if not head.strip():
        raise IngestError(f"{path.name} is empty; upload a log file with at least one line.")
    text_like = sum(1 for b in head if b >= 32 or b in (9, 10, 13, 12, 27))
    if b"\x00" in head or text_like / len(head) < 0.9:
        raise IngestError(f"{path.name} looks binary, not a text log; upload the plain or gzip-compressed log.")
    return digest.hexdigest()[:16]


def read_lines(path: Path) -> Iterator[str]:
    """Decoded lines without newline (UTF-8 with replacement, universal newlines)."""
    raw = _open_binary(path)
    with raw, __import__("io").TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None) as fh:
        for line in fh:
            yield line[:-1] if line.endswith("\n") else line


def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from analysis.engines.logs import analyze_log, iter_assignments

    path = Path(args.file)
    artifact_id = check_file(path)
    if args.assignments:
        try:
            with open(args.assignments, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["line", "template_id", "template"])
                w.writerows(iter_assignments(read_lines(path), path.name))
        except OSError as exc:
            raise IngestError(f"Cannot write assignments to {args.assignments} ({exc.strerror}); "
                              f"choose a writable path.") from exc
    analysis = analyze_log(read_lines(path), artifact_id=artifact_id, name=path.name)
    if args.json:
        emit_json(analysis, out)
        return 0
    span = ""
    if analysis.start and analysis.end:
        span = f", {analysis.start:%Y-%m-%d %H:%M:%S} – {analysis.end:%Y-%m-%d %H:%M:%S} UTC"
    out.write(f"{path.name}: format {analysis.format}, {analysis.line_count} lines, {analysis.record_count} records, "
              f"{analysis.timestamped_lines} timestamped lines, {len(analysis.templates)} templates{span}\n")
    for note in analysis.notes:
        out.write(f"  note: {note}\n")
    if analysis.services:
        out.write(f"Services: {', '.join(analysis.services[:10])}\n")
    out.write("Top templates:\n")
    for t in analysis.templates[:15]:
        out.write(f"  {t.id} {t.count:>7}  {(t.level or '-'):<5} {t.template[:110]}\n")
    out.write(f"Findings ({len(analysis.findings)}):\n")
    for f in analysis.findings[:25]:
        loc = f.evidence[0].locator() if f.evidence else ""
        out.write(f"  [{f.severity}] {f.kind}: {f.title[:140]}  ({loc})\n")
    if args.assignments:
        out.write(f"Assignments written to {args.assignments}\n")
    return 0
