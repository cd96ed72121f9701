"""Time the offline ``analyze`` pipeline on every folder of ../shared/scenarios (skips when absent).

Writes bench/results/analyze_timing.md and prints the table. Run: python bench/analyze_timing.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCENARIOS = REPO.parent / "shared" / "scenarios"


def main() -> int:
    if not SCENARIOS.is_dir():
        print(f"skip: {SCENARIOS} not found")
        return 0
    from analysis.settings import Settings
    from analysis.workflow import analyze_paths

    settings = Settings()
    rows = []
    for folder in sorted(p for p in SCENARIOS.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.is_file() and p.name != "truth.json"]
        size = sum(p.stat().st_size for p in files)
        t0 = time.perf_counter()
        report, _outcome, _ = analyze_paths([folder], settings)
        wall = time.perf_counter() - t0
        truth = json.loads((folder / "truth.json").read_text())
        top = report.top
        rows.append((folder.name, len(files), size / 2**20, wall, report.timings,
                     top.category.value if top else "-", truth["category"]))
    lines = ["## Offline `analyze` timing on ../shared/scenarios", "",
             f"Machine: {len(__import__('os').sched_getaffinity(0))} cores. One run each, wall clock incl. parsing.", "",
             "| scenario | files | MB | seconds | log | metrics | vision | supervisor | top category | truth |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, n, mb, wall, t, top, truth in rows:
        lines.append(f"| {name} | {n} | {mb:.1f} | {wall:.2f} | {t.get('log', 0):.2f} | {t.get('metrics', 0):.2f} | "
                     f"{t.get('vision', 0):.2f} | {t.get('supervisor', 0):.2f} | {top} | {truth} |")
    walls = [r[3] for r in rows]
    lines += ["", f"Median {statistics.median(walls):.2f} s, max {max(walls):.2f} s.", ""]
    text = "\n".join(lines)
    (REPO / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (REPO / "bench" / "results" / "analyze_timing.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
