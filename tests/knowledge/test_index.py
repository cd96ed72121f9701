"""KnowledgeBase on real LanceDB folders: CRUD, hybrid search with filters and reasons, curation, re-index."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from analysis.errors import KnowledgeError
from analysis.knowledge import HashingEmbedder, KBEntry, KnowledgeBase


def test_upsert_get_count_and_persistence(kb, entries, embedder):
    assert kb.count() == len(entries) == 8
    got = kb.get("pm-disk")
    assert got == entries[0]  # round-trips every field, metadata and UTC timestamps included
    assert kb.get("missing") is None
    reopened = KnowledgeBase(kb.uri, embedder)
    assert reopened.count() == 8
    assert reopened.stored_embedder == (embedder.id, embedder.dim)


def test_reimporting_the_same_id_updates_it(kb, entries):
    changed = entries[1].model_copy(update={"resolution": "Renewed and automated via ACME."})
    seen: list[tuple[int, int]] = []
    assert kb.upsert([changed], progress=lambda done, total: seen.append((done, total))) == 1
    assert seen == [(1, 1)]
    assert kb.count() == 8
    assert kb.get("pm-cert").resolution == "Renewed and automated via ACME."


def test_delete_and_list_pages_newest_first(kb):
    assert kb.delete("pm-creds") is True
    assert kb.delete("pm-creds") is False
    first = kb.list(limit=3, offset=0)
    assert [e.id for e in first] == ["pm-dns", "pm-oom", "pm-cert"]
    rest = kb.list(limit=10, offset=3)
    assert [e.id for e in rest] == ["pm-disk", "pm-disk-dup", "pm-queue", "pm-surge"]
    assert [e.id for e in kb.list(10, 0, {"category": "disk_full"})] == ["pm-disk", "pm-disk-dup"]
    assert kb.count({"service": "postgres"}) == 2
    assert kb.count({"tag": "kubernetes"}) == 2


def test_search_finds_the_paraphrased_incident_first_with_a_reason(kb):
    hits = kb.search("database disk filled with WAL files, no space left on device", k=3)
    assert hits[0].entry.id in {"pm-disk", "pm-disk-dup"}
    assert {h.entry.id for h in hits[:2]} == {"pm-disk", "pm-disk-dup"}
    assert 0.0 < hits[0].score <= 1.0
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert "shared terms" in hits[0].why and "space" in hits[0].why
    hits = kb.search("certificate expired, TLS handshakes failing", k=1)
    assert hits[0].entry.id == "pm-cert"


def test_search_filters_category_service_tag_and_dates(kb):
    q = "service outage after a change"
    assert {h.entry.category for h in kb.search(q, k=8, category="network_dns")} == {"network_dns"}
    hits = kb.search(q, k=8, service="postgres")
    assert {h.entry.id for h in hits} == {"pm-disk", "pm-disk-dup"}
    assert all("same service postgres" in h.why for h in hits)
    assert {h.entry.id for h in kb.search(q, k=8, tag="kubernetes")} == {"pm-oom", "pm-dns"}
    since = datetime(2024, 5, 1, tzinfo=timezone.utc)
    until = datetime(2024, 7, 31, tzinfo=timezone.utc)
    assert {h.entry.id for h in kb.search(q, k=8, since=since, until=until)} == {"pm-cert", "pm-oom"}


def test_search_is_deterministic_and_rejects_empty_queries(kb):
    a = [(h.entry.id, h.score) for h in kb.search("pods killed for memory", k=5)]
    b = [(h.entry.id, h.score) for h in kb.search("pods killed for memory", k=5)]
    assert a == b and a[0][0] == "pm-oom"
    with pytest.raises(KnowledgeError, match="empty"):
        kb.search("   ")


def test_similar_error_template_is_explained(kb):
    hit = kb.search("ERROR 2024-03-02 writes failed with No space left on device (errno 28)", k=1)[0]
    assert hit.entry.id.startswith("pm-disk")
    assert "similar error template" in hit.why
    similar = hit.to_similar()
    assert similar.entry_id == hit.entry.id and similar.reason == hit.why
    oom = kb.search("checkout pods OOMKilled after release", k=1)[0].to_similar()
    assert oom.entry_id == "pm-oom" and oom.resolution == "Rolled back to 4.1 and bounded the cache size."


def test_empty_knowledge_base_answers_without_a_table(tmp_path, embedder):
    kb = KnowledgeBase(str(tmp_path / "empty"), embedder)
    assert kb.count() == 0 and kb.list() == [] and kb.search("anything") == []
    assert kb.get("x") is None and kb.delete("x") is False and kb.near_duplicates() == []


def test_near_duplicates_and_merge(kb):
    pairs = kb.near_duplicates(threshold=0.8)
    assert pairs[0][:2] == ("pm-disk", "pm-disk-dup") and pairs[0][2] >= 0.8
    assert all(p[2] >= 0.8 for p in pairs)
    merged = kb.merge("pm-disk", "pm-disk-dup")
    assert kb.count() == 7 and kb.get("pm-disk-dup") is None
    assert merged.tags == ["database", "storage", "wal"]
    assert merged.links == ["https://wiki.example.org/pm/123"]
    assert merged.started_at == datetime(2024, 3, 2, 10, 0, tzinfo=timezone.utc)  # earliest start kept
    assert merged.metadata["merged_from"] == ["pm-disk-dup"]
    assert kb.get("pm-disk") == merged
    with pytest.raises(KnowledgeError, match="does not exist"):
        kb.merge("pm-disk", "pm-disk-dup")


def test_other_embedder_is_refused_until_reindexed(kb):
    other = HashingEmbedder(dim=128)
    kb2 = KnowledgeBase(kb.uri, other)
    assert kb2.needs_reindex
    with pytest.raises(KnowledgeError, match="re-index"):
        kb2.search("disk full")
    with pytest.raises(KnowledgeError, match="re-index"):
        kb2.upsert([KBEntry(id="n", title="new")])
    seen: list[tuple[int, int]] = []
    assert kb2.reindex(other, progress=lambda done, total: seen.append((done, total))) == 8
    assert seen[-1] == (8, 8)
    assert not kb2.needs_reindex and kb2.stored_embedder == (other.id, 128)
    assert kb2.search("certificate expired", k=1)[0].entry.id == "pm-cert"
    assert KnowledgeBase(kb.uri, HashingEmbedder(dim=256)).needs_reindex


def test_vector_index_is_built_past_the_threshold(tmp_path, embedder):
    kb = KnowledgeBase(str(tmp_path / "big"), embedder, vector_index_min_rows=300)
    entries = [KBEntry(id=f"s{i:04d}", title=f"synthetic incident {i}", summary=f"service svc{i % 17} failed "
                       f"with error code {i}") for i in range(320)]
    assert kb.upsert(entries) == 320
    names = {tuple(ix.columns) for ix in kb._table.list_indices()}
    assert ("vector",) in names and ("text",) in names
    assert kb.search("service svc3 failed with error code 3", k=3)[0].entry.id == "s0003"


def test_existing_ids_tells_updates_from_new_entries(kb):
    assert kb.existing_ids(["pm-cert", "new-1", "pm-oom", "it's"]) == {"pm-cert", "pm-oom"}
    assert kb.existing_ids([]) == set()


class _Counting:
    """A hashing embedder that counts calls; ``id`` can be changed to mimic another model of the same dim."""

    def __init__(self, id: str = "counting-256") -> None:
        self._inner = HashingEmbedder(dim=256)
        self.id, self.dim, self.calls = id, 256, 0

    def embed(self, texts):
        self.calls += 1
        return self._inner.embed(texts)


def test_repeated_queries_reuse_the_cached_query_vector(tmp_path, entries):
    emb = _Counting()
    kb = KnowledgeBase(str(tmp_path / "kb"), emb)
    kb.upsert(entries)
    before = emb.calls
    first = kb.search("certificate expired", k=3)
    assert emb.calls == before + 1
    assert kb.search("certificate expired", k=3) == first
    assert kb.search("certificate expired", k=3, category="certificate_expiry")[0].entry.id == "pm-cert"
    assert emb.calls == before + 1  # same text: no new embedding, whatever the filters
    kb.search("disk full", k=1)
    assert emb.calls == before + 2


def test_same_dimension_but_another_model_id_needs_a_reindex(tmp_path, entries):
    """E.g. the shipped MiniLM (all-MiniLM-L6-v2-onnx-int8) -> its dynamic-int8 copy: both 384-d."""
    old = _Counting("model-a")
    KnowledgeBase(str(tmp_path / "kb"), old).upsert(entries)
    kb = KnowledgeBase(str(tmp_path / "kb"), _Counting("model-b"))
    assert kb.needs_reindex and kb.stored_embedder == ("model-a", 256)
    with pytest.raises(KnowledgeError, match="re-index"):
        kb.search("certificate expired")
    assert kb.reindex(kb.embedder) == len(entries)
    assert not kb.needs_reindex and kb.stored_embedder == ("model-b", 256)
    assert kb.search("certificate expired", k=1)[0].entry.id == "pm-cert"
