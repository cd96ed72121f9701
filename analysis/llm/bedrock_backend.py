"""The Bedrock LLM backend: refines each agent's deterministic report through the Converse API.

This module owns the orchestration: one injected Converse client, the run state (one redactor per
run, so placeholders are stable across agents; a fatal failure stops further calls this run), and
every call going through cache, budget and ledger (:mod:`analysis.llm.cost`). Any failure returns
the offline report with ``degraded=True``, a one-sentence reason and a Gap — the analysis is never lost.

The parts live beside it, each owning one thing:
:mod:`analysis.llm.payloads` (what each agent sends, image blocks, the "what will be sent" preview),
:mod:`analysis.llm.conversation` (requests, stop reasons, forced answer with one re-ask),
:mod:`analysis.llm.tool_loop` (the supervisor's bounded tool loop and its tools),
:mod:`analysis.llm.merge` (merge with the offline result, confidence cap, degrade).
Their public names are re-exported here, so ``from analysis.llm.bedrock_backend import ...`` keeps working.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from analysis.agents.base import AgentContext
from analysis.llm.bedrock import ConverseClient, ConverseResult, make_boto_client
from analysis.llm.conversation import (
    MAX_TOKENS, STOP_REASONS, ask_validated, build_request, has_cache_points, without_cache_points,
)
from analysis.llm.cost import Ledger, MemoryStore, price_table, request_hash
from analysis.llm.errors_map import BedrockCallError
from analysis.llm.merge import NEW_CATEGORY_CAP, Usage, degrade, merge_review, merge_supervisor, stamp
from analysis.llm.payloads import (
    IMAGE_MAX_BYTES, IMAGE_MAX_EDGE, MAX_FINDINGS, MAX_IMAGES, PayloadPreview, build_payload, has_material,
    model_for, prepare_image, preview_analysis, preview_payload,
)
from analysis.llm.prompts import PROMPTS, SupervisorAnswer, answer_tool
from analysis.llm.redact import Redactor
from analysis.llm.tool_loop import (
    TOOL_OUTPUT_CHARS, ToolError, metric_window, run_supervisor_loop, search_logs, similar_incidents, truncate_output,
)
from analysis.models import AgentReport, ArtifactKind, Gap
from analysis.settings import Settings

__all__ = [
    "BedrockBackend", "PayloadPreview", "ToolError", "STOP_REASONS", "MAX_TOKENS", "MAX_FINDINGS", "MAX_IMAGES",
    "IMAGE_MAX_EDGE", "IMAGE_MAX_BYTES", "NEW_CATEGORY_CAP", "TOOL_OUTPUT_CHARS", "PROMPT_CACHE_MODELS",
    "build_payload", "build_request", "prepare_image", "preview_payload", "preview_analysis", "model_for",
    "merge_supervisor", "search_logs", "metric_window", "similar_incidents", "truncate_output",
]

log = logging.getLogger(__name__)

MAX_RUN_STATES = 32
#: Models whose Converse API accepts ``cachePoint`` blocks (prompt caching); used for the supervisor loop,
#: where every step resends the same prefix. A model that rejects it is remembered and called without.
PROMPT_CACHE_MODELS = re.compile(r"anthropic\.claude-(?:3-5-haiku|3-7-sonnet|sonnet-4|opus-4|haiku-4-5)|amazon\.nova-")


@dataclass
class _RunState:
    redactor: Redactor = field(default_factory=Redactor)
    broken: BedrockCallError | None = None


class BedrockBackend:
    """LLMBackend over Bedrock Converse; the client and the ledger store are injected."""

    name = "bedrock"

    def __init__(self, settings: Settings, client: Any = None, store: Any = None, *,
                 client_error: BedrockCallError | None = None):
        self.settings = settings
        self._client: ConverseClient | None = ConverseClient(client, region=settings.bedrock_region) if client else None
        self._client_error = client_error
        self._store = store
        self._memory = MemoryStore()
        self._runs: dict[tuple[str, str], _RunState] = {}
        self._no_prompt_cache: set[str] = set()

    # -- wiring
    def client(self) -> ConverseClient:
        if self._client is None:
            if self._client_error is not None:
                raise self._client_error
            try:
                self._client = ConverseClient(make_boto_client(self.settings), region=self.settings.bedrock_region)
            except BedrockCallError as exc:
                self._client_error = exc
                raise
        return self._client

    def ledger(self, ctx: AgentContext) -> Ledger:
        store = self._store
        if store is None and ctx.incident_id and self.settings.db_path.exists():
            from analysis.store import Store

            try:
                store = self._store = Store(self.settings.data_dir)
            except Exception:
                store = None
        return Ledger(store or self._memory, price_table(self.settings), self.settings.bedrock_budget_usd)

    def state(self, ctx: AgentContext) -> _RunState:
        key = (ctx.incident_id, ctx.run_id)
        if key not in self._runs:
            while len(self._runs) >= MAX_RUN_STATES:  # a long-lived app process: forget the oldest runs
                self._runs.pop(next(iter(self._runs)))
            self._runs[key] = _RunState()
        return self._runs[key]

    def preview(self, agent: str, ctx: AgentContext, offline: AgentReport | None = None) -> PayloadPreview:
        return preview_payload(agent, ctx, offline)

    # -- the protocol
    def refine(self, agent: str, ctx: AgentContext, offline: AgentReport) -> AgentReport:
        if agent not in PROMPTS:
            return offline
        state = self.state(ctx)
        usage = Usage()
        model_id = model_for(self.settings, agent)
        try:
            if not has_material(agent, ctx, offline):
                return offline
            if state.broken is not None:
                raise BedrockCallError(f"{str(state.broken).rstrip('.')} (so Bedrock was skipped for the rest of "
                                       "this run).", state.broken.kind, fatal=True)
            ctx.progress(agent, f"asking Bedrock ({model_id})")
            if agent == "supervisor":
                report = self._supervisor(ctx, offline, state, usage, model_id)
            else:
                report = self._single(agent, ctx, offline, state, usage, model_id)
            ctx.progress(agent, f"Bedrock: {usage.tokens_in} tokens in, {usage.tokens_out} out, ${usage.cost:.4f}")
            return report
        except BedrockCallError as exc:
            if exc.fatal and state.broken is None:
                state.broken = exc
            return degrade(offline, agent, str(exc), usage)
        except Exception as exc:  # never lose the offline result
            log.exception("bedrock refine failed for %s", agent)
            return degrade(offline, agent, f"The Bedrock {agent} agent failed internally ({type(exc).__name__}); "
                                            "the offline result is shown.", usage)

    # -- one call through cache, budget and ledger
    def _call(self, agent: str, ctx: AgentContext, request: dict[str, Any], usage: Usage) -> ConverseResult:
        prompt = PROMPTS[agent]
        model_id = request["modelId"]
        if model_id in self._no_prompt_cache and has_cache_points(request):
            request = without_cache_points(request)
        ledger = self.ledger(ctx)
        key = request_hash(model_id, prompt.version, request)
        hit = ledger.cached(key)
        if hit is not None:
            ledger.record(incident_id=ctx.incident_id, run_id=ctx.run_id, agent=agent, model_id=model_id, result=hit,
                          key=key)
            usage.add(hit, 0.0)
            return hit
        ledger.check_budget(ctx.incident_id, ctx.run_id, model_id, request, request["inferenceConfig"]["maxTokens"])
        try:
            result = self.client().converse(request)
        except BedrockCallError as exc:
            ledger.record(incident_id=ctx.incident_id, run_id=ctx.run_id, agent=agent, model_id=model_id, result=None,
                          key=key, status=exc.kind, error=str(exc))
            if exc.kind == "validation" and "cach" in str(exc).lower() and has_cache_points(request):
                self._no_prompt_cache.add(model_id)  # this model (or region) rejects prompt caching
                return self._call(agent, ctx, without_cache_points(request), usage)
            raise
        cost = ledger.record(incident_id=ctx.incident_id, run_id=ctx.run_id, agent=agent, model_id=model_id,
                             result=result, key=key, status="ok" if result.stop_reason in STOP_REASONS else "unknown")
        usage.add(result, cost)
        if STOP_REASONS.get(result.stop_reason, ("fail", ""))[0] == "ok":
            ledger.put(key, model_id, result)
        return result

    # -- log / metrics / vision: one forced tool, one re-ask (analysis.llm.conversation)
    def _single(self, agent: str, ctx: AgentContext, offline: AgentReport, state: _RunState, usage: Usage,
                model_id: str) -> AgentReport:
        prompt = PROMPTS[agent]
        red = state.redactor
        text = json.dumps(red.redact_obj(build_payload(agent, ctx, offline, red)), ensure_ascii=False,
                          separators=(",", ":"))
        content: list[dict[str, Any]] = [{"text": text}]
        notes: list[Gap] = []
        sent: list[tuple[Any, Any]] = []
        if agent == "vision":
            for art in ctx.of_kind(ArtifactKind.screenshot)[:MAX_IMAGES]:
                try:
                    image = art.image()
                    block = prepare_image(image, red)
                except Exception as exc:
                    notes.append(Gap(what=f"screenshot {art.name} (model)", why=f"not sent: {exc}"))
                    continue
                if block is None:
                    notes.append(Gap(what=f"screenshot {art.name} (model)",
                                     why="not sent to Bedrock: OCR is unavailable, so its text could not be checked for secrets",
                                     would_settle="install tesseract-ocr"))
                    continue
                content.append({"text": f"Screenshot {red.redact(art.name)} ({image.width}x{image.height} px):"})
                content.append(block[0])
                sent.append((art, image.size))
        messages = [{"role": "user", "content": content}]
        tools = [answer_tool(agent)]
        choice = {"tool": {"name": prompt.tool_name}}
        answer = ask_validated(lambda request: self._call(agent, ctx, request, usage), agent, model_id, messages, tools,
                               choice)
        restored = prompt.output.model_validate(red.restore_obj(answer.model_dump(mode="json")))
        report = merge_review(agent, offline, restored, sent)
        report.gaps.extend(notes)
        return stamp(report, agent, model_id, usage)

    # -- supervisor: bounded tool loop (analysis.llm.tool_loop)
    def _supervisor(self, ctx: AgentContext, offline: AgentReport, state: _RunState, usage: Usage,
                    model_id: str) -> AgentReport:
        red = state.redactor
        cache_prefix = bool(PROMPT_CACHE_MODELS.search(model_id)) and model_id not in self._no_prompt_cache
        answer, tool_calls = run_supervisor_loop(lambda request: self._call("supervisor", ctx, request, usage), ctx,
                                                 offline, red, model_id, self.settings.bedrock_max_steps,
                                                 cache_prefix=cache_prefix)
        restored = SupervisorAnswer.model_validate(red.restore_obj(answer.model_dump(mode="json")))
        report = merge_supervisor(offline, restored, ctx)
        if tool_calls:
            ctx.progress("supervisor", f"Bedrock used {tool_calls} tool call(s)")
        return stamp(report, "supervisor", model_id, usage)
