"""Our reciprocal-rank fusion against LanceDB's RRFReranker, which it replaces on the search path."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from lancedb.rerankers import RRFReranker

from analysis.knowledge.index import RRF_K, rrf_fuse


def _leg(ids: list[int], extra: str) -> list[dict]:
    return [{"_rowid": i, "id": f"e{i}", "title": f"{extra} {i}"} for i in ids]


def test_rrf_fuse_gives_lancedb_scores_and_rows_on_random_legs() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        vec_ids = [int(x) for x in rng.choice(60, size=int(rng.integers(1, 21)), replace=False)]
        fts_ids = [int(x) for x in rng.choice(60, size=int(rng.integers(1, 21)), replace=False)]
        vec, fts = _leg(vec_ids, "vector"), _leg(fts_ids, "fts")
        ref = RRFReranker(K=RRF_K, return_score="relevance").rerank_hybrid(
            "q", pa.Table.from_pylist(vec), pa.Table.from_pylist(fts)).to_pylist()
        ours = rrf_fuse([dict(r) for r in vec], [dict(r) for r in fts])
        key = lambda r: r["_rowid"]  # noqa: E731
        assert sorted(ours, key=key) == sorted(ref, key=key)  # same rows (vector copy kept), same float32 scores


def test_one_leg_scores_by_its_rank() -> None:
    rows = rrf_fuse(_leg([7, 3], "vector"), [])
    assert [r["_relevance_score"] for r in rows] == [1 / (RRF_K + 1), 1 / (RRF_K + 2)]
