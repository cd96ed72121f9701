"""Benchmark of the root-cause reasoning on ../shared/scenarios and Nezha TrainTicket dev cases.

Scenarios (scoring from ../shared/scenarios/README.md): top-1 and top-3 category accuracy (category
or a secondary category), culprit of the top hypothesis (exact name or alias, case-insensitive),
median onset error in minutes (a missing onset counts as a miss). Nezha: the case's log and metric
folders go through the same engines; the culprit service must rank first (>= 4/5) / top 3 (5/5).

Usage: python bench/scenarios_bench.py [--only pub-01,...] [--no-nezha] [--no-vision] [--verbose]
Skips cleanly when ../shared is absent. Writes nothing; bench/results/reasoning.md is written by hand
from its output (see --markdown).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

from analysis.engines.reasoning import EvidenceBundle, reason  # noqa: E402
from analysis.models import IncidentInput  # noqa: E402


# ------------------------------------------------------------------------------------------
# engine adapters (real engines when present, throwaway stand-ins otherwise)
# ------------------------------------------------------------------------------------------
def _log_engine():
    from analysis.engines.logs import analyze_log

    return lambda text, name, aid: analyze_log(text.splitlines(), artifact_id=aid, name=name), "real"


def _metric_engine():
    try:
        from analysis.engines.metrics import analyze_metrics, load_metrics  # type: ignore

        def run(data: bytes, name: str, aid: str):
            return analyze_metrics(load_metrics(data, name), artifact_id=aid, name=name)

        return run, "real"
    except Exception:  # noqa: BLE001
        return None, "absent"


def _vision_engine():
    try:
        from analysis.engines import vision  # type: ignore

        import io

        from PIL import Image

        fn = vision.read_screenshot

        def run(data: bytes, name: str, aid: str):
            return fn(Image.open(io.BytesIO(data)), artifact_id=aid, name=name)

        return run, "real"
    except Exception:  # noqa: BLE001
        return None, "absent"


def build_bundle(folder: Path, use_vision: bool = True) -> tuple[EvidenceBundle, dict[str, float]]:
    """Run the analysis engines over one scenario folder (as the analyst would upload it)."""
    timings: dict[str, float] = {}
    inc = IncidentInput.model_validate(json.loads((folder / "incident.json").read_text()))
    log_fn, _ = _log_engine()
    met_fn, _ = _metric_engine()
    vis_fn, _ = _vision_engine() if use_vision else (None, "off")
    logs, metrics, shots = [], [], []
    t = time.perf_counter()
    for i, p in enumerate(sorted((folder / "logs").glob("*")) if (folder / "logs").exists() else []):
        logs.append(log_fn(p.read_text(errors="replace"), p.name, f"log-{i}"))
    timings["logs"] = time.perf_counter() - t
    t = time.perf_counter()
    if met_fn:
        for i, p in enumerate(sorted((folder / "metrics").glob("*")) if (folder / "metrics").exists() else []):
            try:
                metrics.append(met_fn(p.read_bytes(), p.name, f"met-{i}"))
            except Exception as exc:  # noqa: BLE001
                print(f"  metrics engine failed on {p.name}: {exc}", file=sys.stderr)
    timings["metrics"] = time.perf_counter() - t
    t = time.perf_counter()
    if vis_fn:
        for i, p in enumerate(sorted((folder / "screenshots").glob("*.png")) if (folder / "screenshots").exists() else []):
            try:
                shots.append(vis_fn(p.read_bytes(), p.name, f"img-{i}"))
            except Exception as exc:  # noqa: BLE001
                print(f"  vision engine failed on {p.name}: {exc}", file=sys.stderr)
    timings["vision"] = time.perf_counter() - t
    return EvidenceBundle(incident=inc, logs=logs, metrics=metrics, screenshots=shots), timings


def naive_baseline(bundle: EvidenceBundle) -> tuple[str | None, str | None, datetime | None]:
    """The 'grep' baseline: keyword vote over error lines, loudest service, first error."""
    from collections import Counter

    from analysis.engines.reasoning.catalogue import match_text
    from analysis.engines.reasoning.entities import resolve
    from analysis.engines.reasoning.observe import emitter_of

    votes: Counter[str] = Counter()
    loud: Counter[str] = Counter()
    first: datetime | None = None
    for la in bundle.logs:
        for t in la.templates:
            if not t.is_error:
                continue
            svc = resolve(emitter_of(t.services, la.name, t.sample), bundle.incident.services)
            loud[svc] += t.count
            if t.first_seen and (first is None or t.first_seen < first):
                first = t.first_seen
            for fam in match_text(t.template, t.sample):
                if fam.weights:
                    cat = max(fam.weights.items(), key=lambda kv: kv[1])[0]
                    votes[cat] += t.count
    cat = votes.most_common(1)[0][0] if votes else None
    svc = loud.most_common(1)[0][0] if loud else None
    return cat, svc, first


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(timezone.utc)


def score_scenarios(only: set[str] | None, use_vision: bool, verbose: bool) -> dict | None:
    base = SHARED / "scenarios"
    if not base.exists():
        print("skip: ../shared/scenarios not found")
        return None
    rows = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and (p / "truth.json").exists()):
        if only and folder.name not in only:
            continue
        truth = json.loads((folder / "truth.json").read_text())
        bundle, timings = build_bundle(folder, use_vision)
        t = time.perf_counter()
        res = reason(bundle)
        timings["reason"] = time.perf_counter() - t
        ok_cats = {truth["category"], *truth.get("secondary_categories", [])}
        cats = [h.category.value for h in res.hypotheses]
        top = res.hypotheses[0] if res.hypotheses else None
        names = {truth["culprit_service"].lower(), *[a.lower() for a in truth.get("culprit_aliases", [])]}
        culprit_ok = bool(top and top.service and top.service.lower() in names)
        err = None
        if top and top.onset:
            err = abs((top.onset - _parse(truth["onset"])).total_seconds()) / 60
        b_cat, b_svc, b_on = naive_baseline(bundle)
        b_err = abs((b_on - _parse(truth["onset"])).total_seconds()) / 60 if b_on else None
        row = dict(base_cat=b_cat in ok_cats, base_culprit=bool(b_svc and b_svc.lower() in names), base_err=b_err,
                   id=folder.name, truth=truth["category"], got=cats[:3], top1=bool(cats and cats[0] in ok_cats),
                   top3=bool(ok_cats & set(cats[:3])), culprit=top.service if top else None, culprit_truth=truth["culprit_service"],
                   culprit_ok=culprit_ok, onset_err_min=err, conf=top.confidence if top else None, timings=timings,
                   inconclusive=res.inconclusive)
        rows.append(row)
        mark = lambda b: "OK " if b else "XX "  # noqa: E731
        print(f"{folder.name}: {mark(row['top1'])}cat {cats[:3]} (truth {truth['category']}) | {mark(culprit_ok)}culprit "
              f"{row['culprit']} (truth {truth['culprit_service']}) | onset err "
              f"{'-' if err is None else f'{err:.1f}'} min | conf {row['conf']} | "
              + " ".join(f"{k}={v:.2f}s" for k, v in timings.items()))
        if verbose and top:
            for h in res.hypotheses:
                print(f"    {h.category.value:22s} {h.confidence:.2f} {h.service} {h.onset}")
                for line in h.reasoning[:3]:
                    print(f"        {line}")
    n = len(rows)
    if not n:
        return None
    errs = [r["onset_err_min"] if r["onset_err_min"] is not None else float("inf") for r in rows]
    summary = dict(n=n, top1=sum(r["top1"] for r in rows), top3=sum(r["top3"] for r in rows),
                   culprit=sum(r["culprit_ok"] for r in rows), median_onset_err=statistics.median(errs), rows=rows)
    b_errs = [r["base_err"] if r["base_err"] is not None else float("inf") for r in rows]
    print(f"BASELINE (keyword vote over error lines, loudest service, first error): top-1 {sum(r['base_cat'] for r in rows)}/{n}, "
          f"culprit {sum(r['base_culprit'] for r in rows)}/{n}, median onset error {statistics.median(b_errs):.2f} min")
    print(f"\nSCENARIOS n={n}: top-1 {summary['top1']}/{n} (bar 9), top-3 {summary['top3']}/{n} (bar 10), "
          f"culprit {summary['culprit']}/{n} (bar 9), median onset error {summary['median_onset_err']:.2f} min (bar 2)")
    return summary


# ------------------------------------------------------------------------------------------
# Nezha TrainTicket
# ------------------------------------------------------------------------------------------
def nezha_bundle(case: Path) -> EvidenceBundle:
    """The analyst passes the case's log and metric folders (gzipped CSVs) through the engines."""
    log_fn, _ = _log_engine()
    met_fn, _ = _metric_engine()
    logs, metrics = [], []
    for i, p in enumerate(sorted((case / "log").glob("*.csv.gz"))):
        logs.append(log_fn(gzip.decompress(p.read_bytes()).decode("utf-8", errors="replace"), p.name[:-3], f"log-{i}"))
    if met_fn:
        for i, p in enumerate(sorted((case / "metric").glob("*.csv.gz"))):
            try:
                metrics.append(met_fn(gzip.decompress(p.read_bytes()), p.name[:-3], f"met-{i}"))
            except Exception as exc:  # noqa: BLE001
                print(f"  metrics engine failed on {p.name}: {exc}", file=sys.stderr)
    inc = IncidentInput(title="TrainTicket incident", description="Fault in the TrainTicket system", services=[])
    return EvidenceBundle(incident=inc, logs=logs, metrics=metrics)


