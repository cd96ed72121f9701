"""Unit checks of the ingest helpers the catalogue relies on (decoding repairs, long lines, zip counting)."""

from __future__ import annotations

import pytest

from analysis.errors import IngestError
from analysis.ingest.archive import ArchiveLimits, other_container, unzip
from analysis.ingest.text import clip_line, count_long_lines, decode_text, is_binary
import hostile_builders as b

LIMITS = ArchiveLimits(max_total_bytes=64 << 20, max_ratio=200.0, max_entries=100, max_depth=2)


def test_nul_padding_before_the_text_is_padding_not_binary():
    data = b"\x00" * 100_000 + b"2024-03-01T10:00:00Z INFO started\n"
    assert not is_binary(data)
    dec = decode_text(data, "app.log")
    assert dec.text == "2024-03-01T10:00:00Z INFO started\n" and "100000 NUL" in dec.notes[0]


def test_ansi_sequences_removed_and_controls_made_visible():
    dec = decode_text(b"\x1b[31mERROR\x1b[0m boom \x1b]0;title\x07\x08x\n", "app.log")
    assert dec.text == "ERROR boom \ufffdx\n"
    assert any("ANSI" in n for n in dec.notes) and any("control character" in n for n in dec.notes)


def test_a_utf16_bom_in_front_of_binary_is_refused():
    with pytest.raises(IngestError, match="looks binary"):
        decode_text(b"\xff\xfe" + b.pseudo_random(4000), "x.log")


def test_long_lines_are_counted_and_clipped_for_display_only():
    text = "short\n" + "x" * 100 + "\nok"
    assert count_long_lines(text, 50) == (1, 100)
    assert count_long_lines("a\nbb", 50) == (0, 2)
    clipped = clip_line("x" * 100, 40)
    assert clipped.startswith("x" * 40) and "60 more characters" in clipped
    assert clip_line("short", 40) == "short"


@pytest.mark.parametrize("data,what", [
    (b.tar_of({"a.log": b"x\n"}), "tar"), (b.bz2_of(b"x"), "bzip2"), (b.xz_of(b"x"), "xz"),
    (b"%PDF-1.7\n", "PDF"), (b"7z\xbc\xaf\x27\x1c....", "7-Zip"), (b"Rar!\x1a\x07\x00", "RAR"),
])
def test_other_containers_are_named(data, what):
    found = other_container(data)
    assert found is not None and what in found[0]


def test_zip_entry_count_is_checked_before_zipfile_parses_the_directory():
    with pytest.raises(IngestError, match="holds 150 entries"):
        unzip(b.zip_flood_raw(150), "flood.zip", LIMITS)
    with pytest.raises(IngestError, match="Office document"):
        unzip(b.xlsx_like(), "book.xlsx", LIMITS)
