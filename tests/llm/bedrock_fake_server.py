"""A small local HTTP server speaking Bedrock Converse (``POST /model/{modelId}/converse``) for tests and the bench.

It records every request body as received, answers deterministically from the request (forced
answer tools get a valid input built from the finding ids in the payload; the supervisor first
calls ``search_logs`` and then submits), reports token usage, and can be told to fail with an
AWS error type or to die after N requests (connection refused afterwards).
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass
class Recorded:
    model_id: str
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    def images(self) -> list[bytes]:
        out = []
        for msg in self.json().get("messages", []):
            for block in msg.get("content", []):
                if "image" in block:
                    out.append(base64.b64decode(block["image"]["source"]["bytes"]))
        return out


def _payload(req: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(req["messages"][0]["content"][0]["text"])
    except Exception:
        return {}


def default_brain(req: dict[str, Any], n: int) -> dict[str, Any]:
    """A deterministic stand-in for the model."""
    tools = [t["toolSpec"]["name"] for t in req.get("toolConfig", {}).get("tools", [])]
    choice = req.get("toolConfig", {}).get("toolChoice", {})
    answer = next((t for t in tools if t.startswith("submit_")), None)
    if answer is None:
        return {"stop": "end_turn", "content": [{"text": "pong"}]}
    payload = _payload(req)
    ids = [f["id"] for f in payload.get("findings", [])]
    had_results = any("toolResult" in b for m in req["messages"] for b in m.get("content", []))
    if answer == "submit_analysis":
        if "any" in choice and not had_results and "search_logs" in tools:
            return {"stop": "tool_use", "content": [
                {"text": "Checking the logs first."},
                {"toolUse": {"toolUseId": f"tu-{n}-a", "name": "search_logs", "input": {"text": "error", "limit": 5}}},
                {"toolUse": {"toolUseId": f"tu-{n}-b", "name": "metric_window", "input": {"series": "no-such-series"}}}]}
        hyps = []
        for h in payload.get("engine_hypotheses", [])[:3]:
            hyps.append({"category": h["category"], "service": h.get("service"), "onset": h.get("onset"),
                         "statement": f"Model view: {h.get('statement', '')[:200]}", "confidence": 0.99,
                         "finding_ids": (h.get("finding_ids") or ids[:1] or ["none"])[:3],
                         "reasoning": ["the engine's evidence fits"], "refines": h["id"]})
        if not hyps and ids:
            hyps.append({"category": "dependency_failure", "statement": "Model-only guess.", "confidence": 0.9,
                         "finding_ids": ids[:2]})
        inp = {"summary": "Model summary.", "hypotheses": hyps, "gaps": ["a deploy log would settle the onset"]}
    else:
        inp = {"summary": f"Model review of {len(ids)} findings.",
               "finding_notes": [{"finding_id": i, "relevance": "high" if k == 0 else "low", "note": "seen"}
                                 for k, i in enumerate(ids[:3])],
               "missing": []}
        if answer == "submit_vision_review":
            inp.update({"incident_visible": True, "panels": [{"title": "panel", "incident_visible": True,
                                                             "direction": "up", "note": "spike"}]})
    return {"stop": "tool_use", "content": [{"toolUse": {"toolUseId": f"tu-{n}", "name": answer, "input": inp}}]}


def _block_tokens(block: dict[str, Any]) -> int:
    """Text: characters / 4; images: width x height / 750 (Anthropic's published estimate)."""
    from PIL import Image

    if "image" in block:
        w, h = Image.open(io.BytesIO(base64.b64decode(block["image"]["source"]["bytes"]))).size
        return w * h // 750
    return len(json.dumps(block)) // 4


def input_tokens(req: dict[str, Any], prompt_cache: set[str] | None = None) -> tuple[int, int, int]:
    """(input, cache read, cache write) tokens. Everything up to a ``cachePoint`` is a cacheable prefix, as
    Bedrock documents it: read from the cache when the same prefix was written before, else written."""
    head = (len(json.dumps(req.get("system", []))) + len(json.dumps(req.get("toolConfig", {})))) // 4
    total, prefix, prefix_key = head, None, ""
    for mi, msg in enumerate(req.get("messages", [])):
        for bi, block in enumerate(msg.get("content", [])):
            if "cachePoint" in block:
                prefix = total
                prefix_key = json.dumps([req.get("system"), req.get("toolConfig"), req["messages"][:mi],
                                         msg["content"][:bi]], sort_keys=True)
                continue
            total += _block_tokens(block)
    if prefix is None or prompt_cache is None:
        return total, 0, 0
    if prefix_key in prompt_cache:
        return total - prefix, prefix, 0
    prompt_cache.add(prefix_key)
    return total - prefix, 0, prefix


@dataclass
class FakeConverse:
    """Run with ``with FakeConverse() as fake: fake.url``."""

    brain: Any = default_brain
    die_after: int | None = None
    error: tuple[int, str, str] | None = None
    errors_first: list[tuple[int, str, str]] = field(default_factory=list)
    delay_s: float = 0.0
    prompt_cache: set[str] = field(default_factory=set)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.split("/")
                model_id = unquote(parts[2]) if len(parts) > 3 and parts[1] == "model" else ""
                with fake._lock:
                    fake.requests.append(Recorded(model_id, body))
                    n = len(fake.requests)
                    scripted = fake.errors_first.pop(0) if fake.errors_first else None
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                if scripted is not None or fake.error is not None:
                    status, etype, message = scripted or fake.error
                    data = json.dumps({"message": message}).encode()
                    self.send_response(status)
                    self.send_header("x-amzn-ErrorType", etype)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                req = json.loads(body)
                out = fake.brain(req, n)
                with fake._lock:
                    tin, read, write = input_tokens(req, fake.prompt_cache)
                tout = len(json.dumps(out["content"])) // 4
                usage = {"inputTokens": tin, "outputTokens": tout, "totalTokens": tin + read + write + tout}
                if read or write:
                    usage.update(cacheReadInputTokens=read, cacheWriteInputTokens=write)
                resp = {"output": {"message": {"role": "assistant", "content": out["content"]}},
                        "stopReason": out["stop"],
                        "usage": usage,
                        "metrics": {"latencyMs": 3}}
                data = json.dumps(resp).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                if fake.die_after is not None and n >= fake.die_after:
                    threading.Thread(target=fake.stop, daemon=True).start()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._stopped = False

    def start(self) -> "FakeConverse":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeConverse":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def bodies(self) -> list[bytes]:
        return [r.body for r in self.requests]
