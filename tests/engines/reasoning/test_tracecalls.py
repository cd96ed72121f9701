"""The culprit rule over the logs' trace graph: slow calls into a callee, calls to a callee dropped,
deepest abnormal callee (synthetic CSV exports; fault at T0 + 120 s, no truth in the code under test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analysis.engines.logs import analyze_log
from analysis.engines.reasoning import EvidenceBundle, reason
from analysis.engines.reasoning.tracecalls import _Span, dropped_calls, trace_signals
from analysis.models import IncidentInput

T0 = datetime(2024, 7, 19, 8, 0, 0, tzinfo=UTC)
FAULT_S = 120
POD = {"web": "web-6f6cfc45b-h5m2n", "orders": "orders-5b67c48447-mv5hb", "auth": "auth-7f8d7d756d-k7b9j",
       "stock": "stock-b6c59fb57-zv8dt", "pricing": "pricing-76846864d9-x2x9z"}


def _row(t: datetime, svc: str, tid: str, span: str, msg: str) -> str:
    return f'{t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},{POD[svc]},server,{tid},{span},"{msg}"'


def export(fault: str | None, n: int = 80) -> list[str]:
    """web -> orders -> auth, stock, pricing, one request every 3 s for 4 minutes.

    ``slow``: calls into auth take 900 ms longer each way after the fault. ``drop``: stock throws before it
    logs anything, so orders skips pricing and web logs an error.
    """
    rows = ["Timestamp,PodName,Container,TraceID,SpanID,Log"]
    for i in range(n):
        t0 = T0 + timedelta(seconds=3 * i)
        after = 3 * i >= FAULT_S
        tid = f"{i + 1:032x}"
        sp = {s: f"{(i + 1) * 8 + k:016x}" for k, s in enumerate(POD)}
        delay = 900 if (fault == "slow" and after) else 0
        steps = [("web", f"INFO WebController#21 checkout request {i}", 0),
                 ("orders", f"INFO OrderController#40 place order {1000 + i}", 3),
                 ("auth", f"INFO AuthController#12 token ok for user {i % 7}", 4 + delay),
                 ("orders", "INFO OrderService#52 user verified", 2 + delay)]
        if not (fault == "drop" and after):
            steps += [("stock", f"INFO StockController#30 reserve {i % 5} items", 4),
                      ("orders", "INFO OrderService#60 stock reserved", 3),
                      ("pricing", f"INFO PriceController#18 price for {i % 3}", 4),
                      ("orders", "INFO OrderService#71 priced", 3),
                      ("web", "INFO WebController#30 checkout done", 2)]
        else:
            steps += [("orders", "WARN OrderService#66 reservation failed", 6),
                      ("web", "ERROR WebController#35 checkout failed: 500 from orders", 2)]
        t = t0
        for svc, msg, dt_ms in steps:
            t += timedelta(milliseconds=dt_ms)
            rows.append(_row(t, svc, tid, sp[svc], msg))
    return rows


def _reason(lines: list[str]):
    la = analyze_log(lines, artifact_id="log-0", name="traces_log.csv")
    inc = IncidentInput(title="checkout incident", description="checkout degraded", services=[])
    return reason(EvidenceBundle(incident=inc, logs=[la])), la


def test_slow_calls_blame_the_callee() -> None:
    res, la = _reason(export("slow"))
    sigs = trace_signals([la])
    assert sigs and sigs[0].kind == "slow_calls" and sigs[0].callee == "auth"
    assert sigs[0].before < 20 and sigs[0].after > 1500
    assert abs((sigs[0].at - (T0 + timedelta(seconds=FAULT_S))).total_seconds()) < 5
    assert not any(s.callee in ("orders", "web") for s in sigs)  # callers only wait on auth
    top = res.hypotheses[0]
    assert top.service == "auth" and top.category.value == "network_dns"
    assert any(e.caller == "orders" and e.callee == "auth" for e in res.service_graph)


def test_dropped_calls_blame_the_first_missing_callee() -> None:
    res, la = _reason(export("drop"))
    drops = [s for s in trace_signals([la]) if s.kind == "dropped_calls"]
    assert drops and drops[0].callee == "stock"  # pricing is skipped because stock failed first
    assert drops[0].callers == ["orders"] and drops[0].errors_after > drops[0].errors_before
    assert "pricing" not in {s.callee for s in drops}
    assert res.hypotheses[0].service == "stock"


def test_steady_traffic_gives_no_signal() -> None:
    assert trace_signals([analyze_log(export(None), artifact_id="l", name="traces_log.csv")]) == []


def _span(i: int, svc: str, op: str, callees: list[str]) -> _Span:
    return _Span(trace=f"{svc}{i}", service=svc, op=op, t=float(i), tail=False, errors=0, callees=callees,
                 offsets=[1.0] * len(callees), in_ms=[1.0] * len(callees), ret_ms=[1.0] * len(callees), art=("a", "f"))


def test_deepest_abnormal_callee_wins() -> None:
    """web's calls to orders stop, and so do orders' calls to stock: the failure is further down, at stock."""
    spans = []
    for i in range(60):
        spans.append(_span(i, "web", "w1", ["orders"] if i < 30 else []))
        spans.append(_span(i, "orders", "o1", ["stock"] if i < 30 else []))
    sigs = dropped_calls(spans)
    assert next(s.callee for s in sorted(sigs, key=lambda s: -s.strength)) == "stock"
    web = next(s for s in sigs if s.callee == "orders")
    assert "yields to deeper stock" in web.note


def test_branch_callee_share_moving_is_not_a_drop() -> None:
    """A callee reached on half the requests that becomes rarer is the request mix, not a failure."""
    spans = [_span(i, "seat", "s1", ["orders"] if (i % 2 == 0 if i < 40 else i % 8 == 0) else ["orders-other"])
             for i in range(80)]
    assert dropped_calls(spans) == []
