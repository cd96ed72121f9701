"""The Bedrock LLM backend: refines each agent's deterministic report through the Converse API.

Per agent: a redacted JSON payload of the engine's findings (plus, for vision, the screenshots as
image blocks with sensitive text blacked out) and one *forced* answer tool generated from the
agent's pydantic output model (:mod:`analysis.llm.prompts`). The ``toolUse`` input is validated;
on a validation error the model is re-asked once with the error, then the offline report is kept
and marked degraded. Stop reasons are mapped in :data:`STOP_REASONS`. The supervisor runs a
bounded tool loop (``search_logs``, ``metric_window``, ``similar_incidents``; ``max_steps`` from
Settings; tool failures go back as ``status: error``; outputs truncated to a budget). Confidence is
capped by code: never above the offline engine's evidence-based confidence for that cause.

Every call goes through the ledger/cache/budget (:mod:`analysis.llm.cost`); any failure returns the
offline report with ``degraded=True``, a one-sentence reason and a Gap — the analysis is never lost.
A fatal failure (credentials, access, unreachable endpoint, budget) stops further calls this run.
"""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from analysis.agents.base import AgentContext
from analysis.llm.bedrock import ConverseClient, ConverseResult, make_boto_client
from analysis.llm.cost import Ledger, MemoryStore, price_table, request_hash
from analysis.llm.errors_map import BedrockCallError
from analysis.llm.prompts import (
    PROMPTS, SUPERVISOR_TOOLS, AgentReview, SupervisorAnswer, VisionReview, answer_tool, supervisor_tools,
)
from analysis.llm.redact import Redactor, redact_image
from analysis.models import AgentReport, ArtifactKind, EvidenceRef, Finding, Gap, Hypothesis, utc
from analysis.settings import Settings

log = logging.getLogger(__name__)

#: Converse stop reason -> (action, one-sentence explanation). ``ok``: use the answer; ``reask``:
#: ask once more; ``fail``: give up on this agent (offline result, degraded).
STOP_REASONS: dict[str, tuple[str, str]] = {
    "tool_use": ("ok", ""),
    "end_turn": ("reask", "the model answered in prose instead of calling the answer tool"),
    "stop_sequence": ("reask", "the model stopped at a stop sequence before calling the answer tool"),
    "max_tokens": ("reask", "the model's answer was cut off at the output token limit"),
    "malformed_tool_use": ("reask", "the model produced a malformed tool call"),
    "malformed_model_output": ("reask", "the model produced malformed output"),
    "content_filtered": ("fail", "Bedrock's content filter blocked the model's answer"),
    "guardrail_intervened": ("fail", "a Bedrock guardrail blocked the request or the answer"),
    "model_context_window_exceeded": ("fail", "the input exceeded the model's context window"),
}

MAX_TOKENS = {"log": 2000, "metrics": 2000, "vision": 2500, "supervisor": 4000}
MAX_FINDINGS = {"log": 40, "metrics": 40, "vision": 30, "supervisor": 60}
TOOL_OUTPUT_CHARS = 4000
MAX_IMAGES = 6
IMAGE_MAX_EDGE = 1568
IMAGE_MAX_BYTES = 3_750_000
NEW_CATEGORY_CAP = 0.30
MAX_RUN_STATES = 32
#: Models whose Converse API accepts ``cachePoint`` blocks (prompt caching); used for the supervisor loop,
#: where every step resends the same prefix. A model that rejects it is remembered and called without.
PROMPT_CACHE_MODELS = re.compile(r"anthropic\.claude-(?:3-5-haiku|3-7-sonnet|sonnet-4|opus-4|haiku-4-5)|amazon\.nova-")
_SEV_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_REL_RANK = {"high": 0, "medium": 1, None: 2, "low": 3, "noise": 4}


class PayloadPreview(BaseModel):
    """What one agent would send (already redacted): shown before the first call of an analysis."""

    agent: str
    model: str
    prompt_version: str
    system: str
    text: str
    images: list[str] = Field(default_factory=list)
    redactions: dict[str, int] = Field(default_factory=dict)


class ToolError(Exception):
    """A supervisor tool could not answer; goes back to the model as ``status: error``."""


@dataclass
class _Usage:
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    calls: int = 0

    def add(self, result: ConverseResult, cost: float) -> None:
        self.tokens_in += result.tokens_in + result.cache_read + result.cache_write
        self.tokens_out += result.tokens_out
        self.cost = round(self.cost + cost, 6)
        self.calls += 1


@dataclass
class _RunState:
    redactor: Redactor = field(default_factory=Redactor)
    broken: BedrockCallError | None = None


