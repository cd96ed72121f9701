"""Fixtures for the Bedrock backend tests: a small incident context, Stubber'd and real (local) clients."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.stub import Stubber

from analysis.agents.base import AgentContext
from analysis.llm.bedrock import make_boto_client
from analysis.models import AgentReport, ArtifactKind, Category, EvidenceRef, Finding, Hypothesis, IncidentInput
from analysis.settings import Settings
from bedrock_fixtures import FIXTURES, T0, ev, loaded, render_text_image


@pytest.fixture
def bsettings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", backend="bedrock", bedrock_region="us-east-1", bedrock_max_steps=4,
                    bedrock_timeout_s=5)


@pytest.fixture
def make_ctx(bsettings):
    """``make_ctx(with_screenshot=False)`` -> AgentContext with offline reports for every agent."""

    def build(with_screenshot: bool = False, screenshot_lines: list[str] | None = None,
              size: tuple[int, int] = (1600, 900)) -> AgentContext:
        arts = [loaded(bsettings, "app.log", (FIXTURES / "basic" / "app.log").read_bytes(), ArtifactKind.log, 1),
                loaded(bsettings, "metrics.csv", (FIXTURES / "basic" / "metrics.csv").read_bytes(),
                       ArtifactKind.metrics, 2)]
        if with_screenshot:
            png = render_text_image(screenshot_lines or ["Checkout latency p99", "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
                                    size=size)
            arts.append(loaded(bsettings, "dash.png", png, ArtifactKind.screenshot, 3))
        ctx = AgentContext(incident=IncidentInput(title="Checkout errors", description="5xx on checkout",
                                                  services=["checkout-service"]),
                           artifacts=arts, settings=bsettings, clock=lambda: T0, incident_id="inc-1", run_id="run-1")
        log_f = [
            Finding(id="F-log-1", agent="log", kind="error_cluster", title="3x db connection pool exhausted host=<*>",
                    severity="high", service="checkout-service", start=T0.replace(minute=3), score=0.8,
                    evidence=[ev("app.log", 4, "ERROR checkout-service db connection pool exhausted host=db-01.prod.internal")],
                    signals=["db_pool_exhausted"]),
            Finding(id="F-log-2", agent="log", kind="change_event", title="deploy version=1.5.0", severity="medium",
                    service="checkout-service", start=T0.replace(minute=2), score=0.6,
                    evidence=[ev("app.log", 3, "deploy version=1.5.0 by user=alice@example.com")]),
        ]
        met_f = [Finding(id="F-met-1", agent="metrics", kind="metric_anomaly", title="checkout_error_rate up x50",
                         severity="high", score=0.9, start=T0.replace(minute=3),
                         evidence=[EvidenceRef(kind="metric_window", artifact_id="art-002", artifact_name="metrics.csv",
                                               series="checkout_error_rate", start=T0.replace(minute=3),
                                               end=T0.replace(minute=19))])]
        vis_f = [Finding(id="F-vis-1", agent="vision", kind="screenshot_anomaly", title="latency panel spikes",
                         severity="medium", score=0.5,
                         evidence=[EvidenceRef(kind="image_region", artifact_id="art-003", artifact_name="dash.png",
                                               bbox=[0, 0, 100, 100])])] if with_screenshot else []
        ctx.reports = {"log": AgentReport(agent="log", findings=log_f),
                       "metrics": AgentReport(agent="metrics", findings=met_f),
                       "vision": AgentReport(agent="vision", findings=vis_f)}
        ctx.reports["supervisor"] = AgentReport(agent="supervisor", hypotheses=[
            Hypothesis(id="h1", category=Category.database_overload, service="db-01.prod.internal",
                       onset=T0.replace(minute=3), statement="db overload", confidence=0.42,
                       evidence=log_f[0].evidence, finding_ids=["F-log-1"]),
            Hypothesis(id="h2", category=Category.deployment_regression, service="checkout-service",
                       onset=T0.replace(minute=2), statement="bad deploy", confidence=0.31,
                       evidence=log_f[1].evidence, finding_ids=["F-log-2"]),
        ])
        return ctx

    return build


_CLIENTS: dict[str, Any] = {}


class StubbedClient:
    """A real bedrock-runtime client (max_attempts=1, built once per session) with a fresh Stubber and the
    params of every call."""

    current: "StubbedClient | None" = None

    def __init__(self, settings: Settings):
        if "client" not in _CLIENTS:
            client = make_boto_client(settings, max_attempts=1)
            client.meta.events.register("provide-client-params.bedrock-runtime.Converse", StubbedClient._route)
            _CLIENTS["client"] = client
        self.client = _CLIENTS["client"]
        self.stub = Stubber(self.client)
        self.calls: list[dict[str, Any]] = []
        StubbedClient.current = self

    @staticmethod
    def _route(params: dict[str, Any], **kwargs: Any) -> None:
        if StubbedClient.current is not None:
            StubbedClient.current._capture(params)

    def _capture(self, params: dict[str, Any]) -> None:
        self.calls.append(copy.deepcopy(params))

    def respond(self, content: list[dict[str, Any]], stop: str = "tool_use", tokens: tuple[int, int] = (100, 20)) -> None:
        self.stub.add_response("converse", {
            "output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
            "metrics": {"latencyMs": 12}})

    def tool(self, name: str, inp: dict[str, Any], tid: str = "t1", stop: str = "tool_use") -> None:
        self.respond([{"toolUse": {"toolUseId": tid, "name": name, "input": inp}}], stop=stop)

    def error(self, code: str, status: int = 400, message: str = "") -> None:
        self.stub.add_client_error("converse", service_error_code=code, service_message=message or code,
                                   http_status_code=status)


@pytest.fixture
def stubbed(bsettings):
    s = StubbedClient(bsettings)
    s.stub.activate()
    yield s
    s.stub.deactivate()
