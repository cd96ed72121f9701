"""Vision engine benchmark: titles, incident panel, direction, onset, healthy dashboards, speed, OCR choice.

Reads the screenshots in ../shared/scenarios/*/screenshots (skips cleanly when absent). The panel
titles and which panels show the incident were labelled by looking at each image (below);
the onset comes from each scenario's truth.json. Healthy dashboards (flat, noisy, daily-seasonal)
are rendered here with Pillow (and matplotlib when installed). Writes bench/results/vision.md.

    python bench/vision_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, datetime
from difflib import SequenceMatcher
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "engines" / "vision"))

from PIL import Image  # noqa: E402

from analysis.engines.vision import read_screenshot  # noqa: E402
from analysis.engines.vision.ocr import RapidOcr, TesseractOcr  # noqa: E402

#: file -> (true titles in reading order, {incident panel title: direction})
LABELS: dict[str, tuple[list[str], dict[str, str]]] = {
    "pub-01/grafana_checkout_overview.png": (
        ["Requests / min", "5xx rate", "p99 latency (ms)", "Pods ready"], {"5xx rate": "up"}),
    "pub-02/cloudwatch_rds_orders-db.png": (
        ["CPUUtilization (Percent)", "DatabaseConnections (Count)", "ReadIOPS (Count/Second)", "ReadLatency (Seconds)"],
        {"CPUUtilization (Percent)": "up", "DatabaseConnections (Count)": "up"}),
    "pub-03/grafana_jvm_micrometer.png": (
        ["Heap used", "GC pause time (s/s)", "Container restarts", "p99 latency"],
        {"Container restarts": "up", "p99 latency": "up"}),
    "pub-05/cloudwatch_payments.png": (
        ["AuthorizationApproved (Count)", "AuthorizationFailed (Count)", "AcquirerLatencyP99 (Milliseconds)"],
        {"AuthorizationFailed (Count)": "up", "AuthorizationApproved (Count)": "down"}),
    "pub-06/grafana_edge_search.png": (
        ["Requests / s by status", "search-api p99 latency", "search-api CPU %", "search-api replicas"],
        {"Requests / s by status": "up", "search-api p99 latency": "up"}),
    "pub-07/grafana_redis_catalog_cache.png": (
        ["Memory used vs max", "Hit ratio", "Commands/s by result", "product-catalog p99", "catalog-db CPU",
         "catalog-db queries/s"],
        {"Hit ratio": "down", "Commands/s by result": "up", "product-catalog p99": "up"}),
    "pub-08/grafana_egress.png": (
        ["Upstream p99 by cluster", "Upstream error ratio", "checkout quote p99",
         "Circuit breaker state (0 closed / 1 open / 2 half-open)"],
        {"Upstream p99 by cluster": "up", "Upstream error ratio": "up"}),
    "pub-10/grafana_haproxy_be_cart.png": (
        ["Active servers", "5xx / s", "Response time p99"], {"5xx / s": "up", "Active servers": "down"}),
    "pub-10/grafana_nodes.png": (
        ["CPU utilisation by node", "Nodes Ready"], {"Nodes Ready": "down"}),
}


def char_acc(read: str, truth: str) -> float:
    """1 - normalised edit distance (character accuracy)."""
    a, b = read.strip(), truth.strip()
    if not b:
        return 1.0 if not a else 0.0
    prev = list(range(len(a) + 1))
    for j, cb in enumerate(b, 1):
        cur = [j] + [0] * len(a)
        for i, ca in enumerate(a, 1):
            cur[i] = min(prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + (ca != cb))
        prev = cur
    return max(0.0, 1.0 - prev[-1] / len(b))


def _match_panel(panels, title):  # type: ignore[no-untyped-def]
    return max(panels, key=lambda p: SequenceMatcher(None, p.title.lower(), title.lower()).ratio(), default=None)


class CachingOcr:
    """Memoises an OCR engine's answers per (image, boxes) so detector variants reuse one OCR pass."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name = inner.name
        self.cache: dict = {}

    def read_lines(self, lum, boxes, dark):  # type: ignore[no-untyped-def]
        key = (lum.shape, float(lum[::37, ::41].sum()), tuple(boxes))
        if key not in self.cache:
            self.cache[key] = self.inner.read_lines(lum, boxes, dark)
        return self.cache[key]


