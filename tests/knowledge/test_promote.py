"""Promote a reviewed incident report to the knowledge base; similar incidents for a report."""

from __future__ import annotations

from datetime import datetime, timezone

from analysis.knowledge import draft_from_report, incident_query, similar_incidents
from analysis.models import (Category, Finding, Hypothesis, Incident, IncidentReport, IncidentStatus,
                             RemediationStep, Review)

T0 = datetime(2024, 9, 1, 12, 0, tzinfo=timezone.utc)


def _incident(status=IncidentStatus.resolved) -> Incident:
    return Incident(id="I-42", title="Checkout returning 502s", description="Checkout pods restart in a loop "
                    "after the release; customers see 502 errors.", services=["checkout"], status=status,
                    created_at=T0, updated_at=datetime(2024, 9, 1, 15, 0, tzinfo=timezone.utc))


def _report() -> IncidentReport:
    findings = [
        Finding(id="f1", agent="log", kind="error_cluster", title="OOMKilled containers in checkout", severity="high",
                service="checkout", start=datetime(2024, 9, 1, 11, 58, tzinfo=timezone.utc),
                signals=["oom_kill", "restart_loop"], score=0.9),
        Finding(id="f2", agent="metrics", kind="metric_anomaly", title="memory climbs to the limit",
                severity="medium", signals=["memory_growth"], score=0.7),
    ]
    hyps = [
        Hypothesis(id="h1", category=Category.deployment_regression, service="checkout", statement="Release 4.2 broke "
                   "serialization", confidence=0.5),
        Hypothesis(id="h2", category=Category.memory_exhaustion, service="checkout",
                   onset=datetime(2024, 9, 1, 11, 55, tzinfo=timezone.utc),
                   statement="Unbounded cache in checkout exhausts memory", confidence=0.8,
                   remediation=[RemediationStep(text="Roll back checkout"), RemediationStep(text="Bound the cache")]),
    ]
    return IncidentReport(incident_id="I-42", run_id="R-1", created_at=T0, hypotheses=hyps, findings=findings)


def test_draft_uses_the_accepted_hypothesis_and_report_details():
    reviews = [Review(id="r1", incident_id="I-42", hypothesis_id="h2", verdict="accepted", created_at=T0)]
    draft = draft_from_report(_incident(), _report(), reviews)
    assert draft.id == "inc-I-42" and draft.source == "promoted"
    assert draft.category == "memory_exhaustion"
    assert draft.root_cause == "Unbounded cache in checkout exhausts memory"
    assert draft.runbook == ["Roll back checkout", "Bound the cache"]
    assert draft.tags == ["oom_kill", "restart_loop", "memory_growth"]
    assert draft.started_at == datetime(2024, 9, 1, 11, 55, tzinfo=timezone.utc)
    assert draft.resolved_at == datetime(2024, 9, 1, 15, 0, tzinfo=timezone.utc)
    assert draft.metadata == {"incident_id": "I-42", "run_id": "R-1", "severity": "SEV3", "confidence": 0.8}


def test_draft_without_review_takes_the_top_hypothesis_and_open_incident_has_no_end():
    draft = draft_from_report(_incident(IncidentStatus.investigating), _report())
    assert draft.category == "deployment_regression" and draft.resolved_at is None


def test_similar_incidents_finds_past_match_and_skips_its_own_promoted_entry(kb):
    incident, report = _incident(), _report()
    query = incident_query(incident, report=report)
    assert "OOMKilled containers in checkout" in query and "Release 4.2 broke serialization" in query
    kb.upsert([draft_from_report(incident, report)])
    similar = similar_incidents(kb, incident, report=report, k=2)
    assert [s.entry_id for s in similar][0] == "pm-oom"
    assert "inc-I-42" not in [s.entry_id for s in similar]
    assert similar[0].resolution == "Rolled back to 4.1 and bounded the cache size." and similar[0].reason


def test_promoted_id_is_the_incident_id_without_doubling():
    from analysis.knowledge.promote import promoted_id

    assert promoted_id("inc-88895d93fa") == "inc-88895d93fa"
    assert promoted_id("42") == "inc-42"
