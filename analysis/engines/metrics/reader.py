"""Bytes -> raw pandas DataFrame: decoding, delimiter and decimal-comma sniffing, preamble skipping.

Knows nothing about metric layouts (see ``layouts``); raises ``IngestError`` with one sentence when
the bytes are not a readable delimited text table.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pandas as pd

from analysis.errors import IngestError

_DELIMS = (",", ";", "\t", "|")
_DEC_COMMA = re.compile(r"(?:^|[;\t|])\s*-?\d+,\d+\s*(?=$|[;\t|])")


@dataclass
class RawTable:
    """A delimited table as read, before layout detection."""

    frame: pd.DataFrame
    delimiter: str
    decimal: str
    header_line: int
    notes: list[str]


def _candidate_lines(text: str, limit: int = 60) -> list[str]:
    lines = []
    for line in io.StringIO(text[:200_000]):
        if line.strip():
            lines.append(line.rstrip("\r\n"))
        if len(lines) >= limit:
            break
    return lines


def _count_outside_quotes(line: str, ch: str) -> int:
    n, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


def sniff(text: str, name: str) -> tuple[str, int, str]:
    """Return (delimiter, index of the header among non-empty lines, decimal mark)."""
    lines = _candidate_lines(text)
    start = 0
    forced = None
    if lines and lines[0].lower().startswith("sep=") and len(lines[0]) <= 6:
        forced = lines[0][4:5] or ","
        start = 1
    # skip comment / title preamble lines (Grafana, Datadog and console exports add some)
    while start < len(lines) and lines[start].lstrip().startswith("#"):
        start += 1
    body = lines[start:]
    if not body:
        raise IngestError(f"{name} has no table rows; expected a header line followed by rows of values.")
    best = (forced or ",", 0.0)
    if forced is None:
        for d in _DELIMS:
            counts = [_count_outside_quotes(line, d) for line in body[:30]]
            if not counts or counts[0] == 0:
                continue
            agree = sum(1 for c in counts if c == counts[0]) / len(counts)
            score = agree * (1 + min(counts[0], 50) / 100)
            if score > best[1]:
                best = (d, score)
    delim = best[0]
    # a header line may be preceded by a title line with fewer fields
    if len(body) > 2 and forced is None:
        counts = [_count_outside_quotes(line, delim) for line in body[:30]]
        target = max(set(counts), key=counts.count)
        while start < len(lines) - 1 and _count_outside_quotes(lines[start], delim) < target and start < 5:
            start += 1
    decimal = "."
    if delim != ",":
        sample = "\n".join(lines[start + 1:start + 30])
        if _DEC_COMMA.search(sample.replace(delim, ";")):
            decimal = ","
    return delim, start, decimal


def _head_text(data: bytes, name: str) -> tuple[str, str]:
    """Decoded start of the file (for sniffing) and the encoding to read the whole file with."""
    head = data[:262_144]
    if not head.strip() and not data.strip():
        raise IngestError(f"The metrics file {name} is empty; upload a CSV with a time column and numeric columns.")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")[:262_144], "utf-16"
    if b"\x00" in head[:4096]:
        raise IngestError(f"{name} looks binary, not a text CSV; export the metrics as CSV and upload that file.")
    try:
        return head.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a multi-byte character cut at the sniffing boundary
            return head[:exc.start].decode("utf-8-sig"), "utf-8-sig"
        return head.decode("latin-1"), "latin-1"


def read_table(data: bytes, name: str) -> RawTable:
    """Read delimited text into a DataFrame (cells typed by pandas; numbers with decimal commas too).

    Text columns are read as pandas categoricals (label values and timestamps repeat across the
    rows of long-format files, so this keeps large files fast and small in memory).
    """
    text, encoding = _head_text(data, name)
    delim, header_idx, decimal = sniff(text, name)
    notes: list[str] = []
    # translate the header index among non-empty lines into a skiprows count over physical lines
    skip = 0
    seen = 0
    for line in io.StringIO(text):
        if line.strip():
            if seen == header_idx:
                break
            seen += 1
        skip += 1
    if header_idx:
        notes.append(f"skipped {header_idx} preamble line(s) before the header")
    opts = dict(sep=delim, decimal=decimal, skiprows=skip, skip_blank_lines=True, engine="c", low_memory=False,
                thousands=None, skipinitialspace=True)
    frame = _read(data, name, encoding, skip, opts, nrows=2000, notes=notes)
    text_cols = {c: "category" for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)}
    if len(frame) >= 2000:
        frame = _read(data, name, encoding, skip, {**opts, "dtype": text_cols}, notes=notes)
    frame.columns = [str(c).strip() for c in frame.columns]
    if decimal == ",":
        notes.append("read decimal commas")
    if delim != ",":
        notes.append(f"delimiter {'TAB' if delim == chr(9) else delim!r}")
    return RawTable(frame=frame, delimiter=delim, decimal=decimal, header_line=skip, notes=notes)


def _read(data: bytes, name: str, encoding: str, skip: int, opts: dict, nrows: int | None = None,
          notes: list[str] | None = None) -> pd.DataFrame:
    for enc in (encoding, "latin-1"):
        try:
            return pd.read_csv(io.BytesIO(data), encoding=enc, nrows=nrows, **opts)
        except UnicodeDecodeError:
            continue
        except pd.errors.ParserError as exc:
            m = re.search(r"line (\d+), saw (\d+)", str(exc))
            m2 = re.search(r"Expected (\d+) fields", str(exc))
            if m and m2:
                ragged = _read_ragged(data, enc, nrows, opts, int(m2.group(1)))
                if ragged is not None:
                    frame, trimmed = ragged
                    if notes is not None and trimmed:
                        notes.append(f"{trimmed} row(s) had more fields than the header; the extra fields were dropped")
                    return frame
                raise IngestError(f"Row {int(m.group(1)) + skip} of {name} has {m.group(2)} fields where the header "
                                  f"has {m2.group(1)}; fix that row or re-export the file.") from exc
            raise IngestError(f"{name} is not a readable CSV table ({str(exc).splitlines()[0]}); "
                              f"re-export it as CSV.") from exc
        except pd.errors.EmptyDataError as exc:
            raise IngestError(f"The metrics file {name} has no columns; expected a header line with a time "
                              f"column.") from exc
    raise IngestError(f"{name} is not valid UTF-8 or Latin-1 text; re-export the metrics as a UTF-8 CSV.")


def _read_ragged(data: bytes, enc: str, nrows: int | None, opts: dict, width: int) -> tuple[pd.DataFrame, int] | None:
    """Re-read with the python parser, trimming rows that carry more fields than the header (Excel exports)."""
    trimmed = [0]

    def trim(fields: list[str]) -> list[str]:
        trimmed[0] += 1
        return fields[:width]

    py_opts = {k: v for k, v in opts.items() if k not in ("low_memory", "engine")}
    try:
        frame = pd.read_csv(io.BytesIO(data), encoding=enc, nrows=nrows, engine="python", on_bad_lines=trim,
                            index_col=False, **py_opts)
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError):
        return None
    return frame, trimmed[0]
