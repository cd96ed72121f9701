"""Time and score the offline ``analyze`` pipeline (the product path, as the CLI runs it) on every
folder of ../shared/scenarios; skips when absent.

Scoring follows ../shared/scenarios/README.md: top-1 / top-3 category (category or a secondary
category), culprit of the top hypothesis (name or alias, case-insensitive), onset error in minutes
(a missing onset is a miss). bench/scenarios_bench.py scores the reasoning engine alone, with its
baseline; this script checks that the assembled product gives the same answers.
Writes bench/results/analyze_timing.md. Run: python bench/analyze_timing.py
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
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

    settings = Settings(agent_processes=False)  # the app runs many threads: its agents run in threads, never forked
    folders = sorted(p for p in SCENARIOS.iterdir() if p.is_dir())
    # Warm the process as a running app is warm after its first analysis (modules imported, regexes
    # compiled); the cold cost is measured separately below as the CLI in a fresh process.
    analyze_paths([folders[0]], settings)
    rows = []
    for folder in folders:
        files = [p for p in folder.rglob("*") if p.is_file() and p.name != "truth.json"]
        size = sum(p.stat().st_size for p in files)
        t0 = time.perf_counter()
        report, _outcome, _ = analyze_paths([folder], settings)
        wall = time.perf_counter() - t0
        truth = json.loads((folder / "truth.json").read_text())
        top = report.top
        ok_cats = {truth["category"], *truth.get("secondary_categories", [])}
        names = {n.lower() for n in [truth["culprit_service"], *truth.get("culprit_aliases", [])]}
        onset_err = None
        if top and top.onset:
            t_on = datetime.fromisoformat(truth["onset"].replace("Z", "+00:00"))
            onset_err = abs((top.onset - t_on).total_seconds()) / 60
        rows.append((folder.name, len(files), size / 2**20, wall, report.timings,
                     top.category.value if top else "-", truth["category"],
                     bool(top and top.category.value in ok_cats),
                     any(h.category.value in ok_cats for h in report.hypotheses[:3]),
                     bool(top and (top.service or "").lower() in names), onset_err))
    lines = ["## Offline `analyze` timing on ../shared/scenarios", "",
             f"Machine: {len(os.sched_getaffinity(0))} cores. One run each in a warmed process with the agents in threads, as in the app after its first analysis; wall clock incl. parsing.", "",
             "| scenario | files | MB | seconds | log | metrics | vision | supervisor | top category | truth | culprit ok | onset error (min) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, n, mb, wall, t, top, truth, _c1, _c3, cul, err in rows:
        lines.append(f"| {name} | {n} | {mb:.1f} | {wall:.2f} | {t.get('log', 0):.2f} | {t.get('metrics', 0):.2f} | "
                     f"{t.get('vision', 0):.2f} | {t.get('supervisor', 0):.2f} | {top} | {truth} | "
                     f"{'yes' if cul else 'NO'} | {'-' if err is None else f'{err:.1f}'} |")
    walls = [r[3] for r in rows]
    errs = sorted(r[10] if r[10] is not None else float("inf") for r in rows)
    lines += ["", f"Product path: top-1 category {sum(r[7] for r in rows)}/{len(rows)}, top-3 "
                  f"{sum(r[8] for r in rows)}/{len(rows)}, culprit {sum(r[9] for r in rows)}/{len(rows)}, "
                  f"median onset error {statistics.median(errs):.2f} min.",
              f"Wall time (log, metrics and vision agents in threads, concurrently): median {statistics.median(walls):.2f} s, "
              f"max {max(walls):.2f} s; load average at the end {os.getloadavg()[0]:.1f}.", ""]
    lines += _cli_cold(folders)
    text = "\n".join(lines)
    (REPO / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (REPO / "bench" / "results" / "analyze_timing.md").write_text(text)
    print(text)
    return 0


def _cli_cold(folders: list[Path]) -> list[str]:
    """``python -m analysis analyze <scenario> --json`` in a fresh process per scenario (imports included):
    agents in forked processes (the default), the baseline with agents in threads (``SREWB_AGENT_PROCESSES=false``,
    as before the change) in the same run, and the default again with a knowledge base in the data dir."""
    out = ["### Cold CLI: `python -m analysis analyze <scenario> --json`, one fresh process each", "",
           "Columns: agents in forked processes (default); baseline, agents in threads (`SREWB_AGENT_PROCESSES=false`); "
           "default with a knowledge base of the 240 shared postmortems in the data directory (searched for "
           "similar incidents). CPU = this process and all its children (agents, tesseract).", "",
           "| scenario | processes wall s | CPU s | threads (baseline) wall s | CPU s | processes + KB wall s |",
           "|---|---|---|---|---|---|"]
    cols: dict[str, list[float]] = {"proc": [], "thr": [], "kb": []}
    with tempfile.TemporaryDirectory(prefix="srewb-bench-") as tmp:
        plain, with_kb = Path(tmp) / "plain", Path(tmp) / "kb"
        postmortems = REPO.parent / "shared" / "data" / "postmortems" / "postmortems.jsonl"
        kb_env = dict(os.environ, SREWB_DATA_DIR=str(with_kb), PYTHONPATH=str(REPO))
        if postmortems.exists():
            subprocess.run([sys.executable, "-m", "analysis", "kb", "import", str(postmortems)], env=kb_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

        def run(folder: Path, **extra: str) -> tuple[float, float]:
            env = {**os.environ, "SREWB_DATA_DIR": str(plain), "PYTHONPATH": str(REPO), **extra}
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "analysis", "analyze", str(folder), "--json"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

        for folder in folders:
            pw, pc = run(folder)
            tw, tc = run(folder, SREWB_AGENT_PROCESSES="false")
            kw = run(folder, SREWB_DATA_DIR=str(with_kb))[0] if postmortems.exists() else float("nan")
            cols["proc"].append(pw)
            cols["thr"].append(tw)
            cols["kb"].append(kw)
            out.append(f"| {folder.name} | {pw:.2f} | {pc:.2f} | {tw:.2f} | {tc:.2f} | {kw:.2f} |")

    def summary(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.2f} s, max {max(xs):.2f} s, {sum(w < 3 for w in xs)}/{len(xs)} under 3 s"

    out += ["", f"Cold CLI wall, agents in processes: {summary(cols['proc'])}; baseline in threads: "
                f"{summary(cols['thr'])}; processes with a knowledge base: {summary(cols['kb'])}. "
                f"Load average at the end {os.getloadavg()[0]:.1f}.", ""]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
