"""Knowledge-base benchmark: retrieval quality vs BM25, search latency at scale, import speed.

Sections (default: all), each rewriting its own part of ``bench/results/kb.md``:

- ``quality``: imports ``../shared/data/postmortems/postmortems.jsonl`` (240 entries, never copied into
  the repo) into a temp KB per embedder and scores ``bench/kb_queries.jsonl`` (paraphrased
  descriptions with their target ids) by recall@1, recall@5 and MRR@10 for hybrid / vector-only /
  full-text-only search, beside a BM25 baseline (rank_bm25 BM25Okapi) computed in the same run.
- ``latency``: 100,000 synthetic entries (seeded), search p50/p95 with and without filters.
- ``import``: 10,000 synthetic entries through ``parse_jsonl`` + ``upsert`` with the default embedder.

Usage: ``python bench/kb_bench.py [quality] [latency] [import] [--n 100000] [--import-n 10000]``.
Skips cleanly (exit 0) when ``../shared`` is absent for the quality section.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("LANCEDB_LOG", "error")

from analysis.knowledge import (HashingEmbedder, KBEntry, KnowledgeBase, MiniLMOnnxEmbedder,  # noqa: E402
                                parse_jsonl)

SHARED = REPO.parent / "shared"
POSTMORTEMS = SHARED / "data" / "postmortems" / "postmortems.jsonl"
QUERIES = REPO / "bench" / "kb_queries.jsonl"
RESULTS = REPO / "bench" / "results" / "kb.md"


# ----------------------------------------------------------------------------- helpers
def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def write_section(name: str, body: str) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = RESULTS.read_text() if RESULTS.exists() else "# Knowledge base benchmark\n\n"
    start, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


# ----------------------------------------------------------------------------- quality
_TOKEN = re.compile(r"[a-z0-9]+")


def bm25_ranker(entries: list[KBEntry]) -> Callable[[str], list[str]]:
    from rank_bm25 import BM25Okapi

    ids = [e.id for e in entries]
    bm = BM25Okapi([_TOKEN.findall(e.search_text().lower()) for e in entries])

    def rank(query: str) -> list[str]:
        scores = bm.get_scores(_TOKEN.findall(query.lower()))
        order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
        return [ids[i] for i in order[:10]]

    return rank


def score(ranked: list[list[str]], targets: list[str]) -> dict[str, float]:
    r1 = r5 = mrr = 0.0
    for got, want in zip(ranked, targets):
        if got[:1] == [want]:
            r1 += 1
        if want in got[:5]:
            r5 += 1
        if want in got[:10]:
            mrr += 1.0 / (got.index(want) + 1)
    n = len(targets)
    return {"r1": r1 / n, "r5": r5 / n, "mrr": mrr / n}


def quality() -> str:
    if not POSTMORTEMS.exists():
        return "Quality: skipped (../shared/data/postmortems absent).\n"
    entries = parse_jsonl(POSTMORTEMS.read_bytes())
    queries = [json.loads(line) for line in QUERIES.read_text().splitlines() if line.strip()]
    texts, targets = [q["query"] for q in queries], [q["target"] for q in queries]
    rows: list[tuple[str, dict[str, float], float]] = []

    bm25 = bm25_ranker(entries)
    t = time.perf_counter()
    ranked = [bm25(q) for q in texts]
    rows.append(("BM25 baseline (rank_bm25 Okapi, same text)", score(ranked, targets),
                 (time.perf_counter() - t) / len(texts)))

    embedders = [("MiniLM-L6 dynamic int8, 48 tokens (default)", MiniLMOnnxEmbedder()),
                 ("MiniLM-L6 shipped ONNX, 128 tokens (previous default)",
                  MiniLMOnnxEmbedder(variant="shipped", max_tokens=128, batch_size=8)),
                 ("hashing n-gram 384-d", HashingEmbedder(384))]
    notes: list[str] = []
    for label, emb in embedders:
        with tempfile.TemporaryDirectory() as tmp:
            kb = KnowledgeBase(tmp, emb)
            t = time.perf_counter()
            kb.upsert(entries)
            notes.append(f"- import of the 240 entries with {label}: {time.perf_counter() - t:.1f} s")
            table = kb._table
            t = time.perf_counter()
            ranked = [[h.entry.id for h in kb.search(q, k=10)] for q in texts]
            rows.append((f"hybrid RRF, {label}", score(ranked, targets), (time.perf_counter() - t) / len(texts)))
            qv = emb.embed(texts)
            t = time.perf_counter()
            ranked = [[r["id"] for r in table.search(v.tolist()).distance_type("cosine").limit(10).to_list()]
                      for v in qv]
            rows.append((f"vector only, {label}", score(ranked, targets), (time.perf_counter() - t) / len(texts)))
            if emb is embedders[0][1]:
                t = time.perf_counter()
                ranked = [[r["id"] for r in table.search(q, query_type="fts").limit(10).to_list()] for q in texts]
                rows.append(("full-text only (LanceDB native FTS)", score(ranked, targets),
                             (time.perf_counter() - t) / len(texts)))
    out = [f"## Retrieval quality ({len(queries)} paraphrased queries, {len(entries)} postmortems)\n",
           f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load()} on 2 cores. "
           "recall@k = target id in the top k; MRR over the top 10.\n",
           "| system | recall@1 | recall@5 | MRR | ms/query |", "|---|---|---|---|---|"]
    for label, s, dt in rows:
        out.append(f"| {label} | {s['r1']:.3f} | {s['r5']:.3f} | {s['mrr']:.3f} | {dt * 1000:.1f} |")
    out.append("")
    out.extend(notes)
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- synthetic data
SERVICES = ["checkout", "payments", "orders", "search", "auth", "inventory", "notifications", "gateway", "catalog",
            "billing", "profile", "recommendations", "shipping", "ledger", "media", "ingest"]
FAILURES = [
    ("disk_full", "the data volume filled up", "log rotation stopped and the disk reached 100 percent"),
    ("memory_exhaustion", "pods were OOMKilled repeatedly", "a cache grew without bound after the release"),
    ("cpu_saturation", "CPU pinned at 100 percent", "a regular expression backtracked on large inputs"),
    ("network_dns", "name resolution timed out", "a resolver config change dropped the upstream servers"),
    ("certificate_expiry", "TLS handshakes failed", "the certificate expired because renewal was disabled"),
    ("database_overload", "queries queued and timed out", "a missing index caused full table scans"),
    ("deployment_regression", "error rate jumped after the deploy", "a serialization bug shipped in the new build"),
    ("config_change", "traffic was routed to the wrong backend", "a bad feature flag rollout changed routing"),
    ("traffic_surge", "latency climbed during a campaign", "the autoscaler hit its replica ceiling"),
    ("queue_backlog", "consumer lag grew to millions", "a poison message stalled the consumer group"),
    ("auth_credentials", "calls failed with AccessDenied", "rotated keys were not propagated"),
    ("cache_failure", "hit rate collapsed and the database melted", "the cache cluster evicted hot keys"),
    ("node_failure", "a node went NotReady and pods were lost", "a kernel panic on a worker host"),
    ("dependency_failure", "the upstream provider returned 503", "no circuit breaker around the third-party API"),
    ("data_corruption", "reports showed duplicated rows", "a non-idempotent retry double-wrote records"),
]
FIXES = ["rolled back the release", "raised the limit and added an alert", "restarted the consumers",
         "renewed and automated the certificate", "added an index and throttled the batch job",
         "failed over to the replica", "reverted the configuration", "scaled out and pre-warmed capacity"]
WORDS = ("alpha beta gamma delta region zone cluster shard replica primary edge canary blue green legacy v2 "
         "nightly batch stream api web mobile partner internal eu us apac").split()


def synthetic_entries(n: int, seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cat, symptom, cause = FAILURES[int(rng.integers(len(FAILURES)))]
        svc = SERVICES[int(rng.integers(len(SERVICES)))]
        extra = " ".join(WORDS[int(j)] for j in rng.integers(len(WORDS), size=4))
        day = int(rng.integers(0, 1500))
        out.append({
            "id": f"syn-{i:06d}", "title": f"{svc} incident {i}: {symptom}",
            "summary": f"In the {extra} environment the {svc} service degraded: {symptom}. Ticket {i}.",
            "root_cause": cause, "category": cat, "services": [svc, SERVICES[(SERVICES.index(svc) + 1) % 16]],
            "tags": [WORDS[int(rng.integers(len(WORDS)))]], "resolution": FIXES[int(rng.integers(len(FIXES)))],
            "started_at": str(np.datetime64("2021-01-01") + np.timedelta64(day, "D")) + "T00:00:00Z",
        })
    return out


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


class _Alias:
    """Embeds with ``inner`` under ``like``'s id (timing only: lets MiniLM query a hashing-built table)."""

    def __init__(self, inner, like) -> None:
        self.inner, self.id, self.dim = inner, like.id, like.dim

    def embed(self, texts):
        return self.inner.embed(texts)


