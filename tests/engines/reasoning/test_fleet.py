"""Fleet outlier: in a fleet of per-pod metric files with pre-fault noise everywhere, the service whose
metrics change most in the incident window (against its own history and its peers) is named."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from analysis.engines.logs import analyze_log
from analysis.engines.metrics import analyze_metrics, load_metrics
from analysis.engines.reasoning import EvidenceBundle, reason
from analysis.engines.reasoning.fleet import fleet_outlier, fleet_scores, incident_window
from analysis.models import IncidentInput

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=timezone.utc)
FAULT_MIN = 10
SERVICES = [f"shop-{n}-service" for n in ("cart", "order", "user", "ship", "price", "stock", "mail", "auth", "search",
                                            "review")]
CULPRIT = "shop-price-service"
HERRING = "shop-order-service"  # its memory jumps before the incident and stays high: louder, but old


def _pod_csv(svc: str, rng: np.random.Generator) -> bytes:
    rows = ["Time,TimeStamp,PodName,CpuUsageRate(%),PodServerLatencyP90(s),PodClientLatencyP90(s),MemoryUsageRate(%)"]
    noisy = rng.integers(1, FAULT_MIN - 2)  # every pod has one pre-fault blip somewhere
    for i in range(15):
        t = T0 + timedelta(minutes=i)
        cpu = 2.0 + rng.normal(0, 0.2)
        srv = 0.02 + rng.normal(0, 0.001)
        cli = 0.01 + rng.normal(0, 0.0005)
        if i == noisy:
            cpu, cli = cpu * 4, cli * 30
        if i >= FAULT_MIN:
            cli *= 1.5  # a mild common-mode shift in every client
            if svc == CULPRIT:
                cpu, srv = 85.0 + rng.normal(0, 2), 0.3
        mem = 40.0 + rng.normal(0, 0.3)
        if svc == HERRING and i >= 4:
            mem = 93.0 + rng.normal(0, 0.3)
        go = t.strftime("%Y-%m-%d %H:%M:%S.123456789 +0000 UTC m=+") + f"{60.5 * i:.3f}"
        rows.append(f"{go},{int(t.timestamp())},{svc}-7d9f8c6b5d-x2x7q,{cpu:.3f},{srv:.5f},{cli:.5f},{mem:.2f}")
    return ("\n".join(rows) + "\n").encode()


def _bundle() -> EvidenceBundle:
    rng = np.random.default_rng(7)
    metrics = [analyze_metrics(load_metrics(_pod_csv(s, rng), f"{s}_metric.csv"), artifact_id=f"m{i}",
                               name=f"{s}_metric.csv") for i, s in enumerate(SERVICES)]
    start = T0 + timedelta(minutes=FAULT_MIN)
    lines = [f"{(start + timedelta(seconds=5 * k)).strftime('%Y-%m-%dT%H:%M:%S')}Z INFO shop-cart-service "
             f"handled request id={k}" for k in range(30)]
    logs = [analyze_log(lines, artifact_id="l0", name="window.log")]
    inc = IncidentInput(title="Shop slow", description="checkout slow", services=[])
    return EvidenceBundle(incident=inc, logs=logs, metrics=metrics)


def test_fleet_scores_single_out_the_service_that_departs_from_its_past() -> None:
    b = _bundle()
    window = incident_window(list(b.logs), None)
    assert window is not None and window[0] == T0 + timedelta(minutes=FAULT_MIN)
    ranked = fleet_scores(list(b.metrics), window)
    assert len(ranked) == len(SERVICES)
    assert fleet_outlier(ranked) == CULPRIT


def test_small_estates_are_not_a_fleet() -> None:
    b = _bundle()
    assert fleet_scores(list(b.metrics)[:4], incident_window(list(b.logs), None)) == []


def test_reason_names_the_fleet_outlier_first() -> None:
    res = reason(_bundle())
    top = res.hypotheses[0]
    assert top.service == CULPRIT and top.category.value == "cpu_saturation"
    assert top.onset is not None and abs((top.onset - (T0 + timedelta(minutes=FAULT_MIN))).total_seconds()) <= 120
    assert any(r.startswith("fleet rank 1 of") for r in top.reasoning)
    assert all(ev.source != "metric" for ev in res.timeline)
