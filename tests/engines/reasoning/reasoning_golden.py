"""Helpers of the reasoning tests: golden incidents run through the real log and metric engines."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from analysis.engines.logs import analyze_log
from analysis.engines.metrics import analyze_metrics, load_metrics
from analysis.engines.reasoning import EvidenceBundle, SupervisorResult, reason
from analysis.models import IncidentInput

INCIDENTS = Path(__file__).resolve().parent / "fixtures" / "incidents"
IDS = sorted(p.name for p in INCIDENTS.iterdir() if (p / "expect.json").exists())


@lru_cache(maxsize=None)
def bundle_for(inc_id: str) -> EvidenceBundle:
    folder = INCIDENTS / inc_id
    inc = IncidentInput.model_validate(json.loads((folder / "incident.json").read_text()))
    logs = [analyze_log(p.read_text().splitlines(), artifact_id=f"log-{i}", name=p.name)
            for i, p in enumerate(sorted((folder / "logs").glob("*")))]
    metrics = [analyze_metrics(load_metrics(p.read_bytes(), p.name), artifact_id=f"met-{i}", name=p.name)
               for i, p in enumerate(sorted((folder / "metrics").glob("*.csv")))]
    return EvidenceBundle(incident=inc, logs=logs, metrics=metrics)


@lru_cache(maxsize=None)
def result_for(inc_id: str) -> SupervisorResult:
    return reason(bundle_for(inc_id))


def expect_for(inc_id: str) -> dict:
    return json.loads((INCIDENTS / inc_id / "expect.json").read_text())