def _cpu() -> float:
    import resource
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def _jpeg(img: Image.Image, quality: int = 70) -> Image.Image:
    import io
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def bench_shared(ocr, detector: str = "auto", jpeg: bool = False):  # type: ignore[no-untyped-def]
    rows = []
    for rel, (titles, incident) in LABELS.items():
        scen, fname = rel.split("/")
        path = SHARED / "scenarios" / scen / "screenshots" / fname
        if not path.exists():
            continue
        truth = json.loads((SHARED / "scenarios" / scen / "truth.json").read_text())
        onset = datetime.fromisoformat(truth["onset"].replace("Z", "+00:00"))
        img = Image.open(path).convert("RGB")
        if jpeg:
            img = _jpeg(img)
        t0, c0 = time.perf_counter(), _cpu()
        r = read_screenshot(img, artifact_id=scen, name=fname, reference_date=date.fromisoformat(truth["onset"][:10]),
                            ocr=ocr, detector=detector)
        secs, cpu = time.perf_counter() - t0, _cpu() - c0
        read_titles = [p.title for p in r.panels]
        accs = []
        for i, t in enumerate(titles):
            got = read_titles[i] if i < len(read_titles) and len(read_titles) == len(titles) else (
                _match_panel(r.panels, t).title if r.panels else "")
            accs.append(char_acc(got, t))
        flagged = direction_ok = 0
        errs = []
        for t, d in incident.items():
            p = _match_panel(r.panels, t)
            if p is None:
                continue
            if p.alerting or p.anomalies:
                flagged += 1
            if any(a.direction == d for a in p.anomalies):
                direction_ok += 1
            errs += [abs((a.start - onset).total_seconds()) / 60 for a in p.anomalies if a.start and a.direction == d]
        rows.append(dict(file=rel, panels=len(r.panels), n_titles=len(titles), titles_ok=sum(a >= 0.9 for a in accs),
                         char_acc=sum(accs) / len(accs), incident_panels=len(incident), flagged=flagged,
                         direction_ok=direction_ok, onset_err_min=min(errs) if errs else None,
                         visible=r.incident_visible, seconds=secs, cpu=cpu, titles=read_titles))
    return rows


def healthy_images():  # type: ignore[no-untyped-def]
    from vision_render import PanelSpec, render_dashboard, series
    start = datetime(2024, 3, 12, 0, 0)
    out = []
    for theme in ("dark", "light"):
        for kind, mins in (("flat", 240), ("noisy", 180), ("seasonal", 1440)):
            specs = []
            for k in range(4):
                seed = 100 + k + (0 if theme == "dark" else 50)
                if kind == "flat":
                    s = [series("flat", base=3 + k)] if k % 2 == 0 else [series("noisy", seed=seed, base=300, noise=1.0)]
                elif kind == "noisy":
                    s = [series("noisy", seed=seed, base=200 + 50 * k, noise=10 + 5 * k),
                         series("noisy", seed=seed + 7, base=100, noise=8)]
                else:
                    s = [series("seasonal", seed=seed, base=500, amp=150 + 50 * k, noise=6 + 4 * k)]
                specs.append(PanelSpec(f"{kind} panel {k + 1}", s, unit=["ms", "%", "req/s", ""][k]))
            out.append((f"pil-{theme}-{kind}", render_dashboard(specs, theme=theme, start=start, minutes=mins)))
    try:
        out += matplotlib_images()
    except ImportError:
        pass
    return out


