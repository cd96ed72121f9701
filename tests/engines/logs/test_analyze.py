"""analyze_log on a small incident log: templates, findings with evidence, access metrics."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from analysis.engines.logs import LogAnalysis, analyze_log

FIX = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def read(name: str) -> list[str]:
    return (FIX / name).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def incident() -> LogAnalysis:
    return analyze_log(read("checkout-incident.log"), artifact_id="a1", name="checkout-incident.log", now=NOW)


def test_summary_counts(incident: LogAnalysis) -> None:
    assert incident.format == "spring-boot"
    assert incident.line_count == 518
    assert incident.timestamped_lines == 518
    assert incident.record_count == 248
    assert incident.start == datetime(2024, 3, 12, 10, 0, 3, 578000, tzinfo=timezone.utc) or incident.start.minute == 0
    assert [t.template for t in incident.templates] == [
        "Order <*> created for cart <*>: <*> items in <*> ms",
        "Payment authorization failed for order <*>",
        "Abandoned cart sweep finished: <*> carts marked",
    ]
    err = incident.templates[1]
    assert err.is_error and err.level == "ERROR" and err.count == 45
    assert err.first_seen.minute == 25
    assert sum(err.per_minute.values()) == 45 and min(err.per_minute) == "2024-03-12T10:25Z"
    assert err.lines[0] == err.first_line and len(err.sample) <= 500


def test_findings_have_evidence_and_are_ordered(incident: LogAnalysis) -> None:
    kinds = {f.kind for f in incident.findings}
    assert {"error_cluster", "first_error", "new_template", "rate_change", "top_entities"} <= kinds
    for f in incident.findings:
        assert f.agent == "log" and 0.0 <= f.score <= 1.0
        ev = f.evidence[0]
        assert ev.kind == "log_lines" and ev.artifact_id == "a1" and ev.artifact_name == "checkout-incident.log"
        assert 1 <= ev.line_start <= ev.line_end <= 518 and ev.excerpt
    cluster = next(f for f in incident.findings if f.kind == "error_cluster")
    assert "ResourceAccessException" in cluster.title and "SocketTimeoutException" in cluster.title
    assert cluster.attributes["count"] == 45
    assert cluster.attributes["template_id"] == incident.templates[1].id
    assert cluster.evidence[0].line_end - cluster.evidence[0].line_start == 6  # the whole stack trace
    drop = next(f for f in incident.findings if f.kind == "rate_change")
    assert drop.attributes["direction"] == "down" and drop.attributes["after_per_min"] < drop.attributes["before_per_min"]
    new = next(f for f in incident.findings if f.kind == "new_template")
    assert new.attributes["template_id"] == incident.templates[1].id
    again = analyze_log(read("checkout-incident.log"), artifact_id="a1", name="checkout-incident.log", now=NOW)
    assert [f.id for f in again.findings] == [f.id for f in incident.findings]


def test_access_log_metrics_and_entities() -> None:
    lines = []
    for m in range(10):
        for k in range(5):
            status = 503 if (m >= 7 and k < 3) else 200
            lat = 0.9 if status == 503 else 0.02 + k / 100
            lines.append(f'10.0.0.{k} - - [12/Mar/2024:11:{m:02d}:{k * 10:02d} +0000] "GET /api/cart/{1000 + k} HTTP/2.0" '
                         f'{status} 120 "-" "curl/8" 200 {lat:.3f} [shop-cart-service-8080] [] 10.244.3.1:8080 120 '
                         f'{lat:.3f} {status} abc')
    a = analyze_log(lines, artifact_id="x", name="ingress.log", now=NOW)
    assert a.format == "nginx-access"
    rows = a.access_per_minute
    assert len(rows) == 10 and rows[0]["requests"] == 5 and rows[0]["status_5xx"] == 0
    assert rows[7]["status_5xx"] == 3 and rows[7]["p99_ms"] > 800
    assert rows[0]["p50_ms"] == pytest.approx(40.0, abs=0.5)
    assert a.services == ["shop-cart-service"]
    assert ("GET /api/cart/<*>", 50) in a.entities["endpoints"]
    assert dict(a.entities["status_codes"]) == {"200": 41, "503": 9}
    assert {t.template for t in a.templates} == {"GET /api/cart/<*> 200", "GET /api/cart/<*> 503"}


def test_hostile_lines_do_not_break_the_engine() -> None:
    lines = ["2024-01-01 00:00:00 ERROR " + "x=1 " * 40_000, "[" * 20_000, '{"a":' * 2_000, "a=" * 20_000,
             "\x00\x01\ufffd\ufffd binary \x7f", ""]
    lines += [f"2024-01-01 00:00:{i:02d} INFO worker {i} done" for i in range(30)]
    a = analyze_log(lines, artifact_id="h", name="hostile.log", now=NOW)
    assert a.line_count == len(lines)
    assert a.templates and any(t.template == "worker <*> done" for t in a.templates)
