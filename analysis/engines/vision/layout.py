"""Page geometry of a dashboard screenshot: theme, panel rectangles and text-line boxes.

Panels are found by recursive XY-cuts along uniform pixel rows/columns (the gutters between
panels); text lines by connected components of neutral, high-contrast pixels grouped into lines.
Everything works on numpy arrays of the RGB image; no OCR happens here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .components import component_boxes, mean3

#: A row/column segment is uniform (a gutter) when at most one pixel is further than this from its median.
UNIFORM_TOL = 6
#: Smallest panel, in pixels (width, height).
MIN_PANEL = (140, 80)
MAX_DEPTH = 8
#: Tallest text line kept (big stat-panel numbers are ~60 px).
MAX_GLYPH_PX = 90


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle, x1/y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def as_list(self) -> list[int]:
        return [int(self.x0), int(self.y0), int(self.x1), int(self.y1)]

    def contains(self, other: "Box", slack: int = 0) -> bool:
        return (other.x0 >= self.x0 - slack and other.y0 >= self.y0 - slack
                and other.x1 <= self.x1 + slack and other.y1 <= self.y1 + slack)


@dataclass
class Pixels:
    """Derived per-pixel planes of the image, computed once."""

    rgb: np.ndarray  # (h, w, 3) int16
    lum: np.ndarray  # (h, w) float32, 0..255
    chroma: np.ndarray  # (h, w) int16, max-min of RGB

    @classmethod
    def of(cls, rgb: np.ndarray) -> "Pixels":
        a = rgb.astype(np.int16)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        # channel-wise in place (same float64 arithmetic, a third of the time of whole-array expressions)
        lum = np.multiply(r, 0.299)
        lum += np.multiply(g, 0.587)
        lum += np.multiply(b, 0.114)
        chroma = (np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)).astype(np.int16)
        return cls(rgb=a, lum=lum.astype(np.float32), chroma=chroma)


def theme_of(px: Pixels) -> str:
    """``dark`` or ``light`` from the median luminance."""
    return "dark" if float(np.median(px.lum[::4, ::4])) < 128 else "light"


def dominant_level(lum: np.ndarray) -> float:
    """Most common (rounded) grey level of a region: its background."""
    vals, counts = np.unique(np.round(lum[::2, ::2]).astype(np.int32), return_counts=True)
    return float(vals[int(np.argmax(counts))]) if vals.size else 0.0


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs (end exclusive) of the True runs of a 1-D mask."""
    m = np.concatenate([[0], mask.astype(np.int8), [0]])
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _xycut(planes: tuple[np.ndarray, np.ndarray], box: Box, axis: int, depth: int, tried_other: bool,
           out: list[Box]) -> None:
    g = planes[axis][box.y0:box.y1, box.x0:box.x1]
    if g.size == 0:
        return
    # axis 0: split into horizontal bands (look at rows); axis 1: split into columns.
    # A line is a gutter when (almost) all its pixels sit at its median level. The plane is blurred
    # across the line direction, which damps JPEG noise but keeps the borders that cross the line.
    ax = 1 if axis == 0 else 0
    med = np.median(g, axis=ax, keepdims=True)
    dev = (np.abs(g - med) > UNIFORM_TOL).sum(axis=ax)
    content = true_runs(dev > 1)
    merged: list[tuple[int, int]] = []
    for s, e in content:
        if merged and s - merged[-1][1] < 3:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    if not merged:
        return
    if len(merged) == 1:
        s, e = merged[0]
        inner = Box(box.x0, box.y0 + s, box.x1, box.y0 + e) if axis == 0 else Box(box.x0 + s, box.y0, box.x0 + e, box.y1)
        if tried_other or depth >= MAX_DEPTH:
            out.append(inner)
            return
        _xycut(planes, inner, 1 - axis, depth + 1, True, out)
        return
    for s, e in merged:
        sub = Box(box.x0, box.y0 + s, box.x1, box.y0 + e) if axis == 0 else Box(box.x0 + s, box.y0, box.x0 + e, box.y1)
        if sub.w < 8 or sub.h < 6:
            continue
        if depth >= MAX_DEPTH:
            out.append(sub)
        else:
            _xycut(planes, sub, 1 - axis, depth + 1, False, out)