def synthetic_incidents():  # type: ignore[no-untyped-def]
    """Rendered dashboards with one known incident panel each: (name, image, title, direction, onset)."""
    import numpy as np
    from vision_render import PanelSpec, render_dashboard, series
    rng = np.random.default_rng(42)
    kinds = [("step_up", "up"), ("step_down", "down"), ("ramp_up", "up"), ("ramp_down", "down"), ("step_up", "up"),
             ("ramp_up", "up")]
    titles = ["Checkout errors / s", "Orders placed per min", "DB CPU %", "Cache hit ratio", "p95 latency",
              "Queue depth"]
    out = []
    for i, (kind, direction) in enumerate(kinds):
        theme = "dark" if i % 2 == 0 else "light"
        minutes = [180, 240, 360][i % 3]
        n = minutes
        at = int(rng.integers(int(n * 0.35), int(n * 0.75)))
        base = float(rng.choice([20.0, 150.0, 900.0]))
        size = base * float(rng.choice([0.8, 1.5, 3.0])) if direction == "up" else base * 0.7
        inc = series(kind, n=n, seed=i, base=base, noise=base * 0.03, size=size, at=at, ramp_len=n * 0.15)
        others = [series("noisy", n=n, seed=100 + i, base=60, noise=4), series("seasonal", n=n, seed=200 + i, base=300, amp=60),
                  series("flat", n=n, base=4)]
        pos = i % 4
        specs = []
        oi = 0
        for k in range(4):
            if k == pos:
                specs.append(PanelSpec(titles[i], [inc], unit=["%", "ms", "", "req/s"][i % 4], alert=(i % 3 == 0)))
            else:
                specs.append(PanelSpec(f"Other panel {oi + 1}", [others[oi]], unit="ms"))
                oi += 1
        start = datetime(2024, 6, 1, 8, 0)
        onset = start + __import__("datetime").timedelta(minutes=at)
        out.append((f"synthetic-{i + 1}-{theme}-{kind}", render_dashboard(specs, theme=theme, start=start, minutes=minutes),
                    titles[i], direction, onset))
    return out


def matplotlib_images():  # type: ignore[no-untyped-def]
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    out = []
    rng = np.random.default_rng(7)
    for style, name in (("dark_background", "mpl-dark"), ("default", "mpl-light")):
        with plt.style.context(style):
            fig, axes = plt.subplots(2, 2, figsize=(16, 9), dpi=100)
            t = pd.date_range("2024-03-12 00:00", periods=1440, freq="min")
            n = t.size
            ys = [np.full(n, 42.0) + rng.normal(0, 0.3, n),
                  120 + rng.normal(0, 15, n),
                  800 + 400 * np.sin(2 * np.pi * np.arange(n) / n - 1) + rng.normal(0, 20, n),
                  50 + 10 * np.sin(2 * np.pi * np.arange(n) / n * 2) + rng.normal(0, 3, n)]
            titles = ["Queue depth", "Requests per second", "Daily traffic (req/s)", "CPU %"]
            for ax, y, title in zip(axes.ravel(), ys, titles):
                ax.plot(t, y, linewidth=1.2)
                ax.set_title(title, loc="left", fontsize=12)
                ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
                ax.grid(alpha=0.3)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            plt.close(fig)
            out.append((name, Image.open(io.BytesIO(buf.getvalue())).convert("RGB")))
    return out


