"""Decoding of text artifacts: BOMs, UTF-16/32, invalid UTF-8, Latin-1 fallback, NUL padding, binary
detection, and long-line accounting (lines are clipped only for display, never in stored bytes)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from analysis.errors import IngestError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class DecodedText:
    """Decoded text plus what was done to get it."""

    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


def _looks_utf16_without_bom(head: bytes) -> str | None:
    if len(head) < 8:
        return None
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    half = len(head) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


_NUL_RUN = re.compile(rb"\x00{16,}")
#: ANSI escape sequences (colours, cursor moves, window titles) as written by docker/kubectl/journalctl.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
#: C0/C1 control characters other than tab, newline, carriage return, vertical tab and form feed.
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f\x80-\x9f]")


def _text_sample(data: bytes, size: int = 65536) -> bytes:
    """The first ``size`` bytes after leading NUL padding, with NUL runs (copytruncate holes) removed."""
    start = len(data) - len(data.lstrip(b"\x00"))
    return _NUL_RUN.sub(b"", data[start:start + size])


def is_binary(data: bytes, name: str = "") -> bool:
    """Heuristic: a text file has few control bytes once NUL padding (copytruncate) is ignored."""
    head = data[:65536]
    if not head:
        return False
    for bom, _ in _BOMS:
        if head.startswith(bom):
            return False
    if _looks_utf16_without_bom(head):
        return False
    sample = _text_sample(data)
    if not sample:
        return True
    # NUL-padded logs: long NUL runs are padding (removed above), scattered NULs are binary
    if sample.count(b"\x00") > max(8, len(sample) // 200):
        return True
    control = sum(1 for b in sample if b < 9 or (13 < b < 32 and b != 27))
    return control > max(4, len(sample) // 50)


def decode_text(data: bytes, name: str = "") -> DecodedText:
    """Decode bytes to text, reporting repairs; raise :class:`IngestError` for binary data."""
    if not data or not data.strip(b"\x00 \t\r\n"):
        raise IngestError(f"{name or 'The file'} is empty: upload a file that has content.")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(enc, errors="replace")
            return _finish(DecodedText(text, enc + " (BOM)"), name)
    guess16 = _looks_utf16_without_bom(data[:4096])
    if guess16:
        return _finish(DecodedText(data.decode(guess16, errors="replace"), guess16), name)
    if is_binary(data, name):
        raise IngestError(
            f"{name or 'The file'} looks binary, not text: upload the log or CSV itself (plain text, .gz or .zip)."
        )
    try:
        return _finish(DecodedText(data.decode("utf-8"), "utf-8"), name)
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad > max(10, len(text) // 100):
        # mostly not UTF-8: Latin-1 (cp1252 superset) decodes every byte
        return _finish(DecodedText(data.decode("cp1252", errors="replace"), "cp1252",
                                   ["decoded as Windows-1252/Latin-1 (not valid UTF-8)"]), name)
    return _finish(DecodedText(text, "utf-8", [f"{bad} invalid UTF-8 byte sequence(s) replaced with \ufffd"]), name)


def _finish(dec: DecodedText, name: str) -> DecodedText:
    text = dec.text
    if not dec.encoding.startswith("utf-8") and _garbage_share(text) > 0.1:
        # a UTF-16/32 BOM (or NUL pattern) in front of binary bytes decodes to unreadable characters
        raise IngestError(
            f"{name or 'The file'} looks binary, not text: upload the log or CSV itself (plain text, .gz or .zip)."
        )
    if "\x00" in text:
        n = text.count("\x00")
        text = text.replace("\x00", "")
        dec.notes.append(f"{n} NUL byte(s) removed (copytruncate padding)")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        text, n = _ANSI.subn("", text)
        if n:
            dec.notes.append(f"{n} ANSI colour/escape sequence(s) removed for display and analysis")
    text, n = _CONTROL.subn("\ufffd", text)
    if n:
        dec.notes.append(f"{n} control character(s) shown as \ufffd")
    dec.text = text
    return dec


def _garbage_share(text: str, sample: int = 20000) -> float:
    head = text[:sample]
    if not head:
        return 0.0
    bad = sum(1 for ch in head if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\x0b\x0c\x1b\x00")
              or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad / len(head)


def count_long_lines(text: str, max_chars: int) -> tuple[int, int]:
    """``(lines longer than max_chars, longest line length)``; cheap when no line can be that long."""
    if len(text) <= max_chars:
        return 0, max((len(ln) for ln in text.split("\n")), default=0)
    n = longest = 0
    for ln in text.split("\n"):
        size = len(ln)
        longest = max(longest, size)
        if size > max_chars:
            n += 1
    return n, longest


def clip_line(line: str, max_chars: int) -> str:
    """A line clipped for display, saying how much was cut; the stored bytes always keep the whole line."""
    if len(line) <= max_chars:
        return line
    return f"{line[:max_chars]} … [{len(line) - max_chars:,} more characters not shown]"


def split_lines(text: str) -> list[str]:
    """Split decoded text into lines without newlines (a missing final newline is fine)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