def latency(n: int) -> str:
    emb = HashingEmbedder(384)
    records = synthetic_entries(n)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(tmp, emb)
        t = time.perf_counter()
        kb.upsert(parse_jsonl("\n".join(json.dumps(r) for r in records)))
        build = time.perf_counter() - t
        del records  # the app does not hold 100k parsed records while it searches: neither does this process
        gc.collect()
        rng = np.random.default_rng(11)
        queries = []
        for i in range(200):
            cat, symptom, cause = FAILURES[int(rng.integers(len(FAILURES)))]
            queries.append(f"{SERVICES[int(rng.integers(16))]} {symptom} because {cause.split(' ', 3)[-1]}")
        for q in queries[:10]:
            kb.search(q, k=5)  # warm caches
        plain = [timed(lambda q=q: kb.search(q, k=5)) for q in queries]
        filtered = [timed(lambda i=i, q=q: kb.search(q, k=5, service=SERVICES[i % 16], category=FAILURES[i % 15][0]))
                    for i, q in enumerate(queries)]
        count = kb.count()
        indices = sorted(ix.index_type for ix in kb._table.list_indices())
        # the same searches with the default MiniLM embedding each query (vectors from another model than
        # the corpus, so only the timing means anything; the query cache is emptied before every search)
        minilm = MiniLMOnnxEmbedder()
        kb.embedder = _Alias(minilm, emb)
        minilm.embed(["warm up"])

        def fresh(q: str) -> None:
            kb._qcache.clear()
            kb.search(q, k=5)

        with_minilm = [timed(lambda q=q: fresh(q)) for q in queries]
        cached = [timed(lambda q=q: kb.search(q, k=5)) for q in queries]
    qemb = [timed(lambda q=q: minilm.embed([q])) for q in queries]

    def row(label: str, xs: list[tuple[float, float]]) -> str:
        wall, cpu = [x[0] for x in xs], [x[1] for x in xs]
        return f"| {label} | {pct(wall, 50):.1f} | {pct(wall, 95):.1f} | {pct(cpu, 50):.1f} | {pct(cpu, 95):.1f} |"

    return "\n".join([
        f"## Search latency at {count:,} entries\n",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load()} on 2 cores "
        "(the machine is shared with other jobs: wall times include waiting for a core; CPU time is this "
        "process's own CPU, all threads). Synthetic seeded entries; corpus vectors from the hashing embedder "
        "(384-d, like MiniLM) so 100k entries build in minutes; "
        f"indices: {', '.join(indices)}. Build (one upsert of {n:,}, indices included): {build:.0f} s.\n",
        "| measure | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms |", "|---|---|---|---|---|",
        row("hybrid search k=5 (IVF-HNSW-SQ vectors + FTS, RRF), incl. hashing query embedding", plain),
        row("same with service + category prefilter", filtered),
        row("hybrid search k=5 incl. the default MiniLM (dynamic int8) query embedding", with_minilm),
        row("same, query vector from the LRU cache (repeated query)", cached),
        row("MiniLM query embedding alone (one text)", qemb),
    ]) + "\n"


