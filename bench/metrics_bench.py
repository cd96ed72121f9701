"""Metric engine benchmarks: scenario change-point onsets, detection speed, large-file loading.

1. Onsets: for every scenario in ../shared/scenarios whose truth.json key_evidence names a metric
   present in its metrics files, the detected onset of that metric must be within 3 minutes of
   the true onset. Reported per scenario and per metric.
2. Speed: 20 series x 10,000 points through ``detect_series`` (bar < 2 s); ``causal_scores`` too.
3. Load: a ~100 MB long-format CSV generated in /tmp loaded with ``load_metrics`` (bar < 10 s,
   peak RSS < 1 GB, measured in a child process).

Usage: python bench/metrics_bench.py [--write] [--skip-load]   (parts needing ../shared skip cleanly)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SCENARIOS = REPO.parent / "shared" / "scenarios"
TOLERANCE_MIN = 3.0
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.:]*(?:\{[^}]*\})?")


def _evidence_matches(fragment: str, series: list[str]) -> list[str]:
    """Series named by an evidence fragment (metric name, optionally with label values)."""
    out: list[str] = []
    for tok in _TOKEN.findall(fragment):
        base, _, body = tok.partition("{")
        looks_metric = "_" in base or "." in base or (re.search(r"[A-Z]", base) and re.search(r"[a-z]", base))
        if len(base) < 2 or (not looks_metric and not body):
            continue
        values = [v.strip().strip('"') for kv in body.rstrip("}").split(",") if "=" in kv
                  for v in [kv.split("=", 1)[1]]]
        for s in series:
            sbase = s.split("{", 1)[0]
            if sbase == base and all(v in s for v in values):
                out.append(s)
    return sorted(set(out))


def bench_onsets() -> tuple[list[str], int, int]:
    from analysis.engines.metrics import analyze_metrics, load_metrics

    lines = ["| scenario | metric (series) | true onset | detected onset | error (min) | within 3 min |",
             "|---|---|---|---|---|---|"]
    hits = total = 0
    for sc in sorted(p for p in SCENARIOS.iterdir() if (p / "truth.json").exists()):
        truth = json.loads((sc / "truth.json").read_text())
        onset = pd.Timestamp(truth["onset"])
        summaries = {}
        for f in sorted((sc / "metrics").glob("*")):
            table = load_metrics(f.read_bytes(), f.name)
            for s in analyze_metrics(table, artifact_id=f.name, name=f.name).series:
                summaries[s.name] = s
        named: list[tuple[str, list[str]]] = []
        for frag in truth.get("key_evidence", []):
            m = _evidence_matches(frag, list(summaries))
            if m:
                named.append((frag, m))
        for frag, series in named:
            # the metric counts as detected when any of its series has its onset near the truth
            best = None
            for s in series:
                o = summaries[s].onset
                if o is not None:
                    err = (pd.Timestamp(o) - onset).total_seconds() / 60
                    if best is None or abs(err) < abs(best[1]):
                        best = (s, err, o)
            total += 1
            ok = best is not None and abs(best[1]) <= TOLERANCE_MIN
            hits += ok
            shown = series[0] if best is None else best[0]
            label = shown if len(shown) <= 70 else shown[:67] + "..."
            det = "none" if best is None else pd.Timestamp(best[2]).strftime("%H:%M:%S")
            err = "—" if best is None else f"{best[1]:+.1f}"
            lines.append(f"| {sc.name} | `{label}` | {onset.strftime('%H:%M:%S')} | {det} | {err} | "
                         f"{'yes' if ok else 'NO'} |")
    return lines, hits, total


def bench_speed() -> list[str]:
    from analysis.engines.metrics import causal_scores, detect_series

    rng = np.random.default_rng(0)
    n, k = 10_000, 20
    ts = pd.date_range("2024-01-01", periods=n, freq="1min").to_numpy()
    series = []
    for i in range(k):
        x = 50 + 10 * np.sin(np.arange(n) * 2 * np.pi / 1440) + rng.standard_normal(n) * (1 + i % 3)
        x[6000 + 50 * i:] += 15
        x[rng.integers(0, n, 5)] += 40
        series.append(x)
    t0, c0 = time.perf_counter(), time.process_time()
    for x in series:
        detect_series(ts, x)
    det, det_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    for x in series:
        causal_scores(ts, x)
    cau, cau_cpu = time.perf_counter() - t0, time.process_time() - c0
    load = os.getloadavg()[0]
    return [f"- `detect_series` on 20 series x 10,000 points: **{det:.2f} s wall, {det_cpu:.2f} s CPU** (bar < 2 s; "
            f"machine load average {load:.1f} on {os.cpu_count()} cores during the run)",
            f"- `causal_scores` on the same 20 x 10,000 points: {cau:.2f} s wall, {cau_cpu:.2f} s CPU"]


_LOAD_CHILD = r"""
import resource, sys, time
sys.path.insert(0, sys.argv[2])
from analysis.engines.metrics import load_metrics
data = open(sys.argv[1], 'rb').read()
t0 = time.perf_counter()
t = load_metrics(data, 'big_long.csv')
dt = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(dt, ru.ru_maxrss / 1024, len(t.frame), t.frame.series.nunique(), t.layout, ru.ru_utime + ru.ru_stime)
"""


def make_big_csv(path: Path, target_mb: int = 100) -> None:
    """Long format: timestamp, metric, service, pod, value (~100 MB)."""
    if path.exists() and path.stat().st_size > target_mb * 1e6 * 0.95:
        return
    rng = np.random.default_rng(1)
    metrics = ["http_requests_per_sec", "http_5xx_per_sec", "latency_p99_ms", "cpu_cores", "memory_bytes"]
    pods = [f"svc{s}-7d9f8b6c5-{p:05d}" for s in range(8) for p in range(5)]
    n_t = 12_000
    times = pd.date_range("2024-06-01", periods=n_t, freq="15s").strftime("%Y-%m-%dT%H:%M:%SZ")
    with path.open("w") as fh:
        fh.write("timestamp,metric,service,pod,value\n")
        written = 0
        chunk = 400
        for start in range(0, n_t, chunk):
            tt = np.repeat(np.asarray(times[start:start + chunk]), len(metrics) * len(pods))
            mm = np.tile(np.repeat(metrics, len(pods)), min(chunk, n_t - start))
            pp = np.tile(pods, len(metrics) * min(chunk, n_t - start))
            ss = np.array([p.split("-")[0] for p in pp])
            vv = np.round(rng.gamma(2.0, 50.0, tt.size), 3)
            df = pd.DataFrame({"timestamp": tt, "metric": mm, "service": ss, "pod": pp, "value": vv})
            text = df.to_csv(index=False, header=False)
            fh.write(text)
            written += len(text)
            if written >= target_mb * 1e6:
                break


def bench_load() -> list[str]:
    path = Path("/tmp/srewb_metrics_big_long.csv")
    make_big_csv(path)
    out = subprocess.run([sys.executable, "-c", _LOAD_CHILD, str(path), str(REPO)], capture_output=True, text=True,
                         check=True).stdout.split()
    secs, rss_mb, rows, nser, layout, cpu = float(out[0]), float(out[1]), int(out[2]), int(out[3]), out[4], float(out[5])
    return [f"- `load_metrics` on a {path.stat().st_size / 1e6:.0f} MB long-format CSV ({rows:,} points, {nser} series, "
            f"layout {layout}): **{secs:.1f} s wall** (bar < 10 s; whole child process {cpu:.1f} s CPU incl. start-up "
            f"and reading the file; load average {os.getloadavg()[0]:.1f}), peak RSS of the loading process **{rss_mb:.0f} MB** "
            f"(bar < 1 GB; includes the file bytes held in memory)"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="update bench/results/metrics.md")
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    sections: list[tuple[str, str]] = []
    if SCENARIOS.exists():
        lines, hits, total = bench_onsets()
        text = (f"## Scenario onsets (bench/metrics_bench.py)\n\nKey-evidence metrics whose detected onset is within "
                f"{TOLERANCE_MIN:.0f} min of the true onset: **{hits}/{total}**.\n\n" + "\n".join(lines) + "\n")
        sections.append(("## Scenario onsets", text))
    else:
        print(f"skip: {SCENARIOS} not found")
    sp = "## Speed and load (bench/metrics_bench.py)\n\n" + "\n".join(bench_speed())
    if not args.skip_load:
        sp += "\n" + "\n".join(bench_load())
    sections.append(("## Speed and load", sp + "\n"))
    for _, text in sections:
        print(text)
    if args.write:
        sys.path.insert(0, str(REPO / "bench"))
        from metrics_nab_score import _write_section

        for heading, text in sections:
            _write_section(text, heading)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
