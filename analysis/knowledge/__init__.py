"""Knowledge base of past incidents and postmortems (LanceDB): entries, embedders, importers, search.

Public API: :class:`KnowledgeBase`, :class:`KBEntry`, :class:`KBHit`, the embedders and
:func:`default_embedder`, and the importers :func:`parse_jsonl`, :func:`parse_markdown`, :func:`parse_csv`.
"""

from analysis.knowledge.embedders import (
    BedrockTitanEmbedder,
    Embedder,
    HashingEmbedder,
    MiniLMOnnxEmbedder,
    default_embedder,
)
from analysis.knowledge.filters import KBFilters
from analysis.knowledge.importers import parse_csv, parse_jsonl, parse_markdown
from analysis.knowledge.index import KnowledgeBase
from analysis.knowledge.models import KBEntry, KBHit

__all__ = [
    "BedrockTitanEmbedder", "Embedder", "HashingEmbedder", "KBEntry", "KBFilters", "KBHit", "KnowledgeBase",
    "MiniLMOnnxEmbedder", "default_embedder", "parse_csv", "parse_jsonl", "parse_markdown",
]
