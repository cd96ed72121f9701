"""The shape of one Converse exchange: request building, the stop-reason table, forced answers with one re-ask.

``build_request`` makes the Converse request of an agent (system prompt, tools, tool choice, token
limit); ``ask_validated`` asks for the agent's forced answer tool, validates the ``toolUse`` input
against the agent's pydantic model and re-asks once with the error. The call itself is injected
(``call(request) -> ConverseResult``), so cache, budget and ledger stay with the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from analysis.llm.bedrock import ConverseResult
from analysis.llm.errors_map import BedrockCallError
from analysis.llm.prompts import PROMPTS

Call = Callable[[dict[str, Any]], ConverseResult]

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


def stop_action(result: ConverseResult) -> tuple[str, str]:
    """(action, why) for the result's stop reason; an unknown reason is re-asked."""
    return STOP_REASONS.get(result.stop_reason, ("reask", f"unknown stop reason {result.stop_reason}"))


def build_request(agent: str, model_id: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                  choice: dict[str, Any]) -> dict[str, Any]:
    return {"modelId": model_id, "system": [{"text": PROMPTS[agent].system}],
            "messages": messages,
            "toolConfig": {"tools": tools, "toolChoice": choice},
            "inferenceConfig": {"maxTokens": MAX_TOKENS[agent], "temperature": 0.0}}


def ask_validated(call: Call, agent: str, model_id: str, messages: list[dict[str, Any]],
                  tools: list[dict[str, Any]], choice: dict[str, Any]) -> BaseModel:
    """The agent's validated answer; one re-ask with the problem, then ``BedrockCallError(invalid_answer)``."""
    prompt = PROMPTS[agent]
    problem = ""
    for attempt in range(2):
        result = call(build_request(agent, model_id, messages, tools, choice))
        action, why = stop_action(result)
        if action == "fail":
            raise BedrockCallError(f"The Bedrock {agent} agent gave no usable answer: {why}.", result.stop_reason)
        uses = [u for u in result.tool_uses() if u.get("name") == prompt.tool_name]
        if uses:
            try:
                return prompt.output.model_validate(uses[0].get("input") or {})
            except ValidationError as exc:
                problem = validation_text(exc)
                if attempt == 0:
                    messages = messages + [result.message(), {"role": "user", "content": [
                        {"toolResult": {"toolUseId": uses[0]["toolUseId"], "status": "error", "content": [
                            {"text": f"Invalid input: {problem}. Call {prompt.tool_name} again with corrected input."}]}}]}]
                continue
        problem = why or f"the model did not call {prompt.tool_name}"
        if attempt == 0:
            messages = reask_messages(messages, result, f"You must answer by calling {prompt.tool_name} "
                                                        f"({problem}); keep the answer short.")
    raise BedrockCallError(f"The Bedrock {agent} agent's answer was unusable twice ({problem[:200]}); "
                           "the offline result is shown.", "invalid_answer")


def has_cache_points(request: dict[str, Any]) -> bool:
    return any("cachePoint" in b for m in request.get("messages", []) for b in m.get("content", []))


def without_cache_points(request: dict[str, Any]) -> dict[str, Any]:
    messages = [{**m, "content": [b for b in m["content"] if "cachePoint" not in b]} for m in request["messages"]]
    return {**request, "messages": messages}


def tool_result(use: dict[str, Any], status: str, content: Any) -> dict[str, Any]:
    block = {"json": content} if isinstance(content, dict) else {"text": str(content)}
    return {"toolResult": {"toolUseId": use["toolUseId"], "status": status, "content": [block]}}


def reask_messages(messages: list[dict[str, Any]], result: ConverseResult, note: str) -> list[dict[str, Any]]:
    """Append the model's turn (if any) and a user note; tool uses get error results so the turn is valid."""
    out = list(messages)
    content = [b for b in result.content if isinstance(b, dict) and ("text" in b or "toolUse" in b)]
    user: list[dict[str, Any]] = []
    if content:
        out.append({"role": "assistant", "content": content})
        for b in content:
            if "toolUse" in b:
                user.append(tool_result(b["toolUse"], "error", "Not accepted."))
    user.append({"text": note})
    if out[-1]["role"] == "user":
        out[-1] = {"role": "user", "content": [*out[-1]["content"], *user]}
    else:
        out.append({"role": "user", "content": user})
    return out


def validation_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{loc or 'input'}: {err.get('msg')}")
    return "; ".join(parts)