# ------------------------------------------------------------------------------------ payloads
def _dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    return dict(obj) if isinstance(obj, dict) else {}


def _compact(obj: Any, *, max_list: int = 15, max_str: int = 300, depth: int = 5, red: Redactor | None = None) -> Any:
    """Bound a JSON-like structure: long lists cut, long strings cut (after redaction, so no secret is
    cut into an unrecognisable fragment), deep nesting dropped."""
    if isinstance(obj, str):
        obj = red.redact(obj) if red is not None else obj
        return obj if len(obj) <= max_str else obj[: max_str - 1] + "…"
    if depth <= 0:
        return None
    if isinstance(obj, dict):
        return {(red.redact(k) if red is not None else k): _compact(v, max_list=max_list, max_str=max_str, depth=depth - 1, red=red) for k, v in obj.items()
                if v not in (None, [], {}, "")}
    if isinstance(obj, (list, tuple)):
        return [_compact(v, max_list=max_list, max_str=max_str, depth=depth - 1, red=red) for v in list(obj)[:max_list]]
    if isinstance(obj, float):
        return round(obj, 4)
    return obj


def _finding_view(f: Finding, red: Redactor | None = None) -> dict[str, Any]:
    view = {"id": f.id, "agent": f.agent, "kind": f.kind, "title": f.title, "detail": f.detail, "severity": f.severity,
            "service": f.service, "start": f.start.isoformat() if f.start else None,
            "end": f.end.isoformat() if f.end else None, "signals": f.signals, "score": round(f.score, 3),
            "evidence": [{"at": e.locator(), "excerpt": e.excerpt} for e in f.evidence[:3]]}
    return _compact(view, max_str=300, red=red)


def _top_findings(findings: list[Finding], limit: int) -> list[Finding]:
    ranked = sorted(findings, key=lambda f: (_SEV_RANK.get(f.severity, 5), -f.score, f.id))
    return ranked[:limit]


def _incident_view(ctx: AgentContext, red: Redactor | None = None) -> dict[str, Any]:
    inc = ctx.incident
    return _compact({"title": inc.title, "description": inc.description, "services": inc.services,
                     "severity": getattr(inc.severity, "value", str(inc.severity))}, max_str=2000, red=red)


def _log_context(ctx: AgentContext, red: Redactor | None = None) -> list[dict[str, Any]]:
    out = []
    for la in ctx.engine_outputs.get("log", []):
        d = _dump(la)
        templates = sorted(d.get("templates", []), key=lambda t: (not t.get("is_error"), -int(t.get("count") or 0),
                                                                  str(t.get("id"))))[:25]
        out.append(_compact({
            "file": d.get("name"), "format": d.get("format"), "lines": d.get("line_count"),
            "start": d.get("start"), "end": d.get("end"), "services": d.get("services"),
            "templates": [{"id": t.get("id"), "template": t.get("template"), "count": t.get("count"),
                           "level": t.get("level"), "first_seen": t.get("first_seen"), "last_seen": t.get("last_seen"),
                           "error": t.get("is_error")} for t in templates],
            "notes": d.get("notes")}, max_list=25, max_str=240, red=red))
    return out


def _metric_context(ctx: AgentContext, red: Redactor | None = None) -> list[dict[str, Any]]:
    out = []
    for ma in ctx.engine_outputs.get("metrics", []):
        d = _dump(ma)
        series = sorted(d.get("series", []), key=lambda s: (-float(s.get("score_max") or 0), str(s.get("name"))))[:30]
        out.append(_compact({
            "file": d.get("name"), "layout": d.get("layout"),
            "series": [{"name": s.get("name"), "unit": s.get("unit"), "service": s.get("service"), "n": s.get("n"),
                        "start": s.get("start"), "end": s.get("end"), "onset": s.get("onset"),
                        "score_max": s.get("score_max"), "anomalies": (s.get("anomalies") or [])[:3],
                        "change_points": (s.get("change_points") or [])[:3]} for s in series],
            "onset_order": d.get("onset_order"), "groups": d.get("groups"), "notes": d.get("notes")},
            max_list=30, max_str=200, red=red))
    return out


def _vision_context(ctx: AgentContext, red: Redactor | None = None) -> list[dict[str, Any]]:
    out = []
    for sr in ctx.engine_outputs.get("vision", []):
        d = _dump(sr)
        for volatile in ("findings", "seconds"):  # findings are sent separately; timings would defeat the cache
            d.pop(volatile, None)
        out.append(_compact(d, max_list=24, max_str=200, red=red))
    return out


