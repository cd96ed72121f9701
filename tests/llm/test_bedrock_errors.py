"""Every Bedrock failure kind becomes one sentence and the offline result survives (Stubber + a local endpoint)."""

from __future__ import annotations

import pytest

from analysis.llm.bedrock import make_boto_client
from analysis.llm.bedrock_backend import BedrockBackend
from analysis.llm.cost import MemoryStore
from analysis.llm.errors_map import translate
from analysis.llm.factory import build_backend, test_connection
from bedrock_fake_server import FakeConverse

CASES = [
    ("AccessDeniedException", 403, "You don't have access to the model with the specified model ID.",
     "model_not_enabled", "Model access"),
    ("AccessDeniedException", 403, "User: arn:aws:iam::123456789012:user/x is not authorized to perform: "
     "bedrock:InvokeModel", "access_denied", "grant bedrock:InvokeModel"),
    ("ResourceNotFoundException", 404, "Could not resolve the foundation model", "model_not_found", "region us-east-1"),
    ("ValidationException", 400, "The provided model identifier is invalid.", "bad_model_id", "inference-profile id"),
    ("ValidationException", 400, "Invocation of model ID anthropic.x with on-demand throughput isn't supported.",
     "bad_model_id", "in us-east-1"),
    ("ValidationException", 400, "This model doesn't support tool use.", "no_tool_use", "does not support tool use"),
    ("ValidationException", 400, "Input is too long for requested model.", "too_large", "upload less"),
    ("ThrottlingException", 429, "Too many requests", "throttled", "throttling"),
    ("ModelTimeoutException", 408, "timeout", "timeout", "took too long"),
    ("ServiceUnavailableException", 503, "unavailable", "service_error", "retry later"),
    ("InternalServerException", 500, "boom", "service_error", "retry later"),
    ("UnrecognizedClientException", 403, "The security token included in the request is invalid.", "bad_credentials",
     "refresh them"),
]


@pytest.mark.parametrize("code,status,message,kind,phrase", CASES)
def test_client_errors_map_to_one_sentence(bsettings, stubbed, make_ctx, code, status, message, kind, phrase):
    ctx = make_ctx()
    store = MemoryStore()
    stubbed.error(code, status, message)
    report = build_backend(bsettings, store=store, client=stubbed.client).refine("log", ctx, ctx.reports["log"])
    assert report.degraded and phrase in report.degraded_reason
    assert report.degraded_reason.count(". ") == 0 and report.degraded_reason.endswith(".")
    assert [f.id for f in report.findings] == ["F-log-1", "F-log-2"], "offline result kept"
    assert store.list_llm_calls("inc-1")[0]["status"] == kind


def test_fatal_error_skips_the_rest_of_the_run(bsettings, stubbed, make_ctx):
    ctx = make_ctx()
    stubbed.error("AccessDeniedException", 403, "not authorized to perform bedrock:InvokeModel")
    backend = build_backend(bsettings, store=MemoryStore(), client=stubbed.client)
    first = backend.refine("log", ctx, ctx.reports["log"])
    second = backend.refine("metrics", ctx, ctx.reports["metrics"])
    assert len(stubbed.calls) == 1
    assert first.degraded and second.degraded and "skipped for the rest of this run" in second.degraded_reason
    assert second.findings == ctx.reports["metrics"].findings


def test_endpoint_unreachable(bsettings, make_ctx):
    settings = bsettings.model_copy(update={"bedrock_endpoint_url": "http://127.0.0.1:9"})
    ctx = make_ctx()
    backend = BedrockBackend(settings, client=make_boto_client(settings, max_attempts=1), store=MemoryStore())
    report = backend.refine("log", ctx, ctx.reports["log"])
    assert report.degraded and "cannot be reached" in report.degraded_reason


def test_read_timeout(bsettings, make_ctx):
    ctx = make_ctx()
    with FakeConverse(delay_s=1.5) as fake:
        settings = bsettings.model_copy(update={"bedrock_endpoint_url": fake.url, "bedrock_timeout_s": 0.4})
        backend = BedrockBackend(settings, client=make_boto_client(settings, max_attempts=1), store=MemoryStore())
        report = backend.refine("log", ctx, ctx.reports["log"])
    assert report.degraded and "did not answer within the timeout" in report.degraded_reason


def test_no_credentials(bsettings, make_ctx, monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    ctx = make_ctx()
    with FakeConverse() as fake:
        settings = bsettings.model_copy(update={"bedrock_endpoint_url": fake.url})
        report = build_backend(settings, store=MemoryStore()).refine("log", ctx, ctx.reports["log"])
        assert fake.requests == []
    assert report.degraded and "No AWS credentials were found" in report.degraded_reason


def test_unknown_profile_and_missing_region_degrade_instead_of_failing(bsettings, make_ctx, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    ctx = make_ctx()
    r1 = build_backend(bsettings.model_copy(update={"bedrock_profile": "nope"})).refine("log", ctx, ctx.reports["log"])
    assert r1.degraded and "profile" in r1.degraded_reason
    r2 = build_backend(bsettings.model_copy(update={"bedrock_region": ""})).refine("log", ctx, ctx.reports["log"])
    assert r2.degraded and "region" in r2.degraded_reason


def test_throttling_is_retried_adaptively(bsettings, make_ctx):
    ctx = make_ctx()
    with FakeConverse(errors_first=[(429, "ThrottlingException", "slow down")]) as fake:
        settings = bsettings.model_copy(update={"bedrock_endpoint_url": fake.url})
        client = make_boto_client(settings)
        assert client.meta.config.retries["mode"] == "adaptive"
        report = BedrockBackend(settings, client=client, store=MemoryStore()).refine("log", ctx, ctx.reports["log"])
        assert len(fake.requests) == 2
    assert not report.degraded and report.backend == "bedrock"


def test_translate_unknown_exception_is_one_sentence():
    err = translate(RuntimeError("weird"), "m", "r")
    assert err.kind == "unexpected" and str(err).endswith(").")


def test_connection_check_reports_per_model(bsettings, stubbed):
    stubbed.respond([{"text": "p"}], stop="max_tokens")
    stubbed.error("AccessDeniedException", 403, "You don't have access to the model with the specified model ID.")
    checks = test_connection(bsettings, client=stubbed.client)
    assert [c.model for c in checks] == [bsettings.bedrock_model_log, bsettings.bedrock_model_vision]
    assert checks[0].ok and checks[0].agents == ["log", "metrics"]
    assert not checks[1].ok and "not enabled" in checks[1].message