def find_panels(px: Pixels) -> list[Box]:
    """Panel rectangles, sorted top-to-bottom then left-to-right."""
    h, w = px.lum.shape
    leaves: list[Box] = []
    planes = (mean3(px.lum, axis=0), mean3(px.lum, axis=1))
    _xycut(planes, Box(0, 0, w, h), 0, 0, False, leaves)
    panels = [b for b in leaves if b.w >= MIN_PANEL[0] and b.h >= MIN_PANEL[1]]
    # A single leaf covering (nearly) the whole image means no gutters: treat it as one panel.
    panels.sort(key=lambda b: (round(b.y0 / 20), b.x0))
    return panels


@dataclass(frozen=True)
class TextBox:
    """A line (or word group) of text found by pixel analysis; ``text`` is filled by OCR."""

    box: Box
    text: str = ""
    conf: float = 0.0


def text_mask(px: Pixels, region: Box, bg_level: float) -> np.ndarray:
    """Neutral (grey/white/black) pixels that contrast with the region background."""
    sub = px.lum[region.y0:region.y1, region.x0:region.x1]
    ch = px.chroma[region.y0:region.y1, region.x0:region.x1]
    diff = np.abs(sub - bg_level)
    return (diff >= 45) & (ch <= 28) & (ch <= 0.3 * diff)


#: More glyph-sized components than this in one region is noise (a dithered or photographic image);
#: a dense 1600x900 dashboard has a few thousand.
MAX_GLYPHS = 12_000


def find_text_boxes(px: Pixels, region: Box, margin: int = 3) -> list[Box]:
    """Text-line boxes inside ``region`` (image coordinates), from glyph components grouped into lines."""
    bg = dominant_level(px.lum[region.y0:region.y1, region.x0:region.x1])
    m = text_mask(px, region, bg)
    if margin:
        m[:margin, :] = False
        m[-margin:, :] = False
        m[:, :margin] = False
        m[:, -margin:] = False
    objs = component_boxes(m, diagonal=True)
    if not objs:
        return []
    glyphs = []
    for gx0, gy0, gx1, gy1 in objs:
        gh, gw = gy1 - gy0, gx1 - gx0
        if gh > MAX_GLYPH_PX or (gw > 60 and gh <= 3) or (gh > 24 and gw <= 2) or gw > 4 * max(gh, 12):
            continue  # lines, rules, borders, line segments
        glyphs.append((gx0, gy0, gx1, gy1))
    if not glyphs:
        return []
    if len(glyphs) > MAX_GLYPHS:
        return []  # dithering, photo grain or noise, not text: grouping it would cost minutes for nothing
    g = np.array(glyphs, dtype=np.int32)
    order = np.argsort(g[:, 0], kind="stable")
    g = g[order]
    parent = list(range(len(g)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(g)):
        x0, y0, x1, y1 = g[i]
        hi = max(y1 - y0, 4)
        for j in range(i + 1, len(g)):
            if g[j, 0] > x1 + 11:
                break
            a0, b0, a1, b1 = g[j]
            hj = max(b1 - b0, 4)
            if a0 > x1 + max(7, int(0.7 * max(hi, hj))):
                continue
            # same line: vertical centres close, or small glyph (dot, comma, colon) inside the line band
            ci, cj = (y0 + y1) / 2, (b0 + b1) / 2
            tall = max(hi, hj)
            if abs(ci - cj) <= 0.45 * tall or (min(y1, b1) - max(y0, b0)) >= 0.6 * min(hi, hj):
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(g)):
        groups.setdefault(find(i), []).append(i)
    boxes = []
    for idx in groups.values():
        sub = g[idx]
        b = Box(int(sub[:, 0].min()), int(sub[:, 1].min()), int(sub[:, 2].max()), int(sub[:, 3].max()))
        if b.h < 5 or b.h > MAX_GLYPH_PX or (b.w < 4):
            continue
        if m[b.y0:b.y1, b.x0:b.x1].sum() < 6:
            continue
        boxes.append(Box(b.x0 + region.x0, b.y0 + region.y0, b.x1 + region.x0, b.y1 + region.y0))
    boxes.sort(key=lambda b: (b.y0, b.x0))
    return boxes
