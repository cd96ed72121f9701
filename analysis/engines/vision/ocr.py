"""Text recognition of the text-line boxes found by :mod:`layout`: OCR engines behind one protocol.

The default :class:`TesseractOcr` pastes every (inverted, upscaled) line crop into a mosaic
image and makes one ``tesseract`` call per mosaic (two mosaics read in parallel), then maps each recognised word back to its line by
position: one process start per screenshot instead of one per line. :class:`RapidOcr` (optional,
``rapidocr-onnxruntime``) is kept for the benchmark comparison.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, Sequence

import numpy as np
from PIL import Image

from analysis.errors import AnalysisError

from .layout import Box

#: Upscale factor for line crops whose height is below ``SMALL_LINE_PX`` (small UI fonts).
SCALE_SMALL = 3
SCALE_LARGE = 2
SMALL_LINE_PX = 18
_GAP = 16
_PAD = 3


class OcrEngine(Protocol):
    """Reads the text of many small line crops of one screenshot."""

    name: str

    def read_lines(self, lum: np.ndarray, boxes: Sequence[Box], dark: bool) -> list[tuple[str, float]]:
        """Text and confidence (0..100) for each box, in the order given."""
        ...


def line_crop(lum: np.ndarray, b: Box, dark: bool, scale: int | None = None) -> Image.Image:
    """Black-on-white, upscaled grey crop of one text line (with a little padding)."""
    h, w = lum.shape
    y0, y1 = max(0, b.y0 - _PAD), min(h, b.y1 + _PAD)
    x0, x1 = max(0, b.x0 - _PAD), min(w, b.x1 + _PAD)
    sub = lum[y0:y1, x0:x1].astype(np.float32)
    if float(np.median(sub)) < 128:  # light text on a dark background (dark theme, badges)
        sub = 255.0 - sub
    # stretch contrast so faint tick labels become black on white
    lo, hi = float(sub.min()), float(np.percentile(sub, 90))
    if hi - lo > 10:
        sub = np.clip((sub - lo) * 255.0 / (hi - lo), 0, 255)
    img = Image.fromarray(sub.astype(np.uint8))
    s = scale or (SCALE_SMALL if b.h < SMALL_LINE_PX else SCALE_LARGE)
    return img.resize((img.width * s, img.height * s), Image.Resampling.BICUBIC)


class TesseractOcr:
    """Tesseract 5 (Debian ``tesseract-ocr``), run as a subprocess with TSV output: one call per mosaic.

    With ``workers=2`` the line crops are split into two mosaics read by two tesseract processes
    at once (one thread each), which halves the wall time on a two-core machine.
    """

    name = "tesseract"

    def __init__(self, cmd: str | None = None, lang: str = "eng", workers: int = 2) -> None:
        self.cmd = cmd
        self.lang = lang
        self.workers = max(1, workers)

    def _check(self) -> str:
        cmd = self.cmd or "tesseract"
        if shutil.which(cmd) is None and not os.path.isfile(cmd):
            raise AnalysisError(_MISSING)
        return cmd

    def read_lines(self, lum: np.ndarray, boxes: Sequence[Box], dark: bool) -> list[tuple[str, float]]:
        cmd = self._check()
        if not boxes:
            return []
        crops = [line_crop(lum, b, dark) for b in boxes]
        n_groups = self.workers if len(crops) >= 24 else 1
        size = -(-len(crops) // n_groups)
        groups = [crops[i:i + size] for i in range(0, len(crops), size)]
        if len(groups) == 1:
            results = [self._read_mosaic(cmd, groups[0])]
        else:
            with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                results = list(pool.map(lambda g: self._read_mosaic(cmd, g), groups))
        return [item for res in results for item in res]

    def _read_mosaic(self, cmd: str, crops: list[Image.Image]) -> list[tuple[str, float]]:
        # Pack crops into a grid (a few columns, rows of equal height) so that the mosaic stays
        # roughly square and every mosaic text line is one clean row of crops.
        col_w = max(c.width for c in crops) + 40
        total_h = sum(c.height + _GAP for c in crops)
        n_cols = max(1, min(4, int(np.sqrt(total_h / max(col_w, 1)))))
        slots: list[tuple[int, int, int, int]] = []
        y = 20
        for r0 in range(0, len(crops), n_cols):
            row = crops[r0:r0 + n_cols]
            rh = max(c.height for c in row)
            for ci, c in enumerate(row):
                x = 20 + ci * col_w
                yy = y + (rh - c.height) // 2
                slots.append((x, yy, x + c.width, yy + c.height))
            y += rh + _GAP
        mosaic = Image.new("L", (n_cols * col_w + 40, y + 20), 255)
        for c, (x, yy, _, _) in zip(crops, slots):
            mosaic.paste(c, (x, yy))
        try:
            with tempfile.TemporaryDirectory(prefix="srewb-ocr-") as tmp:
                src = os.path.join(tmp, "mosaic.pgm")
                mosaic.save(src)  # uncompressed: PNG-encoding a large mosaic costs more than the OCR
                tsv = self._run(cmd, src, tmp)
        except FileNotFoundError:
            raise AnalysisError(_MISSING) from None
        words: list[list[tuple[int, str, float]]] = [[] for _ in crops]
        for left, top, width, height, conf, word in tsv:
            cx, cy = left + width / 2, top + height / 2
            for k, (x0, y0, x1, y1) in enumerate(slots):
                if x0 - 10 <= cx <= x1 + 10 and y0 - _GAP / 2 <= cy < y1 + _GAP / 2:
                    words[k].append((left, word, conf))
                    break
        out: list[tuple[str, float]] = []
        for ws in words:
            ws.sort()
            text = " ".join(w for _, w, _ in ws)
            conf = float(np.mean([c for _, _, c in ws])) if ws else 0.0
            out.append((text, conf))
        return out

    def _run(self, cmd: str, src: str, tmp: str) -> list[tuple[int, int, int, int, float, str]]:
        """Run tesseract on one image file; returns (left, top, width, height, conf, word) rows."""
        base = os.path.join(tmp, "out")
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        proc = subprocess.run([cmd, src, base, "-l", self.lang, "--psm", "6", "-c", "tessedit_do_invert=0",
                               "-c", "hocr_char_boxes=1", "hocr"],
                              capture_output=True, env=env, timeout=60, check=False)
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise AnalysisError(f"Tesseract OCR failed on the screenshot ({(msg[-1] if msg else 'no output')[:80]}): "
                                "check the tesseract-ocr installation and its English language data.")
        with open(base + ".hocr", encoding="utf-8", errors="replace") as fh:
            return parse_hocr(fh.read())


_WORD = re.compile(r"<span class='ocrx_word'[^>]*title='bbox (\d+) (\d+) (\d+) (\d+); x_wconf (\d+)'>"
                   r"((?:\s*<span class='ocrx_cinfo'[^>]*>[^<]*</span>)+|[^<]*)\s*</span>")
_CHAR = re.compile(r"<span class='ocrx_cinfo' title='x_bboxes (\d+) (\d+) (\d+) (\d+);[^']*'>([^<]*)</span>")
_LINE = re.compile(r"<span class='ocr_(?:line|header|caption|textfloat)'[^>]*x_size ([\d.]+)[^>]*>(.*?)"
                   r"(?=<span class='ocr_(?:line|header|caption|textfloat)'|</p>)", re.S)
#: A gap between two glyphs wider than this share of the line's height is a space Tesseract dropped.
SPACE_GAP = 0.3


def parse_hocr(text: str) -> list[tuple[int, int, int, int, float, str]]:
    """Words of Tesseract's hOCR output (with ``hocr_char_boxes``): (left, top, width, height, conf, word).

    Tesseract drops the spaces around punctuation set in proportional UI fonts ("5xx / s" reads as one word
    "5xx/s"). With the glyph boxes, a space is put back inside a word where a glyph gap is wider than
    ``SPACE_GAP`` of the line height next to a punctuation glyph (letters and digits are left joined: a
    narrow "1" has wide side bearings, and "11:00" must stay one token).
    """
    rows: list[tuple[int, int, int, int, float, str]] = []
    for line in _LINE.finditer(text):
        x_size = float(line.group(1))
        for m in _WORD.finditer(line.group(2)):
            l, t, r, b, conf = (int(g) for g in m.groups()[:5])
            chars = [(int(c.group(1)), int(c.group(3)), html.unescape(c.group(5))) for c in _CHAR.finditer(m.group(6))]
            if chars:
                word = _respace(chars, x_size)
            else:
                word = html.unescape(re.sub(r"<[^>]+>", "", m.group(6))).strip()
            if word.strip():
                rows.append((l, t, r - l, b - t, float(conf), word.strip()))
    return rows


def _respace(chars: list[tuple[int, int, str]], x_size: float) -> str:
    out = [chars[0][2]]
    for (_, prev_right, prev), (left, _, ch) in zip(chars, chars[1:]):
        punct = not (prev[-1:].isalnum() and ch[:1].isalnum())
        if punct and left - prev_right > SPACE_GAP * x_size:
            out.append(" ")
        out.append(ch)
    return "".join(out)


_MISSING = ("The tesseract OCR program is not installed: install the Debian package tesseract-ocr "
            "(apt-get install tesseract-ocr) to read screenshot text.")


class RapidOcr:
    """RapidOCR (ONNX runtime) recognition-only on each line crop; optional, for comparison."""

    name = "rapidocr"

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            raise AnalysisError("rapidocr-onnxruntime is not installed: pip install rapidocr-onnxruntime "
                                "or use the tesseract engine.") from None
        self._engine = RapidOCR()

    def read_lines(self, lum: np.ndarray, boxes: Sequence[Box], dark: bool) -> list[tuple[str, float]]:
        if not boxes:
            return []
        crops = [np.asarray(line_crop(lum, b, dark, scale=2).convert("RGB")) for b in boxes]
        res, _ = self._engine.text_rec(crops)  # one batched recognition call
        return [(str(text), float(score) * 100.0) for text, score in res]
