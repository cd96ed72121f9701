"""Line recovery: plotted series as per-column pixel rows, plus threshold and annotation lines.

Inside a chart's plot area, saturated pixels are grouped by colour; each colour is one series.
Dashed horizontal lines become thresholds, dashed full-height vertical lines annotations; both
are removed before the series is traced column by column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .components import dilate_cross
from .layout import Box, Pixels, true_runs

#: Pixels at least this saturated (max-min of RGB) can belong to a plotted line.
MIN_CHROMA = 36
#: A colour must be present in this fraction of the plot columns to count as a series.
MIN_COVERAGE = 0.25
COLOR_MERGE = 55.0
COLOR_ASSIGN = 70.0


@dataclass
class Threshold:
    y: int
    color: tuple[int, int, int]


@dataclass
class TracedSeries:
    """One plotted line: ``rows[i]`` is the pixel row at column ``plot.x0 + i`` (NaN = not drawn)."""

    color: tuple[int, int, int]
    rows: np.ndarray
    coverage: float
    annotations: list[int] = field(default_factory=list)


@dataclass
class PlotTrace:
    series: list[TracedSeries]
    thresholds: list[Threshold]
    annotations: list[int]
    red_band: bool


def color_name(c: tuple[int, int, int]) -> str:
    """A coarse colour word for a series (used when no legend is read)."""
    r, g, b = (int(v) for v in c)
    mx, mn = max(r, g, b), min(r, g, b)
    if mx - mn < 30:
        return "grey"
    if r >= g and r >= b:
        return "orange" if g > 0.45 * r and g > b + 30 else ("purple" if b > 0.6 * r else "red")
    if g >= r and g >= b:
        return "yellow" if r > 0.75 * g else ("teal" if b > 0.75 * g else "green")
    return "purple" if r > 0.7 * b else ("light blue" if g > 0.6 * b and mn > 100 else "blue")


def _palette(pixels: np.ndarray, min_count: int) -> list[np.ndarray]:
    """Dominant colours among saturated pixels (quantised histogram, greedy merge)."""
    if pixels.size == 0:
        return []
    q = (pixels // 24).astype(np.int32)
    keys = q[:, 0] * 4096 + q[:, 1] * 64 + q[:, 2]
    uniq, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    centers: list[np.ndarray] = []
    weights: list[int] = []
    for k in order:
        if counts[k] < max(8, min_count // 6):
            break
        mean = pixels[inv == k].mean(axis=0)
        for i, c in enumerate(centers):
            if np.linalg.norm(c - mean) < COLOR_MERGE:
                weights[i] += int(counts[k])
                break
        else:
            centers.append(mean)
            weights.append(int(counts[k]))
    return [c for c, w in zip(centers, weights) if w >= min_count]


def _regular_dashes(runs: list[tuple[int, int]]) -> bool:
    """Do these runs look like a drawn dash pattern (similar dash lengths and gaps)?"""
    if len(runs) < 8:
        return False
    lens = np.array([e - s for s, e in runs], dtype=float)
    gaps = np.array([runs[i + 1][0] - runs[i][1] for i in range(len(runs) - 1)], dtype=float)
    core_l = lens[1:-1] if lens.size > 4 else lens
    if np.median(core_l) > 20 or np.median(gaps) > 20:
        return False
    return bool(np.std(core_l) <= 0.35 * np.mean(core_l) + 1 and np.std(gaps) <= 0.35 * np.mean(gaps) + 1)


def _dashed_rows(mask: np.ndarray, min_frac: float = 0.3) -> list[int]:
    """Rows that hold a dashed horizontal line (regular dashes across much of the width)."""
    w = mask.shape[1]
    rows = []
    counts = mask.sum(axis=1)
    for y in np.flatnonzero(counts >= min_frac * w):
        near = max(counts[y - 3] if y >= 3 else 0, counts[y + 3] if y + 3 < counts.size else 0)
        if near > 0.3 * counts[y]:
            continue  # a dense band of a noisy line, not a thin dashed rule
        if _regular_dashes(true_runs(mask[y])):
            rows.append(int(y))
    return rows


def _dashed_cols(mask: np.ndarray, min_frac: float = 0.45) -> list[int]:
    h = mask.shape[0]
    cols = []
    counts = mask.sum(axis=0)
    for x in np.flatnonzero(counts >= min_frac * h):
        runs = true_runs(mask[:, x])
        if len(runs) >= 5:
            cols.append(int(x))
    return cols


def _trace(mask: np.ndarray) -> np.ndarray:
    """Per column, the row of the line (the extreme away from the previous point on steep segments)."""
    h, w = mask.shape
    rows = np.full(w, np.nan)
    has = mask.any(axis=0)
    top = np.argmax(mask, axis=0)
    bottom = h - 1 - np.argmax(mask[::-1], axis=0)
    # number of separate runs per column (a second line of the same colour, legend bits...)
    starts = mask[0:1, :].astype(np.int8).sum(axis=0) + (np.diff(mask.astype(np.int8), axis=0) == 1).sum(axis=0)
    prev = np.nan
    for x in np.flatnonzero(has).tolist():
        lo, hi = float(top[x]), float(bottom[x])
        if starts[x] > 1 and prev == prev:
            runs = true_runs(mask[:, x])
            best = min(runs, key=lambda r: min(abs(r[0] - prev), abs(r[1] - 1 - prev)))
            lo, hi = float(best[0]), float(best[1] - 1)
        if hi - lo <= 3 or prev != prev:
            val = (lo + hi) / 2
        else:
            val = lo if abs(lo - prev) > abs(hi - prev) else hi
        rows[x] = val
        prev = val
    return rows


def trace_plot(px: Pixels, plot: Box, bg_level: float, exclude: list[Box]) -> PlotTrace:
    """Find the series, thresholds and annotation lines inside ``plot``."""
    rgb = px.rgb[plot.y0:plot.y1, plot.x0:plot.x1]
    ch = px.chroma[plot.y0:plot.y1, plot.x0:plot.x1]
    lum = px.lum[plot.y0:plot.y1, plot.x0:plot.x1]
    h, w = ch.shape
    cand = (ch >= MIN_CHROMA) & (np.abs(lum - bg_level) >= 25)
    for b in exclude:  # text boxes inside the plot (threshold labels, legends)
        x0, x1 = max(0, b.x0 - plot.x0 - 1), min(w, b.x1 - plot.x0 + 1)
        y0, y1 = max(0, b.y0 - plot.y0 - 1), min(h, b.y1 - plot.y0 + 1)
        if x1 > x0 and y1 > y0:
            cand[y0:y1, x0:x1] = False
    red_band = _red_band(rgb, cand)
    pix = rgb[cand].astype(np.float32)
    centers = _palette(pix, min_count=int(max(10, 0.25 * w)))
    series: list[TracedSeries] = []
    thresholds: list[Threshold] = []
    annotations: set[int] = set()
    if not centers:
        return PlotTrace([], [], [], red_band)
    cents = np.stack(centers)
    flat_idx = np.flatnonzero(cand.ravel())
    d = np.linalg.norm(pix[:, None, :] - cents[None, :, :], axis=2)
    nearest = np.argmin(d, axis=1)
    ok = d[np.arange(d.shape[0]), nearest] <= COLOR_ASSIGN
    masks: list[np.ndarray] = []
    for k in range(len(centers)):
        m = np.zeros(h * w, dtype=bool)
        m[flat_idx[(nearest == k) & ok]] = True
        masks.append(m.reshape(h, w))
    bg_rgb = np.median(rgb[~cand][::7].reshape(-1, 3), axis=0) if (~cand).any() else np.array([bg_level] * 3)
    masks, centers = _merge_fringes(masks, centers, bg_rgb)
    for m, c in zip(masks, centers):
        color = tuple(int(v) for v in np.round(c))
        for y in _dashed_rows(m):
            thresholds.append(Threshold(y=y + plot.y0, color=color))  # type: ignore[arg-type]
            m[max(0, y - 1):y + 2, :] = False
        cols = _dashed_cols(m)
        for x in cols:
            annotations.add(x + plot.x0)
            m[:, max(0, x - 1):x + 2] = False
        covered = m.any(axis=0)
        coverage = float(covered.mean())
        if coverage < MIN_COVERAGE:
            continue
        rows = _trace(m)
        series.append(TracedSeries(color=color, rows=rows + plot.y0, coverage=coverage))  # type: ignore[arg-type]
    series = _merge_duplicates(series)
    # merge thresholds found at the same height in several colours
    uniq: dict[int, Threshold] = {}
    for t in thresholds:
        uniq.setdefault(t.y // 3, t)
    return PlotTrace(series=series, thresholds=sorted(uniq.values(), key=lambda t: t.y),
                     annotations=sorted(annotations), red_band=red_band)


def _merge_fringes(masks: list[np.ndarray], centers: list[np.ndarray],
                   bg: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Fold anti-aliasing fringes into their line: a colour that is a blend of a bigger cluster's
    colour with the background, and whose pixels hug that cluster's pixels, is the same line."""
    order = sorted(range(len(masks)), key=lambda i: -int(masks[i].sum()))
    merged_into: dict[int, int] = {}
    for pos, j in enumerate(order):
        cj = centers[j] - bg
        for i in order[:pos]:
            if i in merged_into:
                continue
            ci = centers[i] - bg
            denom = float(ci @ ci)
            if denom <= 1:
                continue
            alpha = float(cj @ ci) / denom
            resid = float(np.linalg.norm(cj - alpha * ci))
            blend = 0.1 <= alpha <= 1.05 and resid <= 35
            close = float(np.linalg.norm(centers[j] - centers[i])) <= 110
            if not (blend or close):
                continue
            near = dilate_cross(masks[i], iterations=2)
            cnt = int(masks[j].sum())
            if cnt and float((masks[j] & near).sum()) / cnt >= (0.6 if blend else 0.85):
                merged_into[j] = i
                break
    out_m, out_c = [], []
    for i in range(len(masks)):
        if i in merged_into:
            continue
        m = masks[i].copy()
        for j, t in merged_into.items():
            root = t
            while root in merged_into:
                root = merged_into[root]
            if root == i:
                m |= masks[j]
        out_m.append(m)
        out_c.append(centers[i])
    return out_m, out_c


def _merge_duplicates(series: list[TracedSeries]) -> list[TracedSeries]:
    """Colour clusters that trace the same line (anti-aliasing shades) become one series."""
    series = sorted(series, key=lambda s: -s.coverage)
    kept: list[TracedSeries] = []
    for s in series:
        for k in kept:
            both = np.isfinite(s.rows) & np.isfinite(k.rows)
            if both.sum() >= 0.5 * min(np.isfinite(s.rows).sum(), np.isfinite(k.rows).sum()) and \
                    float(np.median(np.abs(s.rows[both] - k.rows[both]))) <= 2.0 and \
                    float(np.linalg.norm(np.subtract(s.color, k.color))) <= 140:
                fill = ~np.isfinite(k.rows) & np.isfinite(s.rows)
                k.rows[fill] = s.rows[fill]
                k.coverage = float(np.isfinite(k.rows).mean())
                break
        else:
            kept.append(s)
    return kept


def _red_band(rgb: np.ndarray, lines: np.ndarray) -> bool:
    """Is a large part of the plot background tinted red (an alert/threshold region)?"""
    a = rgb.astype(np.int16)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    tint = (r - g >= 8) & (r - b >= 5) & ~lines & ((r - g) < 60)
    return bool(tint.mean() >= 0.2)
