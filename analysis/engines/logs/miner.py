"""Streaming template miner: masked messages are clustered into templates with stable ids.

Algorithm (Drain-like skeleton, different merge rule):

1. Masking (:mod:`.masking`) turns shape-evident variables into ``<*>``; the message is split on
   whitespace. Messages are bucketed by token count and first token.
2. A message joins the bucket's cluster with the most equal tokens among the clusters it is
   *compatible* with: every differing position is either already ``<*>`` in the template or
   masked in the message. A difference between two plain words ("opened" vs "closed",
   "SCREEN_ON" vs "TIME_TICK") never generalises a template on its own; the message starts a
   new cluster instead.
3. Sibling consolidation: clusters of a bucket that are identical except at one position (or
   two) are merged into one template with ``<*>`` there once that position shows at least
   ``min_variants`` distinct values (user names, hosts, file names …). Consolidation runs when
   a bucket grows and when results are read; merged clusters are tracked with union-find, so a
   cluster index handed out earlier resolves to its final template.

A bounded exact-message cache makes repeated messages cost one dictionary lookup. Memory is
bounded by ``max_clusters`` and ``cache_size``. A template id is ``"T"`` + 8 hex digits of the
SHA-1 of its final text, so the same template gets the same id in every run and file.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from itertools import combinations

from analysis.engines.logs.masking import WILDCARD, mask, normalize_template


_DIGIT_TABLE = str.maketrans("", "", "0123456789")
#: Bounds that keep consolidation cheap on hostile inputs (many distinct clusters of one length).
_MAX_ROUNDS = 64
_MAX_PAIR_POOL = 4_000
_MAX_LENGTH_POOL = 20_000


@lru_cache(maxsize=65536)  # the same tokens are compared against many candidates
def _has_digit(token: str) -> bool:
    return len(token.translate(_DIGIT_TABLE)) != len(token)


_PREFIX_CUT = "=:([{/@#"
_SUFFIX_CUT = ")]}:;,'\"."


def merge_tokens(values) -> str:
    """Generalise differing tokens, keeping a shared key/bracket frame: ``user=a``/``user=b`` -> ``user=<*>``."""
    vals = list(values)
    if any(v == WILDCARD for v in vals):
        return WILDCARD
    first = vals[0]
    pre = len(first)
    for v in vals[1:]:
        i = 0
        lim = min(pre, len(v))
        while i < lim and v[i] == first[i]:
            i += 1
        pre = i
    prefix = first[:pre]
    cut = max(prefix.rfind(c) for c in _PREFIX_CUT)
    prefix = prefix[: cut + 1] if cut >= 0 else ""
    rests = [v[len(prefix):] for v in vals]
    suf = min(len(r) for r in rests)
    r0 = rests[0]
    j = 0
    while j < suf and all(r[len(r) - 1 - j] == r0[len(r0) - 1 - j] for r in rests):
        j += 1
    suffix = r0[len(r0) - j:] if j else ""
    cut = min((suffix.find(c) for c in _SUFFIX_CUT + "([{" if c in suffix), default=-1)
    suffix = suffix[cut:] if cut >= 0 else ""
    if any(len(r) <= len(suffix) for r in rests):
        suffix = ""
    return prefix + WILDCARD + suffix


def template_id(template: str) -> str:
    """Stable id of a template text."""
    return "T" + hashlib.sha1(template.encode("utf-8", "replace")).hexdigest()[:8]


class _Cluster:
    __slots__ = ("tokens", "count", "key")

    def __init__(self, tokens: list[str], key: tuple[int, str]) -> None:
        self.tokens = tokens
        self.count = 0
        self.key = key


class TemplateMiner:
    """Assigns each message to a template cluster; ``add`` returns the cluster index."""

    def __init__(self, *, min_variants: int = 3, many_variants: int = 5, max_top_share: float = 0.8,
                 min_pair_variants: int = 4, max_clusters: int = 50_000,
                 cache_size: int = 100_000, max_tokens: int = 120, min_similarity: float = 0.3) -> None:
        self.min_variants = min_variants
        self.many_variants = many_variants
        self.max_top_share = max_top_share
        self.min_pair_variants = min_pair_variants
        self.max_clusters = max_clusters
        self.cache_size = cache_size
        self.max_tokens = max_tokens
        self.min_similarity = min_similarity
        self._clusters: list[_Cluster] = []
        self._parent: list[int] = []
        self._buckets: dict[tuple[int, str], list[int]] = {}
        self._next_consolidate: dict[tuple[int, str], int] = {}
        self._dirty: set[tuple[int, str]] = set()
        self._cache: dict[str, int] = {}
        self._masked_cache: dict[str, int] = {}
        self._fixed: dict[str, int] = {}
        self._fixed_ids: set[int] = set()
        self._overflow: int | None = None

    def __len__(self) -> int:
        """Number of live (unmerged) templates."""
        self._finalize()
        return sum(1 for i in range(len(self._clusters)) if self._parent[i] == i)

    # -- public -----------------------------------------------------------------------------
    def add(self, message: str) -> int:
        """Mine one message (the part after the header); returns its cluster index."""
        idx = self._cache.get(message)
        if idx is None:
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
            idx = self._new_cluster(template.split(), (-1, ""))
            self._fixed[template] = idx
            self._fixed_ids.add(idx)
        self._clusters[idx].count += 1
        return idx

    def find(self, idx: int) -> int:
        """The live cluster a (possibly merged) cluster index now belongs to."""
        parent = self._parent
        root = idx
        while parent[root] != root:
            root = parent[root]
        while parent[idx] != root:
            parent[idx], idx = root, parent[idx]
        return root

    def template(self, idx: int) -> str:
        """The template text of a cluster index (final once the input is consumed)."""
        self._finalize()
        root = self.find(idx)
        text = " ".join(self._clusters[root].tokens)
        return text if root in self._fixed_ids else normalize_template(text)

    def count(self, idx: int) -> int:
        """Occurrences of the live cluster that ``idx`` belongs to."""
        self._finalize()
        root = self.find(idx)
        return sum(c.count for i, c in enumerate(self._clusters) if self.find(i) == root)

    def templates(self) -> list[tuple[int, str, int]]:
        """(cluster index, template text, count of that index) for every cluster index ever issued."""
        self._finalize()
        return [(i, self.template(i), c.count) for i, c in enumerate(self._clusters)]

    # -- internals --------------------------------------------------------------------------
    def _new_cluster(self, tokens: list[str], key: tuple[int, str]) -> int:
        self._clusters.append(_Cluster(tokens, key))
        idx = len(self._clusters) - 1
        self._parent.append(idx)
        return idx

    def _match_or_create(self, masked: str) -> int:
        tokens = masked.split()
        if len(tokens) > self.max_tokens:
            tokens = tokens[: self.max_tokens - 1] + [WILDCARD]
        n = len(tokens)
        first = tokens[0] if tokens else ""
        if first == WILDCARD or any(c.isdigit() for c in first):
            first = WILDCARD
        key = (n, first)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = []
        best, best_eq = -1, -1
        clusters = self._clusters
        candidates = bucket
        if first != WILDCARD:
            wb = self._buckets.get((n, WILDCARD))
            if wb:
                candidates = bucket + wb
        for ci in candidates:
            ct = clusters[ci].tokens
            eq = 0
            ok = True
            for a, b in zip(ct, tokens):
                if a == b:
                    eq += 1
                elif a != WILDCARD and b != WILDCARD and not (_has_digit(a) or _has_digit(b)):
                    ok = False
                    break
            if ok and eq > best_eq:
                best, best_eq = ci, eq
        if best >= 0 and (n == 0 or best_eq / n >= self.min_similarity or best_eq == n):
            c = clusters[best]
            ct = c.tokens
            if any(a != b and a != WILDCARD for a, b in zip(ct, tokens)):
                c.tokens = [a if a == b or a == WILDCARD else merge_tokens((a, b)) for a, b in zip(ct, tokens)]
            return best
        if len(clusters) >= self.max_clusters:
            if self._overflow is None:
                self._overflow = self._new_cluster([WILDCARD], (-2, ""))
            return self._overflow
        idx = self._new_cluster(tokens, key)
        bucket.append(idx)
        self._dirty.add(key)
        if len(bucket) >= self._next_consolidate.get(key, 8):
            self._consolidate(key)
            self._next_consolidate[key] = max(8, 2 * len(self._buckets[key]))
        return idx

    def _finalize(self) -> None:
        if not self._dirty:
            return
        for key in sorted(self._dirty, key=lambda k: (k[0], k[1])):
            self._consolidate(key)
        for n in sorted({k[0] for k in self._dirty}):
            self._consolidate_length(n)
        self._dirty.clear()

    def _consolidate_length(self, n: int) -> None:
        """Consolidate across the first-token buckets of one length (the first token may be a variable)."""
        keys = sorted(k for k in self._buckets if k[0] == n and k[0] > 1)
        if len(keys) < 2:
            return
        pool = [c for k in keys for c in self._buckets[k]]
        if len(pool) > _MAX_LENGTH_POOL:
            return
        self._consolidate_pool(pool, n, first_too=True)
        live = set(pool)
        for k in keys:
            self._buckets[k] = []
        for c in sorted(live):
            t0 = self._clusters[c].tokens[0]
            key = (n, WILDCARD if t0 == WILDCARD or _has_digit(t0) else t0)
            self._clusters[c].key = key
            self._buckets.setdefault(key, []).append(c)

    def _merge(self, members: list[int], tokens: list[str]) -> int:
        root = min(members)
        self._clusters[root].tokens = tokens
        for m in members:
            if m != root:
                self._parent[m] = root
                self._clusters[root].count += self._clusters[m].count
                self._clusters[m].count = 0
        return root

    def _consolidate(self, key: tuple[int, str]) -> None:
        """Merge sibling clusters of a bucket that differ in one (or two) word positions."""
        bucket = self._buckets.get(key)
        if bucket and len(bucket) >= 2:
            self._consolidate_pool(bucket, key[0], first_too=False)

    def _consolidate_pool(self, pool: list[int], n: int, *, first_too: bool) -> None:
        """Merge clusters of ``pool`` (edited in place) that differ in one or two positions whose values
        look like a variable: at least ``min_variants`` distinct values without one dominating, or a
        value that is already a wildcard. The first position takes part only when ``first_too`` and
        at least three other tokens are constant."""
        clusters = self._clusters
        changed = True
        rounds = 0
        while changed and len(pool) >= 2 and rounds < _MAX_ROUNDS:
            changed = False
            rounds += 1
            varying = [p for p in range(0 if first_too else 1, n)
                       if len({clusters[c].tokens[p] for c in pool}) > 1]
            if not varying:
                break
            shapes: list[tuple[int, ...]] = [(p,) for p in varying]
            if len(varying) <= 8 and len(pool) <= _MAX_PAIR_POOL:
                shapes += list(combinations(varying, 2))
            for shape in shapes:
                groups: dict[tuple[str, ...], list[int]] = {}
                for c in pool:
                    t = clusters[c].tokens
                    sk = tuple(WILDCARD if i in shape else tok for i, tok in enumerate(t))
                    groups.setdefault(sk, []).append(c)
                merged_any = False
                for sk, members in groups.items():
                    if len(members) < 2:
                        continue
                    if 0 in shape and sum(1 for i, t in enumerate(sk) if i not in shape and t != WILDCARD) < 3:
                        continue
                    values = {tuple(clusters[c].tokens[i] for i in shape) for c in members}
                    ok = True
                    for j in range(len(shape)):
                        col: dict[str, int] = {}
                        for c in members:
                            tok = clusters[c].tokens[shape[j]]
                            col[tok] = col.get(tok, 0) + clusters[c].count
                        if any(WILDCARD in tok for tok in col):
                            continue  # the position already holds masked variables
                        need = self.min_variants + (1 if shape[j] == 0 else 0)
                        if len(col) < need or (
                                len(col) < self.many_variants
                                and max(col.values()) > self.max_top_share * sum(col.values())):
                            # Few values, one dominating: an enumeration whose rare values are distinct events.
                            ok = False
                            break
                    if ok and len(shape) > 1 and len(values) < self.min_pair_variants:
                        ok = False
                    if ok:
                        merged_tokens = list(sk)
                        for i in shape:
                            merged_tokens[i] = merge_tokens({clusters[c].tokens[i] for c in members})
                        root = self._merge(members, merged_tokens)
                        gone = set(members) - {root}
                        pool[:] = [c for c in pool if c not in gone]
                        merged_any = True
                if merged_any:
                    changed = True
                    break
