"""Knowledge base of past incidents and postmortems (LanceDB): entries, embedders, importers, search.

Public API: :class:`KnowledgeBase`, :class:`KBEntry`, :class:`KBHit`, the embedders and
:func:`default_embedder`, the importers :func:`parse_jsonl`, :func:`parse_markdown`, :func:`parse_csv`,
and the incident bridge :func:`draft_from_report` / :func:`similar_incidents`.
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
from analysis.knowledge.promote import draft_from_report, incident_query, promoted_id, similar_incidents

__all__ = [
    "BedrockTitanEmbedder", "Embedder", "HashingEmbedder", "KBEntry", "KBFilters", "KBHit", "KnowledgeBase",
    "MiniLMOnnxEmbedder", "default_embedder", "draft_from_report", "incident_query", "parse_csv", "parse_jsonl",
    "parse_markdown", "promoted_id", "similar_incidents",
]