def naive_tesseract_titles() -> tuple[float, float, float]:
    """Baseline: one full-page tesseract --psm 11 pass; best fuzzy line per true title."""
    import pytesseract
    accs, secs, n = [], 0.0, 0
    for rel, (titles, _) in LABELS.items():
        scen, fname = rel.split("/")
        path = SHARED / "scenarios" / scen / "screenshots" / fname
        if not path.exists():
            continue
        img = Image.open(path).convert("L")
        t0 = time.perf_counter()
        text = pytesseract.image_to_string(img, config="--psm 11")
        secs += time.perf_counter() - t0
        n += 1
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        for t in titles:
            accs.append(max((char_acc(ln, t) for ln in lines), default=0.0))
    return (sum(a >= 0.9 for a in accs) / max(1, len(accs)), sum(accs) / max(1, len(accs)), secs / max(1, n))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true",
                    help="tesseract only (no OCR comparison); prints the figures without writing bench/results/vision.md")
    args = ap.parse_args()
    if not (SHARED / "scenarios").exists():
        print("../shared/scenarios not found: skipping the vision benchmark")
        return 0
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    lines = ["# Vision engine benchmark", "",
             f"Run {datetime.now().strftime('%Y-%m-%d %H:%M')} UTC on {os.cpu_count()} cores (shared with other jobs); "
             "`python bench/vision_bench.py`.", ""]
    tess = CachingOcr(TesseractOcr())
    results = {"tesseract (line mosaic, default)": bench_shared(tess)}
    if not args.quick:
        try:
            results["rapidocr-onnxruntime (same line boxes)"] = bench_shared(CachingOcr(RapidOcr()))
        except Exception as exc:  # noqa: BLE001
            lines.append(f"rapidocr not available: {exc}")
    builtin_rows = bench_shared(tess, detector="builtin")
    ungated_rows = bench_shared(tess, detector="ungated")
    jpeg_rows = bench_shared(TesseractOcr(), jpeg=True)
    engines = [(k, None) for k in results]
    main_rows = results[engines[0][0]]
    lines += ["## Shared screenshots (../shared/scenarios, 1600x900)", "",
              "| screenshot | panels | titles >=90% chars | mean char acc | incident panels flagged | direction right | onset error (min) | incident_visible | wall s | CPU s |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in main_rows:
        oe = "—" if r["onset_err_min"] is None else f"{r['onset_err_min']:.1f}"
        lines.append(f"| {r['file']} | {r['panels']} | {r['titles_ok']}/{r['n_titles']} | {r['char_acc']:.3f} | "
                     f"{r['flagged']}/{r['incident_panels']} | {r['direction_ok']}/{r['incident_panels']} | {oe} | "
                     f"{r['visible']} | {r['seconds']:.2f} | {r['cpu']:.2f} |")
    tot_t = sum(r["n_titles"] for r in main_rows)
    ok_t = sum(r["titles_ok"] for r in main_rows)
    onset_ok = sum(1 for r in main_rows if r["onset_err_min"] is not None and r["onset_err_min"] <= 5)
    lines += ["", f"- Titles read (>= 90 % characters): **{ok_t}/{tot_t}**; screenshots with the incident panel flagged: "
              f"**{sum(r['flagged'] > 0 for r in main_rows)}/{len(main_rows)}**; direction right on a flagged incident panel: "
              f"**{sum(r['direction_ok'] > 0 for r in main_rows)}/{len(main_rows)}**; anomaly start within 5 min of truth onset: "
              f"**{onset_ok}/{len(main_rows)}**; wall seconds per screenshot max **{max(r['seconds'] for r in main_rows):.2f}**, "
              f"CPU seconds (this process + tesseract children) max **{max(r['cpu'] for r in main_rows):.2f}**, "
              f"mean **{sum(r['cpu'] for r in main_rows) / len(main_rows):.2f}** (the first OCR pass; load average "
              f"during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores).", ""]
    def summary(rows):  # type: ignore[no-untyped-def]
        return (sum(r["flagged"] > 0 for r in rows), sum(r["direction_ok"] > 0 for r in rows),
                sum(1 for r in rows if r["onset_err_min"] is not None and r["onset_err_min"] <= 5), len(rows))
    jf = summary(jpeg_rows)
    lines += ["## Robustness: the same screenshots re-saved as JPEG (quality 70)", "",
              f"- Panels found as in the PNG: **{sum(j['panels'] == r['panels'] for j, r in zip(jpeg_rows, main_rows))}/{len(main_rows)}**; "
              f"titles read: **{sum(r['titles_ok'] for r in jpeg_rows)}/{sum(r['n_titles'] for r in jpeg_rows)}**; "
              f"incident panel flagged **{jf[0]}/{jf[3]}**, direction right **{jf[1]}/{jf[3]}**, onset within 5 min **{jf[2]}/{jf[3]}**.", ""]
    lines += ["## Synthetic incident dashboards (rendered here, known panel, direction and onset)", "",
              "| dashboard | incident panel title read | flagged | direction right | onset error (min) | other panels flagged |",
              "|---|---|---|---|---|---|"]
    syn_ok = 0
    syn = synthetic_incidents()
    for name, img, title, direction, onset in syn:
        r = read_screenshot(img, artifact_id=name, name=name, reference_date=date(2024, 6, 1), ocr=tess)
        p = _match_panel(r.panels, title)
        errs = [abs((a.start - onset.replace(tzinfo=a.start.tzinfo)).total_seconds()) / 60 for a in p.anomalies
                if a.start and a.direction == direction]
        err = min(errs) if errs else None
        others = sum(1 for q in r.panels if q is not p and q.anomalies)
        ok = err is not None and err <= 5
        syn_ok += ok
        lines.append(f"| {name} | {char_acc(p.title, title):.2f} | {bool(p.anomalies or p.alerting)} | "
                     f"{any(a.direction == direction for a in p.anomalies)} | {'—' if err is None else f'{err:.1f}'} | {others} |")
    lines += ["", f"- Synthetic incidents with the right direction and onset within 5 min: **{syn_ok}/{len(syn)}**.", ""]
    lines += ["## Detector: metric engine's detect_series (default) vs the built-in step/spike baseline", "",
              "| detector | incident panel flagged | direction right | onset within 5 min | healthy wrongly flagged |",
              "|---|---|---|---|---|"]
    det_rows = {"metrics.detect_series + visual gates": main_rows, "built-in step/spike + visual gates": builtin_rows,
                "baseline: metrics.detect_series, no visual gates": ungated_rows}
    himgs = healthy_images()
    healthy = {}
    for det_label, det in (("metrics.detect_series + visual gates", "auto"), ("built-in step/spike + visual gates", "builtin"),
                           ("baseline: metrics.detect_series, no visual gates", "ungated")):
        healthy[det_label] = []
        for name, img in himgs:
            t0 = time.perf_counter()
            r = read_screenshot(img, artifact_id=name, name=name, reference_date=date(2024, 3, 12), ocr=tess, detector=det)
            healthy[det_label].append((name, r.incident_visible, sum(len(p.anomalies) for p in r.panels),
                                       time.perf_counter() - t0))
    for det_label, rows in det_rows.items():
        f, d, o, n = summary(rows)
        hv = sum(v for _, v, _, _ in healthy[det_label])
        lines.append(f"| {det_label} | {f}/{n} | {d}/{n} | {o}/{n} | {hv}/{len(himgs)} |")
    lines += ["", "## Healthy dashboards (rendered here; must be incident_visible: false; default detector)", "",
              "| dashboard | incident_visible | anomalies | wall s |", "|---|---|---|---|"]
    first = healthy["metrics.detect_series + visual gates"]
    for name, vis, na, secs in first:
        lines.append(f"| {name} | {vis} | {na} | {secs:.2f} |")
    lines += ["", f"- Healthy dashboards wrongly flagged: **{sum(v for _, v, _, _ in first)}/{len(first)}**.", ""]
    # OCR comparison
    lines += ["## OCR engines (titles on the shared screenshots, whole read_screenshot time)", "",
              "| engine | titles >=90% | mean char acc | mean CPU s / screenshot (whole read) |", "|---|---|---|---|"]
    for label, rows in results.items():
        n = sum(r["n_titles"] for r in rows)
        lines.append(f"| {label} | {sum(r['titles_ok'] for r in rows)}/{n} | "
                     f"{sum(r['char_acc'] * r['n_titles'] for r in rows) / n:.3f} | "
                     f"{sum(r['cpu'] for r in rows) / len(rows):.2f} |")
    b_ok, b_acc, b_s = naive_tesseract_titles()
    lines.append(f"| baseline: tesseract full page --psm 11 (OCR only, best line per title) | {b_ok:.0%} | {b_acc:.3f} | {b_s:.2f} |")
    lines.append("")
    out = REPO / "bench" / "results" / "vision.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = REPO / "bench" / "results" / "vision_notes.md"
    text = "\n".join(lines) + "\n"
    if extra.exists():
        text += "\n" + extra.read_text()
    if args.quick:  # a partial run never replaces the recorded figures
        print(text)
        return 0
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
