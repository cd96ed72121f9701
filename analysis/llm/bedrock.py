"""The Converse client wrapper: builds the boto3 ``bedrock-runtime`` client once, calls ``converse``.

* :func:`make_boto_client` builds the client from the standard credential chain (profile, env,
  SSO, instance role) with botocore retries in ``adaptive`` mode and connect/read timeouts, and
  honours ``SREWB_BEDROCK_ENDPOINT_URL`` (a local Converse-compatible endpoint can stand in).
* :class:`ConverseClient` wraps an *injected* client: checks what botocore does not (enum values
  such as image format and role), times the call, translates every failure through
  :mod:`analysis.llm.errors_map` and returns a typed :class:`ConverseResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from analysis.llm.errors_map import BedrockCallError, translate
from analysis.settings import Settings

IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
ROLES = ("user", "assistant")
DEFAULT_MAX_ATTEMPTS = 3


def make_boto_client(settings: Settings, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Any:
    """Build the ``bedrock-runtime`` client (raises :class:`BedrockCallError` for a bad profile/region)."""
    import boto3
    from botocore.config import Config

    timeout = float(settings.bedrock_timeout_s)
    config = Config(
        region_name=settings.bedrock_region or None,
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=min(10.0, timeout),
        read_timeout=timeout,
        user_agent_extra="sre-workbench",
    )
    try:
        session = boto3.Session(profile_name=settings.bedrock_profile or None,
                                region_name=settings.bedrock_region or None)
        return session.client("bedrock-runtime", endpoint_url=settings.bedrock_endpoint_url or None, config=config)
    except Exception as exc:  # ProfileNotFound, NoRegionError, bad endpoint URL ...
        raise translate(exc, "", settings.bedrock_region) from None


class ConverseResult(BaseModel):
    """What one Converse call returned (or what the cache returned for it)."""

    stop_reason: str
    content: list[dict[str, Any]] = Field(default_factory=list, description="the assistant message's content blocks")
    tokens_in: int = Field(default=0, description="input tokens billed at the full price (not cached)")
    tokens_out: int = 0
    cache_read: int = Field(default=0, description="input tokens read from Bedrock's prompt cache")
    cache_write: int = Field(default=0, description="input tokens written to Bedrock's prompt cache")
    latency_ms: float = 0.0
    cache_hit: bool = False

    def tool_uses(self) -> list[dict[str, Any]]:
        return [b["toolUse"] for b in self.content if isinstance(b, dict) and "toolUse" in b]

    def text(self) -> str:
        return "\n".join(b["text"] for b in self.content if isinstance(b, dict) and "text" in b)

    def message(self) -> dict[str, Any]:
        return {"role": "assistant", "content": self.content}


def check_request(request: dict[str, Any]) -> None:
    """Validate the enum values botocore's parameter validation does not check."""
    for msg in request.get("messages", []):
        if msg.get("role") not in ROLES:
            raise BedrockCallError(f"The workbench built a message with role {msg.get('role')!r}: report this.",
                                   "bad_request")
        for block in msg.get("content", []):
            img = block.get("image") if isinstance(block, dict) else None
            if img is not None and img.get("format") not in IMAGE_FORMATS:
                raise BedrockCallError(f"The workbench built an image block in format {img.get('format')!r}: "
                                       "report this.", "bad_request")
    choice = (request.get("toolConfig") or {}).get("toolChoice")
    if choice is not None and len(choice) != 1:
        raise BedrockCallError("The workbench built an invalid toolChoice: report this.", "bad_request")


class ConverseClient:
    """Thin typed wrapper around an injected ``bedrock-runtime`` client."""

    def __init__(self, client: Any, *, region: str = "", clock: Callable[[], float] = time.perf_counter):
        self.client = client
        self.region = region or getattr(getattr(client, "meta", None), "region_name", "") or ""
        self.clock = clock

    def converse(self, request: dict[str, Any]) -> ConverseResult:
        """Call Converse with ``request`` (the full keyword arguments, ``modelId`` included)."""
        model_id = request.get("modelId", "")
        check_request(request)
        t0 = self.clock()
        try:
            resp = self.client.converse(**request)
        except Exception as exc:
            raise translate(exc, model_id, self.region) from None
        latency_ms = (self.clock() - t0) * 1000.0
        try:
            usage = resp.get("usage") or {}
            content = resp["output"]["message"]["content"]
            return ConverseResult(stop_reason=resp.get("stopReason", "end_turn"), content=content,
                                  tokens_in=int(usage.get("inputTokens", 0)),
                                  tokens_out=int(usage.get("outputTokens", 0)),
                                  cache_read=int(usage.get("cacheReadInputTokens", 0) or 0),
                                  cache_write=int(usage.get("cacheWriteInputTokens", 0) or 0),
                                  latency_ms=round(float(resp.get("metrics", {}).get("latencyMs", latency_ms)), 1))
        except (KeyError, TypeError, ValueError):
            raise BedrockCallError(f"Bedrock returned a response without a message for {model_id}: retry later.",
                                   "malformed_response") from None
