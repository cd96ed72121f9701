"""Each agent's Converse request and answer handling, checked with botocore's Stubber (real service model)."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image

from analysis.llm.bedrock_backend import IMAGE_MAX_BYTES, IMAGE_MAX_EDGE, NEW_CATEGORY_CAP, TOOL_OUTPUT_CHARS
from analysis.llm.cost import MemoryStore
from analysis.llm.factory import build_backend
from analysis.models import ArtifactKind, IncidentInput

REVIEW = {"summary": "The pool exhaustion at 10:03 on <HOST_1> is the main signal.",
          "finding_notes": [{"finding_id": "F-log-1", "relevance": "high", "note": "pool exhausted on <HOST_1>"},
                            {"finding_id": "F-log-2", "relevance": "noise", "note": "routine deploy"}],
          "missing": ["database server logs"]}


def backend(settings, stubbed, store=None):
    return build_backend(settings, store=store or MemoryStore(), client=stubbed.client)


def test_log_agent_forced_tool_request_and_merge(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.tool("submit_log_review", REVIEW)
    report = backend(bsettings, stubbed).refine("log", ctx, ctx.reports["log"])
    stubbed.stub.assert_no_pending_responses()
    req = stubbed.calls[0]
    assert req["modelId"] == bsettings.bedrock_model_log
    assert req["toolConfig"]["toolChoice"] == {"tool": {"name": "submit_log_review"}}
    spec = req["toolConfig"]["tools"][0]["toolSpec"]
    assert spec["name"] == "submit_log_review"
    assert set(spec["inputSchema"]["json"]["required"]) >= {"summary"}
    assert "$ref" not in json.dumps(spec)
    payload = json.loads(req["messages"][0]["content"][0]["text"])
    assert [f["id"] for f in payload["findings"]] == ["F-log-1", "F-log-2"]
    assert "db-01.prod.internal" not in json.dumps(req) and "alice@example.com" not in json.dumps(req)
    # merged: offline findings kept, annotated, placeholders restored for display
    assert not report.degraded and report.backend == "bedrock" and report.prompt_version == "log-v1"
    ids = [f.id for f in report.findings]
    assert ids[0] == "log-bedrock-review" and set(ids[1:]) == {"F-log-1", "F-log-2"}
    assert ids.index("F-log-1") < ids.index("F-log-2")  # noise sorted last
    note = next(f for f in report.findings if f.id == "F-log-1").attributes["llm_note"]
    assert note == "pool exhausted on db-01.prod.internal"
    assert "db-01.prod.internal" in report.findings[0].detail
    assert report.findings[0].evidence, "the model's summary carries the cited evidence"
    assert report.tokens_in == 100 and report.tokens_out == 20 and report.cost_usd > 0
    assert any(g.why == "database server logs" for g in report.gaps)


def test_metrics_agent_request(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.tool("submit_metrics_review", {"summary": "error rate moved first", "finding_notes": [
        {"finding_id": "F-met-1", "relevance": "high", "note": "cause"}]})
    report = backend(bsettings, stubbed).refine("metrics", ctx, ctx.reports["metrics"])
    req = stubbed.calls[0]
    assert req["modelId"] == bsettings.bedrock_model_metrics
    assert req["toolConfig"]["toolChoice"] == {"tool": {"name": "submit_metrics_review"}}
    assert req["inferenceConfig"]["maxTokens"] > 0 and req["inferenceConfig"]["temperature"] == 0.0
    assert report.findings[1].attributes["llm_relevance"] == "high"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_vision_sends_resized_masked_image_blocks(bsettings, stubbed, make_ctx):
    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    ctx = make_ctx(with_screenshot=True, screenshot_lines=["Checkout latency p99", f"token={secret}",
                                                           "owner alice@example.com"], size=(1800, 260))
    stubbed.tool("submit_vision_review", {"summary": "latency spikes", "incident_visible": True, "panels": [
        {"title": "Checkout latency p99", "incident_visible": True, "direction": "up"}],
        "finding_notes": [{"finding_id": "F-vis-1", "relevance": "high"}]})
    report = backend(bsettings, stubbed).refine("vision", ctx, ctx.reports["vision"])
    req = stubbed.calls[0]
    blocks = req["messages"][0]["content"]
    images = [b["image"] for b in blocks if "image" in b]
    assert len(images) == 1 and images[0]["format"] in ("png", "jpeg")
    data = images[0]["source"]["bytes"]
    assert len(data) <= IMAGE_MAX_BYTES
    img = Image.open(io.BytesIO(data))
    assert max(img.size) <= IMAGE_MAX_EDGE and img.size == (IMAGE_MAX_EDGE, round(260 * IMAGE_MAX_EDGE / 1800))
    import pytesseract
    text = pytesseract.image_to_string(img, config="--psm 11")
    assert "Checkout" in text, "benign text stays readable"
    assert "ghp_" not in text and "abcdefghij" not in text and "alice" not in text
    assert not report.degraded
    review = report.findings[0]
    assert review.attributes["incident_visible"] is True
    assert any(e.kind == "image_region" and e.bbox == [0, 0, 1800, 260] for e in review.evidence)


def test_supervisor_tool_loop_errors_go_back_and_confidence_is_capped(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.respond([{"text": "Let me check."},
                     {"toolUse": {"toolUseId": "a", "name": "search_logs", "input": {"text": "pool exhausted"}}},
                     {"toolUse": {"toolUseId": "b", "name": "metric_window", "input": {"series": "nope"}}},
                     {"toolUse": {"toolUseId": "c", "name": "similar_incidents", "input": {"text": "db pool"}}}])
    stubbed.tool("search_logs", {"text": "checkout", "limit": 50}, tid="d")
    stubbed.tool("submit_analysis", {"summary": "db", "gaps": [], "hypotheses": [
        {"category": "deployment_regression", "service": "checkout-service", "statement": "deploy 1.5.0 broke the pool",
         "confidence": 0.97, "finding_ids": ["F-log-2", "F-log-1"], "refines": "h2"},
        {"category": "database_overload", "service": "<HOST_1>", "statement": "db saturated", "confidence": 0.2,
         "finding_ids": ["F-log-1"]},
        {"category": "network_dns", "statement": "dns", "confidence": 0.9, "finding_ids": ["F-met-1"]},
        {"category": "disk_full", "statement": "made up", "confidence": 0.9, "finding_ids": ["F-nope"]}]}, tid="e")
    report = backend(bsettings, stubbed).refine("supervisor", ctx, ctx.reports["supervisor"])
    stubbed.stub.assert_no_pending_responses()
    assert len(stubbed.calls) == 3
    assert stubbed.calls[0]["toolConfig"]["toolChoice"] == {"any": {}}
    assert {t["toolSpec"]["name"] for t in stubbed.calls[0]["toolConfig"]["tools"]} == {
        "submit_analysis", "search_logs", "metric_window", "similar_incidents"}
    results = {b["toolResult"]["toolUseId"]: b["toolResult"] for b in stubbed.calls[1]["messages"][-1]["content"]}
    assert results["a"]["status"] == "success"
    found = results["a"]["content"][0]["json"]
    assert found["total_matches"] == 3 and found["matches"][0]["line"] == 4
    assert "hunter2pass" not in json.dumps(found) and "<SECRET_" in json.dumps(found)
    assert results["b"]["status"] == "error" and "known series" in results["b"]["content"][0]["text"]
    assert results["c"]["status"] == "error" and "knowledge base" in results["c"]["content"][0]["text"]
    big = stubbed.calls[2]["messages"][-1]["content"][0]["toolResult"]
    assert len(json.dumps(big["content"][0])) <= TOOL_OUTPUT_CHARS + 200
    assert stubbed.calls[2]["toolConfig"]["toolChoice"] == {"any": {}}
    hyps = {h.category.value: h for h in report.hypotheses}
    assert hyps["deployment_regression"].confidence == pytest.approx(0.31)  # 0.97 capped at engine's 0.31
    assert hyps["database_overload"].confidence == pytest.approx(0.2)      # model may lower
    assert hyps["database_overload"].service == "db-01.prod.internal"      # restored placeholder
    assert hyps["network_dns"].confidence <= NEW_CATEGORY_CAP
    assert "disk_full" not in hyps
    assert [h.category.value for h in report.hypotheses][0] == "deployment_regression"
    assert report.hypotheses[0].evidence and report.hypotheses[0].reasoning[0].startswith("model (0.97 stated)")
    assert any("disk_full" in g.why for g in report.gaps)


def test_supervisor_max_steps_forces_the_answer_tool(bsettings, stubbed, make_ctx):
    settings = bsettings.model_copy(update={"bedrock_max_steps": 2})
    ctx = make_ctx()
    stubbed.tool("search_logs", {"text": "x"}, tid="a")
    stubbed.tool("search_logs", {"text": "y"}, tid="b")  # ignores the forced tool
    report = build_backend(settings, store=MemoryStore(), client=stubbed.client).refine(
        "supervisor", ctx, ctx.reports["supervisor"])
    assert stubbed.calls[1]["toolConfig"]["toolChoice"] == {"tool": {"name": "submit_analysis"}}
    assert len(stubbed.calls) == 2
    assert report.degraded and "within 2 steps" in report.degraded_reason
    assert [h.id for h in report.hypotheses] == ["h1", "h2"]  # offline ranking kept


def test_invalid_answer_is_reasked_once_with_the_error(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.tool("submit_log_review", {"finding_notes": [{"finding_id": "F-log-1", "relevance": "very"}]}, tid="x")
    stubbed.tool("submit_log_review", REVIEW, tid="y")
    report = backend(bsettings, stubbed).refine("log", ctx, ctx.reports["log"])
    second = stubbed.calls[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    tr = second[2]["content"][0]["toolResult"]
    assert tr["toolUseId"] == "x" and tr["status"] == "error"
    assert "summary" in tr["content"][0]["text"] and "relevance" in tr["content"][0]["text"]
    assert not report.degraded and report.tokens_in == 200


def test_invalid_twice_falls_back_to_offline_marked_degraded(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.tool("submit_log_review", {"nothing": 1}, tid="x")
    stubbed.tool("submit_log_review", {"nothing": 2}, tid="y")
    report = backend(bsettings, stubbed).refine("log", ctx, ctx.reports["log"])
    assert report.degraded and "unusable twice" in report.degraded_reason
    assert [f.id for f in report.findings] == ["F-log-1", "F-log-2"]
    assert report.backend == "offline" and report.tokens_in == 200
    assert any(g.what == "bedrock log agent" for g in report.gaps)


@pytest.mark.parametrize("stop,action", [("end_turn", "reask"), ("max_tokens", "reask"), ("malformed_tool_use", "reask"),
                                         ("content_filtered", "fail"), ("guardrail_intervened", "fail"),
                                         ("model_context_window_exceeded", "fail")])
def test_stop_reasons_table(bsettings, stubbed, make_ctx, stop, action):
    ctx = make_ctx()
    stubbed.respond([{"text": "prose"}], stop=stop)
    if action == "reask":
        stubbed.tool("submit_log_review", REVIEW)
    report = backend(bsettings, stubbed).refine("log", ctx, ctx.reports["log"])
    if action == "reask":
        assert not report.degraded and len(stubbed.calls) == 2
        assert stubbed.calls[1]["messages"][-1]["content"][-1]["text"].startswith("You must answer")
    else:
        assert report.degraded and len(stubbed.calls) == 1 and report.degraded_reason.endswith(".")


def test_cache_serves_identical_requests_and_ledger_records(bsettings, stubbed, make_ctx):
    store = MemoryStore()
    b = backend(bsettings, stubbed, store)
    stubbed.tool("submit_log_review", REVIEW)
    first = b.refine("log", make_ctx(), make_ctx().reports["log"])
    ctx2 = make_ctx()
    ctx2.run_id = "run-2"
    second = build_backend(bsettings, store=store, client=stubbed.client).refine("log", ctx2, ctx2.reports["log"])
    assert len(stubbed.calls) == 1, "second run served from the cache"
    assert [f.id for f in first.findings] == [f.id for f in second.findings]
    rows = store.list_llm_calls("inc-1")
    assert [r["cache_hit"] for r in rows] == [False, True]
    assert rows[0]["cost_usd"] > 0 and rows[1]["cost_usd"] == 0
    assert rows[0]["request_hash"] == rows[1]["request_hash"] and rows[0]["model"] == bsettings.bedrock_model_log


def test_budget_cap_stops_calls(bsettings, stubbed, make_ctx):
    settings = bsettings.model_copy(update={"bedrock_budget_usd": 0.0001})
    ctx = make_ctx()
    report = build_backend(settings, store=MemoryStore(), client=stubbed.client).refine("log", ctx, ctx.reports["log"])
    assert stubbed.calls == [] and report.degraded and "budget" in report.degraded_reason


def test_ledger_goes_to_duckdb_store(bsettings, stubbed, make_ctx, store):
    stubbed.tool("submit_log_review", REVIEW)
    ctx = make_ctx()
    build_backend(bsettings, store=store, client=stubbed.client).refine("log", ctx, ctx.reports["log"])
    rows = store.list_llm_calls("inc-1")
    assert len(rows) == 1 and rows[0]["agent"] == "log" and rows[0]["tokens_in"] == 100 and rows[0]["status"] == "ok"


def test_preview_shows_the_redacted_payload_without_calling(bsettings, make_ctx):
    from analysis.llm.redact import preview

    ctx = make_ctx(with_screenshot=True)
    for agent in ("log", "metrics", "vision", "supervisor"):
        pv = preview(agent, ctx)
        assert pv.agent == agent and pv.prompt_version.startswith(agent) and pv.model
        assert "db-01.prod.internal" not in pv.text and "alice@example.com" not in pv.text
        assert json.loads(pv.text)["incident"]["title"] == "Checkout errors"
    assert preview("vision", ctx).images == ["dash.png"]
    sup = preview("supervisor", ctx)
    assert sup.redactions.get("HOST", 0) >= 1 and sup.redactions.get("EMAIL", 0) >= 1
    assert {f["id"] for f in json.loads(sup.text)["findings"]} == {"F-log-1", "F-log-2", "F-met-1", "F-vis-1"}



def test_preview_analysis_runs_the_engines_and_sends_nothing(bsettings):
    from analysis.agents.loaded import LoadedArtifact
    from analysis.llm.bedrock_backend import preview_analysis
    from bedrock_fixtures import FIXTURES, loaded

    arts = [loaded(bsettings, "app.log", (FIXTURES / "basic" / "app.log").read_bytes(), ArtifactKind.log, 1)]
    assert isinstance(arts[0], LoadedArtifact)
    previews = preview_analysis(IncidentInput(title="t"), arts, bsettings)
    assert [p.agent for p in previews] == ["log", "metrics", "vision", "supervisor"]
    log_pv = previews[0]
    assert "pool exhausted" in log_pv.text and "db-01.prod.internal" not in log_pv.text
    assert "hunter2pass" not in log_pv.text and log_pv.redactions.get("SECRET", 0) >= 1


def test_supervisor_uses_prompt_caching_and_prices_it(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.tool("search_logs", {"text": "pool"}, tid="a")
    stubbed.stub.add_response("converse", {
        "output": {"message": {"role": "assistant", "content": [{"toolUse": {"toolUseId": "b", "name": "submit_analysis",
                   "input": {"summary": "s", "hypotheses": [{"category": "database_overload", "statement": "db",
                                                             "confidence": 0.3, "finding_ids": ["F-log-1"]}]}}}]}},
        "stopReason": "tool_use", "metrics": {"latencyMs": 5},
        "usage": {"inputTokens": 100, "outputTokens": 20, "totalTokens": 2120, "cacheReadInputTokens": 2000}})
    store = MemoryStore()
    report = build_backend(bsettings, store=store, client=stubbed.client).refine("supervisor", ctx, ctx.reports["supervisor"])
    assert stubbed.calls[0]["messages"][0]["content"][-1] == {"cachePoint": {"type": "default"}}
    assert not report.degraded and report.tokens_in == 100 + 2100
    rows = store.list_llm_calls("inc-1")
    # Sonnet 4.5: $3/M in, $15/M out; 2000 cached tokens at 10 %
    assert rows[1]["tokens_in"] == 2100 and rows[1]["cost_usd"] == pytest.approx((100 + 200) * 3e-6 + 20 * 15e-6)


def test_prompt_cache_rejected_falls_back_without_cache_points(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.error("ValidationException", 400, "cachePoint is not supported for this model.")
    stubbed.tool("submit_analysis", {"summary": "s", "hypotheses": [
        {"category": "database_overload", "statement": "db", "confidence": 0.3, "finding_ids": ["F-log-1"]}]})
    report = build_backend(bsettings, store=MemoryStore(), client=stubbed.client).refine(
        "supervisor", ctx, ctx.reports["supervisor"])
    assert len(stubbed.calls) == 2 and not report.degraded
    assert all("cachePoint" not in b for b in stubbed.calls[1]["messages"][0]["content"])


def test_no_prompt_cache_for_models_without_it(bsettings, stubbed, make_ctx):
    settings = bsettings.model_copy(update={"bedrock_model_supervisor": "meta.llama3-1-70b-instruct-v1:0"})
    ctx = make_ctx()
    stubbed.tool("submit_analysis", {"summary": "s", "hypotheses": [
        {"category": "database_overload", "statement": "db", "confidence": 0.3, "finding_ids": ["F-log-1"]}]})
    build_backend(settings, store=MemoryStore(), client=stubbed.client).refine("supervisor", ctx, ctx.reports["supervisor"])
    assert all("cachePoint" not in b for b in stubbed.calls[0]["messages"][0]["content"])