def score_nezha(verbose: bool) -> dict | None:
    base = SHARED / "data" / "nezha_trainticket_rca_dev"
    if not base.exists():
        print("skip: ../shared/data/nezha_trainticket_rca_dev not found")
        return None
    truths = [json.loads(line) for line in (base / "ground_truth.jsonl").read_text().splitlines() if line.strip()]
    rows = []
    for tr in truths:
        case = base / "cases" / tr["case_id"]
        t = time.perf_counter()
        res = reason(nezha_bundle(case))
        secs = time.perf_counter() - t
        ranked: list[str] = []
        for h in res.hypotheses:
            if h.service and h.service not in ranked:
                ranked.append(h.service)
        for svc, _t in res.first_movers.items():
            if svc not in ranked:
                ranked.append(svc)
        want = tr["root_cause_service"].lower()
        rank = next((i + 1 for i, s in enumerate(ranked) if s.lower() == want or want.startswith(s.lower())), None)
        rows.append(dict(id=tr["case_id"], truth=tr["root_cause_service"], ranked=ranked[:5], rank=rank, secs=secs))
        print(f"{tr['case_id']}: rank {rank} truth {tr['root_cause_service']} got {ranked[:3]} ({secs:.1f}s)")
    n = len(rows)
    s = dict(n=n, first=sum(1 for r in rows if r["rank"] == 1), top3=sum(1 for r in rows if r["rank"] and r["rank"] <= 3), rows=rows)
    print(f"\nNEZHA n={n}: first {s['first']}/{n} (bar 4), top-3 {s['top3']}/{n} (bar 5)")
    return s


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--no-nezha", action="store_true")
    ap.add_argument("--no-scenarios", action="store_true")
    ap.add_argument("--no-vision", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    print(f"engines: logs={_log_engine()[1]} metrics={_metric_engine()[1]} vision={_vision_engine()[1]}")
    if not a.no_scenarios:
        score_scenarios(set(a.only.split(",")) if a.only else None, not a.no_vision, a.verbose)
    if not a.no_nezha:
        score_nezha(a.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
