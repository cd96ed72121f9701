"""Calibration of the reasoning engine's confidence: Brier score and reliability table.

Incidents: the golden incidents written for the reasoning tests (tests/engines/reasoning/fixtures/
incidents, one per taxonomy category) in four evidence variants each - full, logs only, metrics
only, and without the log file that carries the most cause evidence - so that the engine sees both
easy and thin cases. Every hypothesis is a prediction "this category on this culprit is the root
cause" with probability = its confidence; the outcome is 1 when category and culprit are right.

Baselines in the same run: a constant predictor at the observed base rate, and the rank-only
predictor (0.9 for the top hypothesis, 0.05 for the rest).

Usage: python bench/calibration_bench.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.engines.logs import analyze_log  # noqa: E402
from analysis.engines.metrics import analyze_metrics, load_metrics  # noqa: E402
from analysis.engines.reasoning import EvidenceBundle, reason  # noqa: E402
from analysis.models import IncidentInput  # noqa: E402

INCIDENTS = ROOT / "tests" / "engines" / "reasoning" / "fixtures" / "incidents"
BINS = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)]


def _load(folder: Path):
    inc = IncidentInput.model_validate(json.loads((folder / "incident.json").read_text()))
    logs = [analyze_log(p.read_text().splitlines(), artifact_id=f"log-{i}", name=p.name)
            for i, p in enumerate(sorted((folder / "logs").glob("*")))]
    metrics = [analyze_metrics(load_metrics(p.read_bytes(), p.name), artifact_id=f"met-{i}", name=p.name)
               for i, p in enumerate(sorted((folder / "metrics").glob("*.csv")))]
    return inc, logs, metrics


def variants(inc, logs, metrics):
    yield "full", EvidenceBundle(incident=inc, logs=logs, metrics=metrics)
    if metrics:
        yield "logs-only", EvidenceBundle(incident=inc, logs=logs)
    if logs:
        yield "metrics-only", EvidenceBundle(incident=inc, metrics=metrics)
    if len(logs) > 1:
        # drop the log with the most error templates (usually the one that names the cause)
        worst = max(range(len(logs)), key=lambda i: sum(t.count for t in logs[i].templates if t.is_error))
        yield "minus-main-log", EvidenceBundle(incident=inc, logs=[x for i, x in enumerate(logs) if i != worst], metrics=metrics)


def main() -> int:
    if not INCIDENTS.exists():
        print("skip: golden incidents not found")
        return 0
    preds: list[tuple[float, int, bool]] = []  # (confidence, outcome, is_top)
    rows = []
    for folder in sorted(p for p in INCIDENTS.iterdir() if (p / "expect.json").exists()):
        exp = json.loads((folder / "expect.json").read_text())
        inc, logs, metrics = _load(folder)
        for name, bundle in variants(inc, logs, metrics):
            res = reason(bundle)
            for i, h in enumerate(res.hypotheses):
                ok = int(h.category.value == exp["category"] and (h.service or "").lower() in exp["culprit"])
                preds.append((h.confidence, ok, i == 0))
            top = res.hypotheses[0]
            rows.append((folder.name, name, top.category.value, top.service, top.confidence,
                         top.category.value == exp["category"] and (top.service or "").lower() in exp["culprit"], res.inconclusive))
    n = len(preds)
    base = sum(y for _, y, _ in preds) / n
    brier = sum((p - y) ** 2 for p, y, _ in preds) / n
    brier_base = sum((base - y) ** 2 for _, y, _ in preds) / n
    brier_rank = sum(((0.9 if top else 0.05) - y) ** 2 for _, y, top in preds) / n
    tops = [(p, y) for p, y, t in preds if t]
    brier_top = sum((p - y) ** 2 for p, y in tops) / len(tops)
    print(f"{len(rows)} incident variants, {n} hypotheses, base rate {base:.3f}")
    print(f"Brier (all hypotheses): engine {brier:.4f} | constant base rate {brier_base:.4f} | rank-only 0.9/0.05 {brier_rank:.4f}")
    print(f"Brier (top hypothesis only): {brier_top:.4f}; top right {sum(y for _, y in tops)}/{len(tops)}")
    print("\n| confidence bin | n | mean confidence | observed right |\n|---|---|---|---|")
    for lo, hi in BINS:
        sel = [(p, y) for p, y, _ in preds if lo <= p < hi]
        if sel:
            print(f"| {lo:.1f}-{min(hi, 1.0):.1f} | {len(sel)} | {sum(p for p, _ in sel) / len(sel):.2f} | "
                  f"{sum(y for _, y in sel) / len(sel):.2f} |")
    inc_ok = [r for r in rows if r[6]]
    print(f"\ninconclusive runs: {len(inc_ok)} (top right in {sum(1 for r in inc_ok if r[5])} of them); "
          f"conclusive runs: {len(rows) - len(inc_ok)} (top right in {sum(1 for r in rows if not r[6] and r[5])})")
    for r in rows:
        if not r[5]:
            print(f"  miss: {r[0]} [{r[1]}] -> {r[2]} / {r[3]} conf {r[4]:.2f}{' (inconclusive)' if r[6] else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
