"""Builds the LLM backend named in Settings, and checks a Bedrock connection for the settings page.

``build_backend(settings, store=None, client=None)``: ``offline`` -> :class:`OfflineBackend`;
``bedrock`` -> :class:`BedrockBackend` with the injected client (tests: a Stubber'd client) or one
built once from the standard credential chain. A client that cannot be built (unknown profile,
no region) does not fail the analysis: every agent then reports the one-sentence reason and the
offline result is used.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from analysis.errors import ValidationError
from analysis.llm.bedrock import ConverseClient, make_boto_client
from analysis.llm.bedrock_backend import BedrockBackend
from analysis.llm.errors_map import BedrockCallError, translate
from analysis.llm.offline import OfflineBackend
from analysis.settings import Settings

AGENTS = ("log", "metrics", "vision", "supervisor")


def build_backend(settings: Settings, store: Any = None, client: Any = None) -> Any:
    """The backend for ``settings.backend`` (``offline`` or ``bedrock``)."""
    name = (settings.backend or "offline").lower()
    if name == "offline":
        return OfflineBackend()
    if name != "bedrock":
        raise ValidationError(f"Unknown backend {settings.backend!r}: use offline or bedrock.")
    client_error: BedrockCallError | None = None
    if client is None:
        try:
            client = make_boto_client(settings)
        except BedrockCallError as exc:
            client_error = exc
    return BedrockBackend(settings, client=client, store=store, client_error=client_error)


class ModelCheck(BaseModel):
    """Result of a one-token Converse call to one model."""

    model: str
    agents: list[str]
    ok: bool
    message: str
    latency_ms: float = 0.0


def test_connection(settings: Settings, client: Any = None) -> list[ModelCheck]:
    """Send a one-token request to each distinct configured model; one sentence per model."""
    try:
        raw = client or make_boto_client(settings)
    except BedrockCallError as exc:
        return [ModelCheck(model="(client)", agents=list(AGENTS), ok=False, message=str(exc))]
    conv = ConverseClient(raw, region=settings.bedrock_region)
    models: dict[str, list[str]] = {}
    for agent in AGENTS:
        models.setdefault(str(getattr(settings, f"bedrock_model_{agent}")), []).append(agent)
    out = []
    for model, agents in models.items():
        try:
            res = conv.converse({"modelId": model, "messages": [{"role": "user", "content": [{"text": "ping"}]}],
                                 "inferenceConfig": {"maxTokens": 1, "temperature": 0.0}})
            out.append(ModelCheck(model=model, agents=agents, ok=True, latency_ms=res.latency_ms,
                                  message=f"{model} answered in {res.latency_ms:.0f} ms."))
        except Exception as exc:
            out.append(ModelCheck(model=model, agents=agents, ok=False, message=str(translate(exc, model,
                                                                                         settings.bedrock_region))))
    return out


test_connection.__test__ = False  # not a pytest test despite the name
