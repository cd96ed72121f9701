"""Knowledge-base fixtures: the small entry files under fixtures/ and a KB in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.knowledge import HashingEmbedder, KnowledgeBase, parse_jsonl

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def entries():
    return parse_jsonl((FIXTURES / "entries.jsonl").read_bytes())


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=256)


@pytest.fixture
def kb(tmp_path, embedder, entries) -> KnowledgeBase:
    base = KnowledgeBase(str(tmp_path / "kb"), embedder)
    base.upsert(entries)
    return base
