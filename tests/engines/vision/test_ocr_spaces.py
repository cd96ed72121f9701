"""Spaces Tesseract drops around punctuation are put back from the glyph boxes; digit runs stay joined."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from analysis.engines.vision.layout import Box
from analysis.engines.vision.ocr import TesseractOcr, parse_hocr
from vision_render import _font


def _hocr_word(chars: list[tuple[int, int, str]], x_size: float = 40.0) -> str:
    spans = "".join(f"<span class='ocrx_cinfo' title='x_bboxes {l} 10 {r} 50; x_conf 99'>{c}</span>\n"
                    for l, r, c in chars)
    return (f"<p class='ocr_par'><span class='ocr_line' id='line_1' title=\"bbox 0 0 400 60; x_size {x_size}\">"
            f"<span class='ocrx_word' id='word_1' title='bbox {chars[0][0]} 10 {chars[-1][1]} 50; x_wconf 91'>\n"
            f"{spans}</span></span></p>")


def test_wide_gap_beside_punctuation_is_a_space_but_digits_stay_joined():
    # "5xx/s" with 17 px gaps either side of the slash on a 40 px line: the title was "5xx / s"
    rows = parse_hocr(_hocr_word([(20, 42, "5"), (49, 72, "x"), (76, 99, "x"), (116, 132, "/"), (148, 168, "s")]))
    assert rows == [(20, 10, 148, 40, 91.0, "5xx / s")]
    # a narrow "1" beside another digit has wide side bearings: never split
    assert parse_hocr(_hocr_word([(0, 8, "1"), (24, 32, "1"), (36, 40, ":"), (44, 60, "0")]))[0][5] == "11:0"
    # tight punctuation stays tight, and escaped characters are decoded
    assert parse_hocr(_hocr_word([(0, 20, "a"), (22, 30, "&amp;"), (32, 50, "b")]))[0][5] == "a&b"


@pytest.mark.parametrize("title,size", [("5xx / s", 12), ("Requests / s by status", 15)])
def test_tesseract_reads_spaced_slash_title_as_written(title, size):
    # at these sizes Tesseract alone returns "5xx/s" and "Requests /s by status"
    img = Image.new("L", (420, 60), 24)
    draw = ImageDraw.Draw(img)
    draw.text((10, 18), title, fill=225, font=_font(size))
    x0, y0, x1, y1 = draw.textbbox((10, 18), title, font=_font(size))
    text, _ = TesseractOcr().read_lines(np.asarray(img), [Box(x0 - 2, y0 - 2, x1 + 2, y1 + 2)], dark=True)[0]
    assert text == title
