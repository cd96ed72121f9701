"""Decoding of text artifacts: BOMs, UTF-16, invalid UTF-8, Latin-1 fallback, binary detection."""

from __future__ import annotations

import codecs
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


def is_binary(data: bytes, name: str = "") -> bool:
    """Heuristic: a text file has few control bytes once NUL padding (copytruncate) is ignored."""
    sample = data[:65536]
    if not sample:
        return False
    for bom, _ in _BOMS:
        if sample.startswith(bom):
            return False
    if _looks_utf16_without_bom(sample):
        return False
    stripped = sample.replace(b"\x00", b"") if sample.count(b"\x00") > 0 else sample
    # NUL-padded logs: long NUL runs are padding, scattered NULs are binary
    nul_runs = sample.count(b"\x00" * 16)
    scattered_nuls = sample.count(b"\x00") - 16 * nul_runs
    if scattered_nuls > max(8, len(sample) // 200):
        return True
    if not stripped:
        return True
    control = sum(1 for b in stripped if b < 9 or (13 < b < 32 and b != 27))
    return control > max(4, len(stripped) // 50)


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
    if "\x00" in text:
        n = text.count("\x00")
        text = text.replace("\x00", "")
        dec.notes.append(f"{n} NUL byte(s) removed (copytruncate padding)")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    dec.text = text
    return dec


def split_lines(text: str) -> list[str]:
    """Split decoded text into lines without newlines (a missing final newline is fine)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