def _hypothesis_view(h: Hypothesis, red: Redactor | None = None) -> dict[str, Any]:
    return _compact({"id": h.id, "category": h.category.value, "service": h.service,
                     "onset": h.onset.isoformat() if h.onset else None, "confidence": round(h.confidence, 3),
                     "statement": h.statement, "finding_ids": h.finding_ids[:15], "reasoning": h.reasoning[:6]},
                    max_str=400, red=red)


def build_payload(agent: str, ctx: AgentContext, offline: AgentReport, red: Redactor | None = None) -> dict[str, Any]:
    """The JSON payload for ``agent``; every string is redacted (before truncation) when ``red`` is given."""
    payload: dict[str, Any] = {"incident": _incident_view(ctx, red)}
    if agent == "supervisor":
        findings = [f for name in ("log", "metrics", "vision") for f in ctx.reports.get(name, AgentReport(agent=name)).findings]
        payload["findings"] = [_finding_view(f, red) for f in _top_findings(findings, MAX_FINDINGS[agent])]
        payload["engine_hypotheses"] = [_hypothesis_view(h, red) for h in offline.hypotheses[:8]]
        sup = (ctx.engine_outputs.get("supervisor") or [None])[0]
        if sup is not None:
            d = _dump(sup)
            payload["timeline"] = _compact(d.get("timeline", []), max_list=30, max_str=160, red=red)
            payload["similar_incidents"] = _compact(d.get("similar", []), max_list=5, max_str=300, red=red)
        payload["gaps"] = _compact([g.model_dump() for g in offline.gaps[:10]], red=red)
        payload["logs"] = [{"file": x.get("file"), "templates": x.get("templates", [])[:10]} for x in _log_context(ctx, red)]
        payload["metric_series"] = [{"file": m.get("file"), "series": [s.get("name") for s in m.get("series", [])]}
                                    for m in _metric_context(ctx, red)]
        return payload
    payload["findings"] = [_finding_view(f, red) for f in _top_findings(offline.findings, MAX_FINDINGS[agent])]
    payload["gaps"] = _compact([g.model_dump() for g in offline.gaps[:10]], red=red)
    if agent == "log":
        payload["logs"] = _log_context(ctx, red)
    elif agent == "metrics":
        payload["metrics"] = _metric_context(ctx, red)
    elif agent == "vision":
        payload["screenshots"] = _vision_context(ctx, red)
    return payload


def _has_material(agent: str, ctx: AgentContext, offline: AgentReport) -> bool:
    if agent == "supervisor":
        return bool(offline.hypotheses) or any(r.findings for r in ctx.reports.values())
    if agent == "vision":
        return bool(offline.findings) or bool(ctx.of_kind(ArtifactKind.screenshot))
    return bool(offline.findings)


def prepare_image(image: Any, redactor: Redactor) -> tuple[dict[str, Any], int] | None:
    """Resize within Bedrock's limits, black out sensitive text, encode; None when it cannot be checked."""
    img = image.convert("RGB")
    scale = min(1.0, IMAGE_MAX_EDGE / max(img.size))
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    masked = redact_image(img, redactor)
    if masked is None:
        return None
    img, boxes = masked
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    data, fmt = buf.getvalue(), "png"
    quality = 85
    while len(data) > IMAGE_MAX_BYTES and quality >= 40:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality)
        data, fmt = buf.getvalue(), "jpeg"
        quality -= 15
    return {"image": {"format": fmt, "source": {"bytes": data}}}, boxes


def preview_payload(agent: str, ctx: AgentContext, offline: AgentReport | None = None,
                    redactor: Redactor | None = None) -> PayloadPreview:
    """The redacted text an agent would send, the images it would attach and what was redacted."""
    offline = offline or ctx.reports.get(agent) or AgentReport(agent=agent)
    redactor = redactor or Redactor()
    text = json.dumps(redactor.redact_obj(build_payload(agent, ctx, offline, redactor)), ensure_ascii=False, indent=1)
    images = [a.name for a in ctx.of_kind(ArtifactKind.screenshot)[:MAX_IMAGES]] if agent == "vision" else []
    prompt = PROMPTS[agent]
    return PayloadPreview(agent=agent, model=model_for(ctx.settings, agent), prompt_version=prompt.version,
                          system=prompt.system, text=text, images=images, redactions=redactor.counts())


class _CaptureBackend:
    """Pipeline backend that records each agent's context and offline report and changes nothing."""

    name = "preview"

    def __init__(self) -> None:
        self.seen: dict[str, tuple[AgentContext, AgentReport]] = {}

    def refine(self, agent: str, ctx: AgentContext, offline: AgentReport) -> AgentReport:
        self.seen[agent] = (ctx, offline)
        return offline


