"""Cost and reuse of Bedrock calls: price table, call ledger, response cache, per-incident budget.

* Prices are USD per million tokens (input, output), matched by the longest key contained in the
  model id; ``Settings.bedrock_prices`` (if the lead adds it) overrides :data:`DEFAULT_PRICES`.
* :class:`Ledger` records every call (agent, model, tokens, latency, cost, cache hit, status) through
  the injected store (``record_llm_call`` / ``list_llm_calls`` / ``cache_get`` / ``cache_put`` of
  :class:`analysis.store.Store`, or :class:`MemoryStore` when nothing is stored), serves identical
  requests from the cache keyed by model + prompt version + input hash, and refuses a call that
  would exceed the per-incident budget.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from analysis.llm.bedrock import ConverseResult
from analysis.llm.errors_map import BedrockCallError

#: USD per 1M tokens (input, output); on-demand list prices, per model family.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "anthropic.claude-opus-4": (15.0, 75.0),
    "anthropic.claude-opus-4-5": (5.0, 25.0),
    "anthropic.claude-sonnet-4": (3.0, 15.0),
    "anthropic.claude-3-7-sonnet": (3.0, 15.0),
    "anthropic.claude-3-5-sonnet": (3.0, 15.0),
    "anthropic.claude-haiku-4-5": (1.0, 5.0),
    "anthropic.claude-3-5-haiku": (0.8, 4.0),
    "anthropic.claude-3-haiku": (0.25, 1.25),
    "amazon.nova-premier": (2.5, 12.5),
    "amazon.nova-pro": (0.8, 3.2),
    "amazon.nova-lite": (0.06, 0.24),
    "amazon.nova-micro": (0.035, 0.14),
    "meta.llama": (0.72, 0.72),
    "mistral.mistral-large": (2.0, 6.0),
    "default": (3.0, 15.0),
}


def price_table(settings: Any) -> dict[str, tuple[float, float]]:
    override = getattr(settings, "bedrock_prices", None)
    return {**DEFAULT_PRICES, **(override or {})}


def price_for(model_id: str, prices: dict[str, tuple[float, float]]) -> tuple[float, float]:
    keys = [k for k in prices if k != "default" and k in model_id]
    return prices[max(keys, key=len)] if keys else prices.get("default", DEFAULT_PRICES["default"])


#: Bedrock prompt-cache pricing relative to the input price: reads 10 %, writes 125 %.
CACHE_READ_FACTOR = 0.1
CACHE_WRITE_FACTOR = 1.25


def estimate_cost(model_id: str, tokens_in: int, tokens_out: int, prices: dict[str, tuple[float, float]],
                  cache_read: int = 0, cache_write: int = 0) -> float:
    p_in, p_out = price_for(model_id, prices)
    billed_in = tokens_in + cache_read * CACHE_READ_FACTOR + cache_write * CACHE_WRITE_FACTOR
    return round(billed_in * p_in / 1e6 + tokens_out * p_out / 1e6, 6)


def estimate_tokens(request: dict[str, Any]) -> int:
    """Rough input size: ~4 characters per token for text, ~1600 tokens per image."""
    images = 0
    chars = 0

    def walk(node: Any) -> None:
        nonlocal images, chars
        if isinstance(node, dict):
            if "image" in node and isinstance(node["image"], dict):
                images += 1
                return
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            chars += len(node)

    walk({k: v for k, v in request.items() if k != "modelId"})
    return chars // 4 + images * 1600


def request_hash(model_id: str, prompt_version: str, request: dict[str, Any]) -> str:
    """Cache key: model + prompt version + a hash of the (already redacted) request."""

    def default(o: Any) -> Any:
        if isinstance(o, (bytes, bytearray)):
            return hashlib.sha256(o).hexdigest()
        return str(o)

    body = json.dumps(request, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(f"{model_id}\n{prompt_version}\n{body}".encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class MemoryStore:
    """In-memory ledger + cache with the Store's method names (CLI runs without ``--db``, tests)."""

    def __init__(self, clock: Callable[[], datetime] = _now):
        self.clock = clock
        self.calls: list[dict[str, Any]] = []
        self.cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def record_llm_call(self, **fields: Any) -> None:
        with self._lock:
            fields.setdefault("id", f"llm-{len(self.calls) + 1:06d}")
            fields.setdefault("created_at", self.clock())
            self.calls.append(dict(fields))

    def list_llm_calls(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self.calls if incident_id is None or c.get("incident_id") == incident_id]

    def cache_get(self, request_hash: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self.cache.get(request_hash)
            return json.loads(json.dumps(hit)) if hit is not None else None

    def cache_put(self, request_hash: str, model: str, response: dict[str, Any]) -> None:
        with self._lock:
            self.cache[request_hash] = json.loads(json.dumps(response, default=str))


class Ledger:
    """Records calls, serves the cache and enforces the per-incident budget."""

    def __init__(self, store: Any, prices: dict[str, tuple[float, float]], budget_usd: float):
        self.store = store
        self.prices = prices
        self.budget_usd = float(budget_usd)

    def spent(self, incident_id: str, run_id: str = "") -> float:
        rows = self.store.list_llm_calls(incident_id or None)
        if not incident_id:
            rows = [r for r in rows if r.get("run_id") == run_id]
        return round(sum(float(r.get("cost_usd") or 0.0) for r in rows if not r.get("cache_hit")), 6)

    def check_budget(self, incident_id: str, run_id: str, model_id: str, request: dict[str, Any],
                     max_tokens: int) -> None:
        spent = self.spent(incident_id, run_id)
        worst = estimate_cost(model_id, estimate_tokens(request), max_tokens, self.prices)
        if spent + worst > self.budget_usd:
            raise BedrockCallError(
                f"The Bedrock budget for this incident (${self.budget_usd:.2f}) would be exceeded "
                f"(${spent:.2f} spent, next call up to ${worst:.2f}): raise SREWB_BEDROCK_BUDGET_USD "
                "or continue offline.", "budget", fatal=True)

    def cached(self, key: str) -> ConverseResult | None:
        hit = self.store.cache_get(key)
        if not hit:
            return None
        try:
            return ConverseResult.model_validate({**hit, "cache_hit": True, "latency_ms": 0.0})
        except Exception:
            return None

    def put(self, key: str, model_id: str, result: ConverseResult) -> None:
        self.store.cache_put(key, model_id, result.model_dump(mode="json", exclude={"cache_hit"}))

    def record(self, *, incident_id: str, run_id: str, agent: str, model_id: str, result: ConverseResult | None,
               key: str, status: str = "ok", error: str = "") -> float:
        """Write one ledger row; returns the call's cost (0 for cache hits)."""
        tin = (result.tokens_in + result.cache_read + result.cache_write) if result else 0
        tout = result.tokens_out if result else 0
        hit = bool(result and result.cache_hit)
        cost = 0.0 if hit or result is None else estimate_cost(model_id, result.tokens_in, tout, self.prices,
                                                                 result.cache_read, result.cache_write)
        self.store.record_llm_call(incident_id=incident_id, run_id=run_id, agent=agent, model=model_id,
                                   tokens_in=tin, tokens_out=tout, latency_ms=result.latency_ms if result else 0.0,
                                   cost_usd=cost, cache_hit=hit, status=status, error=error[:500],
                                   request_hash=key)
        return cost


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ledger rows grouped by incident and agent: calls, cache hits, tokens, cost (sorted)."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (str(r.get("incident_id") or ""), str(r.get("agent") or ""))
        g = groups.setdefault(key, {"incident_id": key[0], "agent": key[1], "calls": 0, "cache_hits": 0,
                                    "errors": 0, "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0})
        g["calls"] += 1
        g["cache_hits"] += int(bool(r.get("cache_hit")))
        g["errors"] += int((r.get("status") or "ok") != "ok")
        g["tokens_in"] += int(r.get("tokens_in") or 0)
        g["tokens_out"] += int(r.get("tokens_out") or 0)
        g["cost_usd"] = round(g["cost_usd"] + float(r.get("cost_usd") or 0.0), 6)
    return [groups[k] for k in sorted(groups)]
