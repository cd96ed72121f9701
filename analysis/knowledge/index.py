"""The knowledge base itself: one LanceDB table of entries with vectors and a full-text index.

Owns create/read/update/delete, hybrid search (vector + LanceDB's native full-text index fused with
``RRFReranker``), near-duplicate detection, merging and re-indexing with another embedder. The
location is a local folder or an object-store URI (``s3://bucket/prefix``; ``storage_options`` are
passed to LanceDB). The embedder is injected; its id and dimension live in the table's schema
metadata and a mismatch blocks reads and writes until :meth:`KnowledgeBase.reindex` runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.index import FTS, Bitmap, BTree, IvfHnswSq, LabelList

from analysis.errors import KnowledgeError
from analysis.knowledge.embedders import Embedder
from analysis.knowledge.explain import why_matched
from analysis.knowledge.filters import KBFilters, sql_str
from analysis.knowledge.legs import SearchLegs
from analysis.knowledge.models import KBEntry, KBHit
from analysis.knowledge.schema import ENTRY_COLUMNS, embedder_of, entry_to_row, row_to_entry, table_schema

log = logging.getLogger(__name__)

TABLE_NAME = "kb_entries"
RRF_K = 60
#: How long a read of the table's embedder id is trusted (another process may re-index the table).
EMBEDDER_CHECK_S = 2.0
#: Rows each search leg returns before fusion (at least 2x the hits asked for): depths 10, 20 and 40 gave the
#: same recall@1 on the 74 postmortem queries, and every row a leg returns is read from 14 columns.
SEARCH_DEPTH = 10
EMBED_BATCH = 256
#: Query vectors kept per knowledge base (repeated searches, e.g. paging or re-filtering, skip the model).
QUERY_CACHE_SIZE = 256
#: Below this many rows an exact (flat) vector scan is fast enough; above it an IVF-HNSW-SQ index is built.
VECTOR_INDEX_MIN_ROWS = 20_000
_LANCE_ERRORS = (OSError, RuntimeError, ValueError, pa.ArrowException)
#: Built once the table reaches ``vector_index_min_rows``: ANN vectors plus scalar indices for the filters.
_SCALE_INDICES = (
    ("vector", IvfHnswSq(distance_type="cosine")), ("id", BTree()), ("category", Bitmap()),
    ("services", LabelList()), ("tags", LabelList()), ("started_at", BTree()),
)


def rrf_fuse(vec_rows: list[dict], fts_rows: list[dict]) -> list[dict]:
    """Reciprocal-rank fusion of the two legs' rows (``_rowid`` keyed), scores in ``_relevance_score``.

    The same result as LanceDB's ``RRFReranker(K=RRF_K)`` (a row found by both legs keeps the vector
    leg's copy; its float32 score), computed on the few Python rows the legs return instead of by
    concatenating, de-duplicating and sorting Arrow tables: 0.1 ms instead of 1.3 ms a search. With one
    leg only, the score is that leg's 1 / (K + rank).
    """
    if not vec_rows or not fts_rows:
        rows = vec_rows or fts_rows
        for n, row in enumerate(rows, 1):
            row["_relevance_score"] = 1.0 / (RRF_K + n)
        return rows
    score: dict[int, float] = {}
    merged: dict[int, dict] = {}
    for leg in (vec_rows, fts_rows):
        for n, row in enumerate(leg, 1):
            score[row["_rowid"]] = score.get(row["_rowid"], 0.0) + 1 / (n + RRF_K)
            merged.setdefault(row["_rowid"], row)
    for rid, row in merged.items():
        row["_relevance_score"] = float(np.float32(score[rid]))
    return list(merged.values())


class KnowledgeBase:
    """Past incidents and postmortems in one LanceDB table, searched by meaning and by words."""

    def __init__(self, uri: str, embedder: Embedder, *, storage_options: dict[str, str] | None = None,
                 table_name: str = TABLE_NAME, consistency_interval_s: float | None = 0.0,
                 vector_index_min_rows: int = VECTOR_INDEX_MIN_ROWS) -> None:
        self.uri = str(uri)
        self.embedder = embedder
        self.table_name = table_name
        self.vector_index_min_rows = vector_index_min_rows
        interval = None if consistency_interval_s is None else timedelta(seconds=consistency_interval_s)
        try:
            self._db = lancedb.connect(self.uri, storage_options=storage_options, read_consistency_interval=interval)
        except _LANCE_ERRORS as exc:
            raise KnowledgeError(f"The knowledge base at {self.uri} cannot be opened ({exc.__class__.__name__}); "
                                 "check the path or the object-store settings.") from exc
        self._table: Any = None
        self._embedder_seen: tuple[Any, float, tuple[str, int] | None] | None = None
        self._legs = SearchLegs(self.uri, table_name, storage_options=storage_options, consistency=interval,
                                errors=_LANCE_ERRORS)
        self._qcache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._qcache_lock = threading.Lock()

    # ------------------------------------------------------------------ table handling
    def _table_or_none(self) -> Any:
        if self._table is None:
            try:
                self._table = self._db.open_table(self.table_name)
            except (ValueError, FileNotFoundError):
                return None
            except _LANCE_ERRORS as exc:
                raise KnowledgeError(f"The knowledge base at {self.uri} cannot be read ({exc}); "
                                     "check the path or the object-store settings.") from exc
        return self._table

    @property
    def stored_embedder(self) -> tuple[str, int] | None:
        """(embedder id, dim) the table was built with; None for an empty knowledge base.

        Read from the table's schema at most every ``EMBEDDER_CHECK_S`` seconds (a schema read is a round
        trip through LanceDB's event loop, ~1 ms, and every search asks); a re-index here resets it.
        """
        table = self._table_or_none()
        if table is None:
            return None
        now = time.monotonic()
        seen = self._embedder_seen
        if seen is None or seen[0] is not table or now - seen[1] > EMBEDDER_CHECK_S:
            seen = self._embedder_seen = (table, now, embedder_of(table.schema))
        return seen[2]

    @property
    def needs_reindex(self) -> bool:
        """True when the table was built by another embedder than the one given."""
        stored = self.stored_embedder
        return stored is not None and stored != (self.embedder.id, self.embedder.dim)

    def _ready_table(self) -> Any:
        table = self._table_or_none()
        if table is not None and self.needs_reindex:
            sid, sdim = self.stored_embedder or ("?", 0)
            raise KnowledgeError(
                f"The knowledge base was indexed with embedder {sid} ({sdim}-d) but {self.embedder.id} "
                f"({self.embedder.dim}-d) is selected; re-index it (Knowledge page or reindex()) or switch back.")
        return table

    def _create_table(self, rows: list[dict[str, Any]] | None = None) -> Any:
        schema = table_schema(self.embedder.dim, self.embedder.id)
        self._legs.reset()
        try:
            if rows:
                data = pa.Table.from_pylist(rows, schema=schema)
                self._table = self._db.create_table(self.table_name, data=data, schema=schema, mode="overwrite")
            else:
                self._table = self._db.create_table(self.table_name, schema=schema, mode="overwrite")
        except _LANCE_ERRORS as exc:
            raise KnowledgeError(f"The knowledge base at {self.uri} cannot be written ({exc}); "
                                 "check permissions or the object-store settings.") from exc
        return self._table

    def _ensure_indices(self, table: Any) -> None:
        indices = {tuple(ix.columns): ix for ix in table.list_indices()}
        n = table.count_rows()
        if n == 0:
            return
        if ("text",) not in indices:
            table.create_index("text", config=FTS(with_position=False))
        if n >= self.vector_index_min_rows:
            created = False
            for column, config in _SCALE_INDICES:
                if (column,) not in indices:
                    table.create_index(column, config=config)
                    created = True
            if created:
                return
        stale = 0
        for ix in indices.values():
            stats = table.index_stats(ix.name)
            if stats is not None:
                stale = max(stale, stats.num_unindexed_rows)
        if stale > max(1000, n // 10):
            table.optimize()

    # ------------------------------------------------------------------ CRUD
    def upsert(self, entries: Iterable[KBEntry], progress: Callable[[int, int], None] | None = None) -> int:
        """Insert or update (by id) the given entries; returns how many were written.

        ``progress(done, total)`` is called as entries are embedded (the slow part of a big import).
        """
        by_id: dict[str, KBEntry] = {}
        for e in entries:
            by_id[e.id] = e  # last one wins within one call
        batch = [by_id[k] for k in sorted(by_id)]
        if not batch:
            return 0
        table = self._ready_table()
        vectors = self._embed([e.embedding_text() for e in batch], progress=progress)
        rows = [entry_to_row(e, v) for e, v in zip(batch, vectors)]
        schema = table_schema(self.embedder.dim, self.embedder.id)
        data = pa.Table.from_pylist(rows, schema=schema)
        try:
            if table is None:
                table = self._create_table()
            if table.count_rows() == 0:
                table.add(data)  # bulk first import: nothing to match against
            else:
                table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(data)
            self._ensure_indices(table)
        except _LANCE_ERRORS as exc:
            raise KnowledgeError(f"Writing to the knowledge base at {self.uri} failed ({exc}); "
                                 "check permissions or the object-store settings.") from exc
        return len(rows)

    def _embed(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None,
               embedder: Embedder | None = None) -> np.ndarray:
        emb = embedder or self.embedder
        out = np.zeros((len(texts), emb.dim), dtype=np.float32)
        for start in range(0, len(texts), EMBED_BATCH):
            chunk = list(texts[start:start + EMBED_BATCH])
            vecs = np.asarray(emb.embed(chunk), dtype=np.float32)
            if vecs.shape != (len(chunk), emb.dim):
                raise KnowledgeError(f"The embedder {emb.id} returned vectors of shape {vecs.shape}; "
                                     f"expected ({len(chunk)}, {emb.dim}).")
            out[start:start + len(chunk)] = vecs
            if progress:
                progress(start + len(chunk), len(texts))
        return out

    def _rows(self, where: str | None, columns: list[str] | None = None, limit: int | None = None) -> list[dict]:
        table = self._ready_table()
        if table is None:
            return []
        q = table.search()
        if where:
            q = q.where(where)
        if columns:
            q = q.select(columns)
        q = q.limit(limit if limit is not None else max(table.count_rows(), 1))
        return q.to_list()

    def get(self, id: str) -> KBEntry | None:
        """The entry with this id, or None."""
        rows = self._rows(f"id = {sql_str(id)}", ENTRY_COLUMNS, limit=1)
        return row_to_entry(rows[0]) if rows else None

    def delete(self, id: str) -> bool:
        """Delete one entry; returns whether it existed."""
        table = self._ready_table()
        if table is None:
            return False
        where = f"id = {sql_str(id)}"
        if table.count_rows(where) == 0:
            return False
        table.delete(where)
        return True

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are already stored (an import preview shows them as updates)."""
        wanted = sorted(set(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            where = "id IN (" + ", ".join(sql_str(i) for i in chunk) + ")"
            found.update(r["id"] for r in self._rows(where, ["id"], limit=len(chunk)))
        return found

    def count(self, filters: KBFilters | dict[str, Any] | None = None) -> int:
        """How many entries (matching ``filters``) there are."""
        table = self._ready_table()
        if table is None:
            return 0
        where = KBFilters.coerce(filters).where()
        return table.count_rows(where) if where else table.count_rows()

    def list(self, limit: int = 50, offset: int = 0,
             filters: KBFilters | dict[str, Any] | None = None) -> list[KBEntry]:
        """A page of entries, newest ``started_at`` first (undated last), then by id."""
        where = KBFilters.coerce(filters).where()
        keys = self._rows(where, ["id", "started_at"])
        keys.sort(key=lambda r: (r["started_at"] is None, -(r["started_at"].timestamp() if r["started_at"] else 0),
                                 r["id"]))
        page = [r["id"] for r in keys[offset:offset + limit]]
        if not page:
            return []
        rows = self._rows("id IN (" + ", ".join(sql_str(i) for i in page) + ")", ENTRY_COLUMNS, limit=len(page))
        order = {i: n for n, i in enumerate(page)}
        return [row_to_entry(r) for r in sorted(rows, key=lambda r: order[r["id"]])]

    def all_entries(self) -> list[KBEntry]:
        """Every entry, sorted by id (for export and re-indexing)."""
        return sorted((row_to_entry(r) for r in self._rows(None, ENTRY_COLUMNS)), key=lambda e: e.id)

    # ------------------------------------------------------------------ search
    def search(self, query: str, k: int = 5, category: str | None = None, service: str | None = None,
               tag: str | None = None, since: datetime | None = None, until: datetime | None = None) -> list[KBHit]:
        """Hybrid search: vector and full-text results fused by reciprocal rank; best first."""
        query = (query or "").strip()
        if not query:
            raise KnowledgeError("The search query is empty; type a description of the incident.")
        table = self._ready_table()
        if table is None or k <= 0:
            return []
        where = KBFilters(category=category, service=service, tag=tag, since=since, until=until).where()
        depth = max(k * 2, SEARCH_DEPTH)
        rows = self._hybrid(table, query, where, depth, k)
        hits: list[tuple[float, float | None, str, dict]] = []
        for r in rows:
            score = min(1.0, float(r["_relevance_score"]) / (2.0 / (RRF_K + 1)))
            hits.append((score, r.get("_cos"), r["id"], r))
        out: list[KBHit] = []
        for score, cos, _id, r in hits[:k]:
            entry = row_to_entry(r)
            why = why_matched(query, entry, similarity=cos, category=category, service=service)
            out.append(KBHit(entry=entry, score=round(score, 6), why=why))
        return out

    def _query_vector(self, query: str) -> np.ndarray:
        """The query's vector from a small LRU cache keyed by (embedder id, text), else the embedder."""
        key = (self.embedder.id, query)
        with self._qcache_lock:
            vec = self._qcache.get(key)
            if vec is not None:
                self._qcache.move_to_end(key)
                return vec
        vec = self._embed([query])[0]
        vec.setflags(write=False)
        with self._qcache_lock:
            self._qcache[key] = vec
            while len(self._qcache) > QUERY_CACHE_SIZE:
                self._qcache.popitem(last=False)
        return vec

    def _hybrid(self, table: Any, query: str, where: str | None, depth: int, k: int) -> list[dict]:
        """Vector and full-text top-``depth`` rows (prefiltered), fused by reciprocal rank; the top ``k``.

        Both legs are async LanceDB queries (:mod:`analysis.knowledge.legs`): the full-text leg starts
        first, so it runs while this thread embeds the query, then the vector leg joins it. Each leg
        returns the entry columns of its few rows (no vectors), so the fused top rows need no third
        round trip to the table; a row's meaning similarity is the vector leg's cosine (``_cos``), None
        for a row only the full-text leg found (it was not among the ``depth`` nearest in meaning).
        """
        cols = list(ENTRY_COLUMNS)
        fts_future = self._legs.start_fts(query, cols, where, depth)
        try:
            qvec = self._query_vector(query)
        except BaseException:
            fts_future.cancel()
            raise
        vec = self._legs.vector(qvec.tolist(), cols, where, depth)
        fts = fts_future.result()
        vec = vec if vec is not None and vec.num_rows else None
        fts = fts if fts is not None and fts.num_rows else None
        if vec is None and fts is None:
            return []
        vec_rows = vec.drop_columns(["_distance"]).to_pylist() if vec is not None else []
        fts_rows = fts.drop_columns(["_score"]).to_pylist() if fts is not None else []
        vec_rank = {r["_rowid"]: n for n, r in enumerate(vec_rows)}
        cos = {r["_rowid"]: 1.0 - float(d) for r, d in zip(vec_rows, vec["_distance"].to_pylist())} if vec_rows else {}
        rows = rrf_fuse(vec_rows, fts_rows)
        for row in rows:
            row["_cos"] = cos.get(row["_rowid"])
        # deterministic order: fused score, then the meaning (vector) rank on ties, then id
        rows.sort(key=lambda r: (-round(r["_relevance_score"], 9), vec_rank.get(r["_rowid"], depth), r["id"]))
        return rows[:k]

    def close(self) -> None:
        """Forget the search legs' open table (optional: the shared search loop thread is a daemon)."""
        self._legs.reset()

    # ------------------------------------------------------------------ curation
    def _vectors(self) -> tuple[list[str], np.ndarray]:
        rows = self._rows(None, ["id", "vector"])
        rows.sort(key=lambda r: r["id"])
        if not rows:
            return [], np.zeros((0, self.embedder.dim), dtype=np.float32)
        return [r["id"] for r in rows], np.asarray([r["vector"] for r in rows], dtype=np.float32)

    def near_duplicates(self, threshold: float = 0.9) -> list[tuple[str, str, float]]:
        """Pairs of entries whose vectors have cosine similarity >= threshold, most similar first."""
        ids, mat = self._vectors()
        pairs: list[tuple[str, str, float]] = []
        block = 2048
        for start in range(0, len(ids), block):
            sims = mat[start:start + block] @ mat.T
            rows, cols = np.nonzero(sims >= threshold)
            for r, c in zip(rows.tolist(), cols.tolist()):
                i = start + r
                if c > i:
                    pairs.append((ids[i], ids[c], round(float(sims[r, c]), 6)))
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
        return pairs

    def merge(self, keep_id: str, drop_id: str) -> KBEntry:
        """Fold ``drop_id`` into ``keep_id`` (lists unioned, empty fields filled) and delete ``drop_id``."""
        if keep_id == drop_id:
            raise KnowledgeError("An entry cannot be merged into itself; pick two different entries.")
        keep, drop = self.get(keep_id), self.get(drop_id)
        if keep is None or drop is None:
            missing = keep_id if keep is None else drop_id
            raise KnowledgeError(f"Knowledge-base entry {missing} does not exist; refresh the list and try again.")
        data = keep.model_dump()
        for field in ("summary", "root_cause", "resolution"):
            if not data[field]:
                data[field] = getattr(drop, field)
        if data["category"] is None:
            data["category"] = drop.category
        for field in ("services", "tags", "runbook", "links"):
            data[field] = list(dict.fromkeys(data[field] + getattr(drop, field)))
        for field, pick in (("started_at", min), ("resolved_at", max)):
            values = [v for v in (getattr(keep, field), getattr(drop, field)) if v is not None]
            data[field] = pick(values) if values else None
        meta = {**drop.metadata, **keep.metadata}
        meta["merged_from"] = sorted(set(keep.metadata.get("merged_from", [])) | {drop_id})
        data["metadata"] = meta
        merged = KBEntry(**data)
        self.upsert([merged])
        self.delete(drop_id)
        return merged

    def reindex(self, embedder: Embedder, progress: Callable[[int, int], None] | None = None) -> int:
        """Re-embed every entry with ``embedder`` and rebuild the table; returns the entry count."""
        table = self._table_or_none()
        entries = [] if table is None else sorted(
            (row_to_entry(r) for r in table.search().select(ENTRY_COLUMNS).limit(max(table.count_rows(), 1)).to_list()),
            key=lambda e: e.id)
        vectors = self._embed([e.embedding_text() for e in entries], progress=progress, embedder=embedder)
        self.embedder = embedder
        rows = [entry_to_row(e, v) for e, v in zip(entries, vectors)]
        self._table = None
        table = self._create_table(rows)
        self._ensure_indices(table)
        if progress and not entries:
            progress(0, 0)
        return len(entries)