def preview_analysis(incident: Any, artifacts: list[Any], settings: Settings, *, knowledge: Any = None,
                     incident_id: str = "", run_id: str = "preview") -> list[PayloadPreview]:
    """What every agent would send for this incident, before any call: runs the offline engines once and
    redacts each agent's payload with one shared redactor (the same placeholders a real run would use)."""
    from analysis.pipeline import analyze

    capture = _CaptureBackend()
    analyze(incident, artifacts, settings=settings, backend=capture, knowledge=knowledge, incident_id=incident_id,
            run_id=run_id)
    red = Redactor()
    out = []
    for agent in ("log", "metrics", "vision", "supervisor"):
        if agent in capture.seen:
            ctx, offline = capture.seen[agent]
            out.append(preview_payload(agent, ctx, offline, red))
    return out


def model_for(settings: Settings, agent: str) -> str:
    return str(getattr(settings, f"bedrock_model_{agent}"))


# ------------------------------------------------------------------------------------ the backend
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
        usage = _Usage()
        model_id = model_for(self.settings, agent)
        try:
            if not _has_material(agent, ctx, offline):
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
            return _degrade(offline, agent, str(exc), usage)
        except Exception as exc:  # never lose the offline result
            log.exception("bedrock refine failed for %s", agent)
            return _degrade(offline, agent, f"The Bedrock {agent} agent failed internally ({type(exc).__name__}); "
                                            "the offline result is shown.", usage)

    # -- one call through cache, budget and ledger
    def _call(self, agent: str, ctx: AgentContext, request: dict[str, Any], usage: _Usage) -> ConverseResult:
        prompt = PROMPTS[agent]
        model_id = request["modelId"]
        if model_id in self._no_prompt_cache and _has_cache_points(request):
            request = _without_cache_points(request)
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
            if exc.kind == "validation" and "cach" in str(exc).lower() and _has_cache_points(request):
                self._no_prompt_cache.add(model_id)  # this model (or region) rejects prompt caching
                return self._call(agent, ctx, _without_cache_points(request), usage)
            raise
        cost = ledger.record(incident_id=ctx.incident_id, run_id=ctx.run_id, agent=agent, model_id=model_id,
                             result=result, key=key, status="ok" if result.stop_reason in STOP_REASONS else "unknown")
        usage.add(result, cost)
        if STOP_REASONS.get(result.stop_reason, ("fail", ""))[0] == "ok":
            ledger.put(key, model_id, result)
        return result

    def _request(self, agent: str, model_id: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                 choice: dict[str, Any]) -> dict[str, Any]:
        return {"modelId": model_id, "system": [{"text": PROMPTS[agent].system}],
                "messages": messages,
                "toolConfig": {"tools": tools, "toolChoice": choice},
                "inferenceConfig": {"maxTokens": MAX_TOKENS[agent], "temperature": 0.0}}

    # -- log / metrics / vision: one forced tool, one re-ask
    def _single(self, agent: str, ctx: AgentContext, offline: AgentReport, state: _RunState, usage: _Usage,
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
        answer = self._ask_validated(agent, ctx, model_id, messages, tools, choice, usage)
        restored = prompt.output.model_validate(red.restore_obj(answer.model_dump(mode="json")))
        report = _merge_review(agent, offline, restored, sent)
        report.gaps.extend(notes)
        return _stamp(report, agent, model_id, usage)

    def _ask_validated(self, agent: str, ctx: AgentContext, model_id: str, messages: list[dict[str, Any]],
                       tools: list[dict[str, Any]], choice: dict[str, Any], usage: _Usage) -> BaseModel:
        prompt = PROMPTS[agent]
        problem = ""
        for attempt in range(2):
            result = self._call(agent, ctx, self._request(agent, model_id, messages, tools, choice), usage)
            action, why = STOP_REASONS.get(result.stop_reason, ("reask", f"unknown stop reason {result.stop_reason}"))
            if action == "fail":
                raise BedrockCallError(f"The Bedrock {agent} agent gave no usable answer: {why}.", result.stop_reason)
            uses = [u for u in result.tool_uses() if u.get("name") == prompt.tool_name]
            if uses:
                try:
                    return prompt.output.model_validate(uses[0].get("input") or {})
                except ValidationError as exc:
                    problem = _validation_text(exc)
                    if attempt == 0:
                        messages = messages + [result.message(), {"role": "user", "content": [
                            {"toolResult": {"toolUseId": uses[0]["toolUseId"], "status": "error", "content": [
                                {"text": f"Invalid input: {problem}. Call {prompt.tool_name} again with corrected input."}]}}]}]
                    continue
            problem = why or f"the model did not call {prompt.tool_name}"
            if attempt == 0:
                messages = _reask_messages(messages, result, f"You must answer by calling {prompt.tool_name} "
                                                             f"({problem}); keep the answer short.")
        raise BedrockCallError(f"The Bedrock {agent} agent's answer was unusable twice ({problem[:200]}); "
                               "the offline result is shown.", "invalid_answer")

    # -- supervisor: bounded tool loop
    def _supervisor(self, ctx: AgentContext, offline: AgentReport, state: _RunState, usage: _Usage,
                    model_id: str) -> AgentReport:
        prompt = PROMPTS["supervisor"]
        red = state.redactor
        text = json.dumps(red.redact_obj(build_payload("supervisor", ctx, offline, red)), ensure_ascii=False,
                          separators=(",", ":"))
        max_steps = max(1, int(self.settings.bedrock_max_steps))
        first: list[dict[str, Any]] = [{"text": text}]
        if max_steps > 1 and PROMPT_CACHE_MODELS.search(model_id) and model_id not in self._no_prompt_cache:
            first.append({"cachePoint": {"type": "default"}})  # later steps resend this prefix: read it from cache
        messages: list[dict[str, Any]] = [{"role": "user", "content": first}]
        tools = [answer_tool("supervisor"), *supervisor_tools()]
        reasked = False
        tool_calls = 0
        answer: SupervisorAnswer | None = None
        problem = ""
        for step in range(max_steps):
            last = step == max_steps - 1
            choice = {"tool": {"name": prompt.tool_name}} if last else {"any": {}}
            result = self._call("supervisor", ctx, self._request("supervisor", model_id, messages, tools, choice), usage)
            action, why = STOP_REASONS.get(result.stop_reason, ("reask", f"unknown stop reason {result.stop_reason}"))
            if action == "fail":
                raise BedrockCallError(f"The Bedrock supervisor gave no usable answer: {why}.", result.stop_reason)
            uses = result.tool_uses()
            if not uses:
                problem = why or "no tool was called"
                if reasked:
                    break
                reasked = True
                messages = _reask_messages(messages, result, f"Call a tool; to finish call {prompt.tool_name}.")
                continue
            results = []
            for use in uses:
                name = use.get("name")
                if name == prompt.tool_name:
                    try:
                        answer = SupervisorAnswer.model_validate(use.get("input") or {})
                        results.append(_tool_result(use, "success", {"accepted": True}))
                    except ValidationError as exc:
                        problem = _validation_text(exc)
                        results.append(_tool_result(use, "error", f"Invalid input: {problem}. Call "
                                                                  f"{prompt.tool_name} again with corrected input."))
                    continue
                tool_calls += 1
                try:
                    out = self._run_tool(name, use.get("input") or {}, ctx, red)
                    results.append(_tool_result(use, "success", out))
                except ToolError as exc:
                    results.append(_tool_result(use, "error", red.redact(str(exc))))
            if answer is not None:
                break
            if any(u.get("name") == prompt.tool_name for u in uses):
                if reasked:
                    break  # a second invalid answer: give up
                reasked = True
            elif last:
                problem = problem or f"the model did not call {prompt.tool_name} when it was forced to"
            messages = messages + [result.message(), {"role": "user", "content": results}]
        if answer is None:
            raise BedrockCallError(f"The Bedrock supervisor did not submit a valid analysis within {max_steps} steps "
                                   f"({problem[:160] or 'no answer'}); the offline ranking is shown.", "invalid_answer")
        restored = SupervisorAnswer.model_validate(red.restore_obj(answer.model_dump(mode="json")))
        report = merge_supervisor(offline, restored, ctx)
        if tool_calls:
            ctx.progress("supervisor", f"Bedrock used {tool_calls} tool call(s)")
        return _stamp(report, "supervisor", model_id, usage)

    def _run_tool(self, name: str | None, raw: dict[str, Any], ctx: AgentContext, red: Redactor) -> dict[str, Any]:
        if name not in SUPERVISOR_TOOLS:
            raise ToolError(f"Unknown tool {name!r}; available: {', '.join(sorted(SUPERVISOR_TOOLS))}.")
        model = SUPERVISOR_TOOLS[name][1]
        try:
            args = model.model_validate(red.restore_obj(raw))
        except ValidationError as exc:
            raise ToolError(f"Invalid arguments: {_validation_text(exc)}") from None
        if name == "search_logs":
            out = search_logs(ctx, args)
        elif name == "metric_window":
            out = metric_window(ctx, args)
        else:
            out = similar_incidents(ctx, args)
        return truncate_output(red.redact_obj(out), TOOL_OUTPUT_CHARS)


# ------------------------------------------------------------------------------------ tools
_TS_RE = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,]\d+)?\s*(Z|[+-]\d{2}:?\d{2})?")


