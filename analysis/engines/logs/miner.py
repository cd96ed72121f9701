"""Streaming template miner: masked messages are clustered into templates with stable ids.

The algorithm is Drain-like (fixed-length token sequences bucketed by length and first constant
token, best match by the share of equal constant tokens, positions that differ become ``<*>``)
with three additions: stronger variable masking before clustering (:mod:`.masking`), a bounded
exact-message cache so repeated messages cost one dictionary lookup, and a final merge of
clusters whose templates become identical. Memory is bounded by ``max_clusters`` and
``cache_size``; a template id is ``"T"`` + 8 hex digits of the SHA-1 of its final text, so the
same template gets the same id in every run and file.
"""

from __future__ import annotations

import hashlib

from analysis.engines.logs.masking import WILDCARD, mask, normalize_template

_DIGITS = frozenset("0123456789")


def template_id(template: str) -> str:
    """Stable id of a template text."""
    return "T" + hashlib.sha1(template.encode("utf-8", "replace")).hexdigest()[:8]


class _Cluster:
    __slots__ = ("tokens", "count", "n_const")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.count = 0
        self.n_const = sum(1 for t in tokens if t != WILDCARD)


class TemplateMiner:
    """Assigns each message to a template cluster; ``add`` returns the cluster index."""

    def __init__(self, *, sim_threshold: float = 0.5, max_clusters: int = 20_000,
                 cache_size: int = 100_000, max_tokens: int = 120) -> None:
        self.sim_threshold = sim_threshold
        self.max_clusters = max_clusters
        self.cache_size = cache_size
        self.max_tokens = max_tokens
        self._clusters: list[_Cluster] = []
        self._buckets: dict[tuple[int, str], list[int]] = {}
        self._cache: dict[str, int] = {}
        self._masked_cache: dict[str, int] = {}
        self._fixed: dict[str, int] = {}
        self._fixed_ids: set[int] = set()
        self._overflow: int | None = None

    def __len__(self) -> int:
        return len(self._clusters)

    # -- public -----------------------------------------------------------------------------
    def add(self, message: str) -> int:
        """Mine one message (the part after the header); returns its cluster index."""
        idx = self._cache.get(message)
        if idx is not None:
            self._clusters[idx].count += 1
            return idx
        masked = mask(message)
        idx = self._masked_cache.get(masked)
        if idx is None:
            idx = self._match_or_create(masked)
            if len(self._masked_cache) >= self.cache_size:
                self._masked_cache.clear()
            self._masked_cache[masked] = idx
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[message] = idx
        self._clusters[idx].count += 1
        return idx

    def add_fixed(self, template: str) -> int:
        """Register an occurrence of a template computed elsewhere (e.g. an access-log request)."""
        idx = self._fixed.get(template)
        if idx is None:
            idx = self._new_cluster(template.split())
            self._fixed[template] = idx
            self._fixed_ids.add(idx)
        self._clusters[idx].count += 1
        return idx

    def template(self, idx: int) -> str:
        """The current (final, once the input is consumed) template text of a cluster."""
        text = " ".join(self._clusters[idx].tokens)
        return text if idx in self._fixed_ids else normalize_template(text)

    def count(self, idx: int) -> int:
        return self._clusters[idx].count

    def templates(self) -> list[tuple[int, str, int]]:
        """(cluster index, template text, count) for every cluster."""
        return [(i, self.template(i), c.count) for i, c in enumerate(self._clusters)]

    # -- internals --------------------------------------------------------------------------
    def _new_cluster(self, tokens: list[str]) -> int:
        self._clusters.append(_Cluster(tokens))
        return len(self._clusters) - 1

    def _match_or_create(self, masked: str) -> int:
        tokens = masked.split()
        if len(tokens) > self.max_tokens:
            tokens = tokens[: self.max_tokens - 1] + [WILDCARD]
        n = len(tokens)
        first = tokens[0] if tokens else ""
        if WILDCARD in first or not _DIGITS.isdisjoint(first):
            first = WILDCARD
        key = (n, first)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = []
        best, best_key, best_sim, best_mism = -1, (False, -1.0, -1), 0.0, 1
        clusters = self._clusters
        for ci in bucket:
            ct = clusters[ci].tokens
            eq = 0
            params = 0
            for a, b in zip(ct, tokens):
                if a == b:
                    eq += 1
                elif a == WILDCARD:
                    params += 1
            sim = eq / n if n else 1.0
            mism = n - eq - params
            key2 = (mism == 0, sim, params)
            if key2 > best_key:
                best, best_key, best_sim, best_mism = ci, key2, sim, mism
        if best >= 0 and (best_mism == 0 or best_sim >= self.sim_threshold):
            c = clusters[best]
            ct = c.tokens
            if any(a != b and a != WILDCARD for a, b in zip(ct, tokens)):
                c.tokens = [a if a == b else WILDCARD for a, b in zip(ct, tokens)]
                c.n_const = sum(1 for t in c.tokens if t != WILDCARD)
            return best
        if len(clusters) >= self.max_clusters:
            if self._overflow is None:
                self._overflow = self._new_cluster([WILDCARD])
            return self._overflow
        idx = self._new_cluster(tokens)
        bucket.append(idx)
        return idx
