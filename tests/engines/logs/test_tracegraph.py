"""Per-service activity and the trace-derived call graph of the log engine (synthetic fixtures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from analysis.engines.logs import analyze_log
from analysis.engines.logs.tracegraph import csv_layout

T0 = datetime(2024, 7, 19, 8, 0, 0, tzinfo=UTC)
PODS = {"gateway": "gateway-6f6cfc45b-h5m2n", "orders": "orders-5b67c48447-mv5hb", "stock": "stock-b6c59fb57-zv8dt"}


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def csv_lines(n: int = 6) -> list[str]:
    """gateway -> orders -> stock per request; orders logs again after stock returns; request 3 errors."""
    rows = ["Timestamp,PodName,Container,TraceID,SpanID,Log"]
    for i in range(n):
        t = T0 + timedelta(seconds=10 * i)
        tid = f"{i + 1:032x}"
        sp = {s: f"{(i + 1) * 16 + k:016x}" for k, s in enumerate(PODS)}
        recs = [(0, "gateway", "INFO GatewayController#10 route request"),
                (2, "orders", "INFO OrderController#20 create order"),
                (7, "stock", "INFO StockController#30 reserve items"),
                (9, "orders", "INFO OrderService#44 order stored"),
                (11, "gateway", "ERROR GatewayController#12 request failed" if i == 3 else "INFO GatewayController#11 done")]
        for ms, svc, msg in recs:
            rows.append(f'{_ts(t + timedelta(milliseconds=ms))},{PODS[svc]},server,{tid},{sp[svc]},"{msg}"')
    return rows[:1] + rows[1:][::-1]  # exports are often newest first


def test_csv_header_layout() -> None:
    lay = csv_layout("Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log")
    assert lay is not None and (lay.pod, lay.container, lay.trace, lay.span) == (3, 4, 5, 6)
    assert csv_layout("time,value,host") is None
    assert csv_layout("2024-01-01 10:00:00,INFO,started") is None


def test_csv_trace_graph() -> None:
    la = analyze_log(csv_lines(), artifact_id="a", name="export.csv")
    g = la.trace_graph
    assert g is not None and "PodName" in g.source and g.traces == 6
    act = {s.service: s for s in g.services}
    assert set(act) == {"gateway", "orders", "stock"}
    assert act["stock"].pods == [PODS["stock"]] and act["stock"].records == 6
    assert act["gateway"].errors == 1 and sum(act["gateway"].errors_per_minute.values()) == 1
    edges = {(e.caller, e.callee): e for e in g.edges}
    assert set(edges) == {("gateway", "orders"), ("orders", "stock")}
    assert edges[("orders", "stock")].calls == 6
    assert abs(edges[("orders", "stock")].median_in_ms - 5.0) < 0.01
    assert abs(edges[("orders", "stock")].median_return_ms - 2.0) < 0.01
    assert g.entry_services == {"gateway": 6}
    orders = [s for s in g.spans if s.service == "orders"]
    assert len(orders) == 6 and all(s.callees == ["stock"] for s in orders)
    assert len({s.op for s in orders}) == 1 and orders[0].op
    assert sum(s.errors for s in g.spans) == 1


def test_json_fields_with_parent_ids() -> None:
    """Parent span ids win over time order: a callee logging before its caller is still the callee."""
    lines = []
    for i in range(3):
        t = T0 + timedelta(seconds=i)
        tid, root, child = f"{i + 7:032x}", f"{i + 1:016x}", f"{i + 100:016x}"
        recs = [(0, "web", {"span_id": root}), (1, "payments", {"span_id": child, "parent_span_id": root}),
                (2, "ledger", {"span_id": f"{i + 200:016x}", "parent_span_id": root})]
        for ms, svc, ids in recs:
            lines.append(json.dumps({"@timestamp": _ts(t + timedelta(milliseconds=ms)), "level": "INFO", "message": "step",
                                     "service.name": svc, "trace_id": tid, **ids}))
    g = analyze_log(lines, artifact_id="j", name="app.json").trace_graph
    assert g is not None
    assert {(e.caller, e.callee) for e in g.edges} == {("web", "payments"), ("web", "ledger")}


def test_pod_names_and_inline_ids() -> None:
    lines = []
    for i in range(2):
        t = T0 + timedelta(seconds=i)
        for ms, pod, c in ((0, "cart-7d9f8c6b5-x2x9z", "cart"), (4, "redis-proxy-5c95b49cff-tdsdz", "proxy")):
            lines.append(f"[pod/{pod}/{c}] {_ts(t + timedelta(milliseconds=ms))} INFO handled TraceID: {i + 1:032x} "
                         f"SpanID: {ms + 1:016x}")
    g = analyze_log(lines, artifact_id="k", name="pods.log").trace_graph
    assert g is not None
    assert {(e.caller, e.callee) for e in g.edges} == {("cart", "proxy")}


def test_single_service_log_has_no_graph() -> None:
    lines = [json.dumps({"@timestamp": _ts(T0 + timedelta(seconds=i)), "level": "INFO", "message": "ok", "app": "reco",
                         "trace_id": f"{i + 1:032x}", "span_id": f"{i + 1:016x}"}) for i in range(5)]
    assert analyze_log(lines, artifact_id="s", name="reco.json").trace_graph is None