def import_speed(n: int) -> str:
    data = "\n".join(json.dumps(r) for r in synthetic_entries(n, seed=3)).encode()
    rows = []
    for label, factory in (("MiniLM-L6 dynamic int8, 48 tokens (default)", MiniLMOnnxEmbedder),
                           ("hashing 384-d", lambda: HashingEmbedder(384))):
        emb = factory()
        with tempfile.TemporaryDirectory() as tmp:
            kb = KnowledgeBase(tmp, emb)
            wall, cpu = timed(lambda: kb.upsert(parse_jsonl(data)))
            rows.append(f"| {label} | {kb.count():,} | {wall:.1f} | {cpu:.1f} | {n / wall:.0f} |")
    return "\n".join([
        f"## Import speed ({n:,} synthetic entries, parse_jsonl + upsert into a fresh folder)\n",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load()} on 2 cores "
        "(shared machine; CPU seconds are this process's own, all threads).\n",
        "| embedder | entries | wall s | CPU s | entries/s (wall) |", "|---|---|---|---|---|", *rows,
    ]) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sections", nargs="*", default=["quality", "latency", "import"])
    ap.add_argument("--n", type=int, default=100_000, help="entries for the latency section")
    ap.add_argument("--import-n", type=int, default=10_000, help="entries for the import section")
    args = ap.parse_args()
    for name in args.sections:
        t = time.perf_counter()
        body = {"quality": quality, "latency": lambda: latency(args.n),
                "import": lambda: import_speed(args.import_n)}[name]()
        write_section(name, body)
        print(body)
        print(f"[{name} took {time.perf_counter() - t:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