def _line_time(line: str) -> datetime | None:
    m = _TS_RE.search(line)
    if not m:
        return None
    tz = m.group(3) or "+00:00"
    if tz == "Z":
        tz = "+00:00"
    elif ":" not in tz:
        tz = tz[:3] + ":" + tz[3:]
    try:
        return utc(datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{tz}"))
    except ValueError:
        return None


def search_logs(ctx: AgentContext, args: Any) -> dict[str, Any]:
    """Lines of the incident's logs matching text or a template id, optionally within a UTC range."""
    if not args.text and not args.template_id:
        raise ToolError("Give text or template_id.")
    wanted: dict[str, set[int]] = {}
    if args.template_id:
        for la in ctx.engine_outputs.get("log", []):
            d = _dump(la)
            for t in d.get("templates", []):
                if str(t.get("id")) == args.template_id:
                    wanted.setdefault(str(d.get("artifact_id")), set()).update(int(n) for n in t.get("lines", []))
        if not wanted:
            raise ToolError(f"No template with id {args.template_id!r}; use ids from the log findings.")
    start, end = utc(args.start), utc(args.end)
    needle = (args.text or "").lower()
    matches: list[dict[str, Any]] = []
    total = 0
    untimed = 0
    for art in ctx.of_kind(ArtifactKind.log):
        lines = art.lines()
        numbers = sorted(wanted.get(art.id, set())) if args.template_id else range(1, len(lines) + 1)
        for n in numbers:
            if n < 1 or n > len(lines):
                continue
            line = lines[n - 1]
            if needle and needle not in line.lower():
                continue
            if start or end:
                t = _line_time(line)
                if t is None:
                    untimed += 1
                    continue
                if (start and t < start) or (end and t > end):
                    continue
            total += 1
            if len(matches) < args.limit:
                matches.append({"file": art.name, "line": n, "text": line[:300]})
    out: dict[str, Any] = {"total_matches": total, "shown": len(matches), "matches": matches}
    if untimed:
        out["skipped_without_timestamp"] = untimed
    return out


def metric_window(ctx: AgentContext, args: Any) -> dict[str, Any]:
    """One series between start and end, downsampled to at most 60 points."""
    from analysis.engines.metrics import load_metrics  # type: ignore[attr-defined]

    start, end = utc(args.start), utc(args.end)
    known: list[str] = []
    for art in ctx.of_kind(ArtifactKind.metrics):
        try:
            table = load_metrics(art.payload(), art.name)
        except Exception as exc:
            raise ToolError(f"{art.name} could not be loaded ({type(exc).__name__}).") from None
        frame = table.frame
        names = [str(s) for s in frame["series"].unique()]
        known.extend(names)
        if args.series not in names:
            continue
        sel = frame[frame["series"].astype(str) == args.series]
        if start is not None:
            sel = sel[sel["timestamp"] >= start]
        if end is not None:
            sel = sel[sel["timestamp"] <= end]
        if sel.empty:
            raise ToolError(f"Series {args.series!r} has no points between {start} and {end}.")
        step = max(1, -(-len(sel) // 60))
        pts = sel.iloc[::step]
        vals = sel["value"].astype(float)
        return {"series": args.series, "file": art.name, "points": len(sel), "min": round(float(vals.min()), 4),
                "max": round(float(vals.max()), 4), "mean": round(float(vals.mean()), 4),
                "values": [[t.isoformat(), round(float(v), 4)] for t, v in zip(pts["timestamp"], pts["value"])]}
    raise ToolError(f"No series named {args.series!r}; known series: {', '.join(sorted(set(known))[:40]) or 'none'}.")


def similar_incidents(ctx: AgentContext, args: Any) -> dict[str, Any]:
    """Knowledge-base search (when a knowledge base was given to the analysis)."""
    kb = ctx.knowledge
    search = getattr(kb, "search", None) or getattr(getattr(kb, "kb", None), "search", None)
    if search is None:
        raise ToolError("No knowledge base is available for this analysis.")
    try:
        hits = search(args.text, k=5)
    except Exception as exc:
        raise ToolError(f"The knowledge-base search failed ({type(exc).__name__}).") from None
    return {"results": [_compact(_dump(h) if not isinstance(h, dict) else h, max_list=5, max_str=300) for h in hits]}


def truncate_output(obj: Any, budget: int) -> dict[str, Any]:
    """Keep a tool output within ``budget`` characters of JSON, dropping list items from the end."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    if len(text) <= budget:
        return obj if isinstance(obj, dict) else {"result": obj}
    obj = json.loads(text)
    for key in ("matches", "values", "results"):
        items = obj.get(key) if isinstance(obj, dict) else None
        while isinstance(items, list) and items and len(json.dumps(obj, ensure_ascii=False)) > budget:
            items.pop()
            obj["truncated"] = True
    text = json.dumps(obj, ensure_ascii=False)
    if len(text) > budget:
        return {"truncated": True, "text": text[: budget - 60]}
    return obj


def _has_cache_points(request: dict[str, Any]) -> bool:
    return any("cachePoint" in b for m in request.get("messages", []) for b in m.get("content", []))


def _without_cache_points(request: dict[str, Any]) -> dict[str, Any]:
    messages = [{**m, "content": [b for b in m["content"] if "cachePoint" not in b]} for m in request["messages"]]
    return {**request, "messages": messages}


def _tool_result(use: dict[str, Any], status: str, content: Any) -> dict[str, Any]:
    block = {"json": content} if isinstance(content, dict) else {"text": str(content)}
    return {"toolResult": {"toolUseId": use["toolUseId"], "status": status, "content": [block]}}


def _reask_messages(messages: list[dict[str, Any]], result: ConverseResult, note: str) -> list[dict[str, Any]]:
    """Append the model's turn (if any) and a user note; tool uses get error results so the turn is valid."""
    out = list(messages)
    content = [b for b in result.content if isinstance(b, dict) and ("text" in b or "toolUse" in b)]
    user: list[dict[str, Any]] = []
    if content:
        out.append({"role": "assistant", "content": content})
        for b in content:
            if "toolUse" in b:
                user.append(_tool_result(b["toolUse"], "error", "Not accepted."))
    user.append({"text": note})
    if out[-1]["role"] == "user":
        out[-1] = {"role": "user", "content": [*out[-1]["content"], *user]}
    else:
        out.append({"role": "user", "content": user})
    return out


def _validation_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{loc or 'input'}: {err.get('msg')}")
    return "; ".join(parts)


# ------------------------------------------------------------------------------------ merging
def _degrade(offline: AgentReport, agent: str, reason: str, usage: _Usage) -> AgentReport:
    report = offline.model_copy(deep=True)
    report.degraded = True
    report.degraded_reason = reason
    report.tokens_in += usage.tokens_in
    report.tokens_out += usage.tokens_out
    report.cost_usd = round(report.cost_usd + usage.cost, 6)
    report.gaps.append(Gap(what=f"bedrock {agent} agent", why=reason,
                           would_settle="the offline result is shown instead; fix the cause and re-run"))
    return report


def _stamp(report: AgentReport, agent: str, model_id: str, usage: _Usage) -> AgentReport:
    report.backend = "bedrock"
    report.model = model_id
    report.prompt_version = PROMPTS[agent].version
    report.tokens_in = usage.tokens_in
    report.tokens_out = usage.tokens_out
    report.cost_usd = usage.cost
    return report


def _merge_review(agent: str, offline: AgentReport, review: AgentReview, sent: list[tuple[Any, Any]]) -> AgentReport:
    report = offline.model_copy(deep=True)
    by_id = {f.id: f for f in report.findings}
    notes = {n.finding_id: n for n in review.finding_notes if n.finding_id in by_id}
    for fid, n in notes.items():
        f = by_id[fid]
        f.attributes = {**f.attributes, "llm_relevance": n.relevance, "llm_note": n.note}
    order = {f.id: i for i, f in enumerate(report.findings)}
    report.findings.sort(key=lambda f: (_REL_RANK.get(f.attributes.get("llm_relevance")), order[f.id]))
    cited = [by_id[fid] for fid, n in notes.items() if n.relevance in ("high", "medium")]
    evidence = [e for f in cited for e in f.evidence][:8]
    attributes: dict[str, Any] = {"cited": [f.id for f in cited],
                                  "ignored_ids": sorted({n.finding_id for n in review.finding_notes} - set(by_id))}
    if isinstance(review, VisionReview):
        attributes["incident_visible"] = review.incident_visible
        attributes["panels"] = [p.model_dump() for p in review.panels]
        for art, (w, h) in sent:
            evidence.append(EvidenceRef(kind="image_region", artifact_id=art.id, artifact_name=art.name,
                                        bbox=[0, 0, int(w), int(h)], excerpt="whole screenshot as sent to the model"))
    if evidence and review.summary.strip():
        report.findings.insert(0, Finding(
            id=f"{agent}-bedrock-review", agent=agent, kind="llm_review", title=f"Model review of the {agent} evidence",
            detail=review.summary.strip(), severity="info", evidence=evidence, attributes=attributes,
            score=0.0))
    for m in review.missing:
        if m.strip():
            report.gaps.append(Gap(what=f"{agent} (model)", why=m.strip()[:300]))
    return report


def _evidence_window(evs: list[EvidenceRef]) -> tuple[datetime | None, datetime | None]:
    times = [t for e in evs for t in (e.start, e.end) if t is not None]
    return (min(times), max(times)) if times else (None, None)


def merge_supervisor(offline: AgentReport, answer: SupervisorAnswer, ctx: AgentContext) -> AgentReport:
    """Model hypotheses over the engine's: evidence and the confidence cap come from code."""
    report = offline.model_copy(deep=True)
    findings = {f.id: f for r in ctx.reports.values() for f in r.findings}
    engine = list(report.hypotheses)
    by_id = {h.id: h for h in engine}
    used: set[str] = set()
    merged: list[tuple[float, int, Hypothesis]] = []
    dropped: list[str] = []
    for rank, draft in enumerate(answer.hypotheses):
        match = by_id.get(draft.refines or "") if draft.refines else None
        if match is not None and match.category != draft.category:
            match = None
        if match is None:
            match = next((h for h in engine if h.category == draft.category and h.id not in used
                          and (not draft.service or not h.service or h.service.lower() == draft.service.lower())), None)
        if match is None:
            match = next((h for h in engine if h.category == draft.category and h.id not in used), None)
        cited = [findings[i] for i in draft.finding_ids if i in findings]
        evidence = list(match.evidence) if match else []
        for f in cited:
            for e in f.evidence[:2]:
                if e not in evidence:
                    evidence.append(e)
        if not evidence:
            dropped.append(f"{draft.category.value}: cites no known finding with evidence")
            continue
        if match is not None:
            cap = match.confidence
            why_cap = f"capped at the engine's evidence-based confidence {cap:.2f}"
        else:
            cap = min(NEW_CATEGORY_CAP, 0.5 * max((f.score for f in cited), default=0.0))
            why_cap = (f"not proposed by the evidence engine: capped at {cap:.2f} "
                       f"(half the strongest cited finding, at most {NEW_CATEGORY_CAP:.2f})")
        conf = round(min(draft.confidence, cap), 3)
        lo, hi = _evidence_window(evidence)
        onset = match.onset if match else None
        if draft.onset is not None:
            o = utc(draft.onset)
            if lo is None or (lo - timedelta(minutes=10) <= o <= hi + timedelta(minutes=10)):
                onset = o
        reasoning = [f"model ({draft.confidence:.2f} stated) — {why_cap}", *draft.reasoning[:5]]
        if match is not None:
            if draft.service and match.service and draft.service.lower() != match.service.lower():
                reasoning.insert(1, f"culprit changed by the model from {match.service} to {draft.service}")
            reasoning += [f"engine: {r}" for r in match.reasoning[:6]]
            used.add(match.id)
        hyp = Hypothesis(
            id=match.id if match else f"hyp-bedrock-{rank + 1}", category=draft.category,
            service=draft.service or (match.service if match else None), onset=onset, statement=draft.statement,
            confidence=conf, status=match.status if match else "proposed", evidence=evidence,
            refuting=list(match.refuting) if match else [], reasoning=reasoning,
            remediation=list(match.remediation) if match else [],
            finding_ids=sorted(set((match.finding_ids if match else []) + [f.id for f in cited])))
        merged.append((conf, rank, hyp))
    if not merged:
        report.gaps.append(Gap(what="bedrock supervisor", why="the model proposed no hypothesis backed by known "
                                                              "evidence; the engine's ranking is kept"))
        return report
    for i, h in enumerate(engine):
        if h.id not in used:
            merged.append((h.confidence, len(answer.hypotheses) + i, h))
    merged.sort(key=lambda x: (-x[0], x[1]))
    report.hypotheses = [h for _, _, h in merged]
    for d in dropped:
        report.gaps.append(Gap(what="bedrock supervisor hypothesis dropped", why=d))
    for g in answer.gaps:
        if g.strip():
            report.gaps.append(Gap(what="supervisor (model)", why=g.strip()[:300]))
    return report

