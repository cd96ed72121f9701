"""The supervisor's bounded tool loop over the incident's own data, and its tools.

``run_supervisor_loop`` sends the redacted supervisor payload with the answer tool and the data
tools (``search_logs``, ``metric_window``, ``similar_incidents``), runs each tool call locally
(arguments de-anonymised, outputs redacted and truncated to :data:`TOOL_OUTPUT_CHARS`; failures
go back as ``status: error``) and stops at the first valid ``submit_analysis`` or after
``max_steps`` (the last step forces the answer tool). The Converse call is injected.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from analysis.agents.base import AgentContext
from analysis.llm.conversation import Call, build_request, reask_messages, stop_action, tool_result, validation_text
from analysis.llm.errors_map import BedrockCallError
from analysis.llm.payloads import build_payload, compact, dump
from analysis.llm.prompts import PROMPTS, SUPERVISOR_TOOLS, SupervisorAnswer, answer_tool, supervisor_tools
from analysis.llm.redact import Redactor
from analysis.models import AgentReport, ArtifactKind, utc

TOOL_OUTPUT_CHARS = 4000


class ToolError(Exception):
    """A supervisor tool could not answer; goes back to the model as ``status: error``."""


def run_supervisor_loop(call: Call, ctx: AgentContext, offline: AgentReport, red: Redactor, model_id: str,
                        max_steps: int, cache_prefix: bool = False) -> tuple[SupervisorAnswer, int]:
    """The model's validated (still redacted) answer and the number of data-tool calls it made.

    ``cache_prefix`` puts a ``cachePoint`` after the payload so later steps read it from the prompt cache.
    """
    prompt = PROMPTS["supervisor"]
    text = json.dumps(red.redact_obj(build_payload("supervisor", ctx, offline, red)), ensure_ascii=False,
                      separators=(",", ":"))
    max_steps = max(1, int(max_steps))
    first: list[dict[str, Any]] = [{"text": text}]
    if max_steps > 1 and cache_prefix:
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
        result = call(build_request("supervisor", model_id, messages, tools, choice))
        action, why = stop_action(result)
        if action == "fail":
            raise BedrockCallError(f"The Bedrock supervisor gave no usable answer: {why}.", result.stop_reason)
        uses = result.tool_uses()
        if not uses:
            problem = why or "no tool was called"
            if reasked:
                break
            reasked = True
            messages = reask_messages(messages, result, f"Call a tool; to finish call {prompt.tool_name}.")
            continue
        results = []
        for use in uses:
            name = use.get("name")
            if name == prompt.tool_name:
                try:
                    answer = SupervisorAnswer.model_validate(use.get("input") or {})
                    results.append(tool_result(use, "success", {"accepted": True}))
                except ValidationError as exc:
                    problem = validation_text(exc)
                    results.append(tool_result(use, "error", f"Invalid input: {problem}. Call "
                                                              f"{prompt.tool_name} again with corrected input."))
                continue
            tool_calls += 1
            try:
                out = run_tool(name, use.get("input") or {}, ctx, red)
                results.append(tool_result(use, "success", out))
            except ToolError as exc:
                results.append(tool_result(use, "error", red.redact(str(exc))))
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
    return answer, tool_calls


def run_tool(name: str | None, raw: dict[str, Any], ctx: AgentContext, red: Redactor) -> dict[str, Any]:
    """Run one data tool: arguments de-anonymised and validated, output redacted and truncated."""
    if name not in SUPERVISOR_TOOLS:
        raise ToolError(f"Unknown tool {name!r}; available: {', '.join(sorted(SUPERVISOR_TOOLS))}.")
    model = SUPERVISOR_TOOLS[name][1]
    try:
        args = model.model_validate(red.restore_obj(raw))
    except ValidationError as exc:
        raise ToolError(f"Invalid arguments: {validation_text(exc)}") from None
    if name == "search_logs":
        out = search_logs(ctx, args)
    elif name == "metric_window":
        out = metric_window(ctx, args)
    else:
        out = similar_incidents(ctx, args)
    return truncate_output(red.redact_obj(out), TOOL_OUTPUT_CHARS)


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
            d = dump(la)
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
    start, end = utc(args.start), utc(args.end)
    known: list[str] = []
    for art in ctx.of_kind(ArtifactKind.metrics):
        try:
            table = art.metric_table()
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
    return {"results": [compact(dump(h) if not isinstance(h, dict) else h, max_list=5, max_str=300) for h in hits]}


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
