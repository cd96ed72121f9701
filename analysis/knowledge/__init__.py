"""Knowledge base of past incidents and postmortems (LanceDB): entries, embedders, importers, search.

Public API: :class:`KnowledgeBase`, :class:`KBEntry`, :class:`KBHit`, the embedders and
:func:`default_embedder`, the importers :func:`parse_jsonl`, :func:`parse_markdown`, :func:`parse_csv`,
and the incident bridge :func:`draft_from_report` / :func:`similar_incidents`.
"""

import os

# LanceDB's Rust logger reads LANCEDB_LOG once, when lancedb is first imported (by our submodules):
# default it to errors only so every search does not print deprecation chatter; an explicit value wins.
os.environ.setdefault("LANCEDB_LOG", "error")

from analysis.knowledge.lance_import import register_namespace_client_lazily  # noqa: E402

register_namespace_client_lazily()

from analysis.knowledge.embedders import (  # noqa: E402
    BedrockTitanEmbedder,
    Embedder,
    HashingEmbedder,
    MiniLMOnnxEmbedder,
    default_embedder,
)
from analysis.knowledge.filters import KBFilters  # noqa: E402
from analysis.knowledge.importers import (  # noqa: E402
    IMPORT_SUFFIXES,
    export_jsonl,
    parse_csv,
    parse_file,
    parse_jsonl,
    parse_markdown,
)
from analysis.knowledge.index import KnowledgeBase  # noqa: E402
from analysis.knowledge.models import KBEntry, KBHit  # noqa: E402
from analysis.knowledge.promote import draft_from_report, incident_query, promoted_id, similar_incidents  # noqa: E402

__all__ = [
    "IMPORT_SUFFIXES", "BedrockTitanEmbedder", "Embedder", "export_jsonl", "parse_file", "HashingEmbedder", "KBEntry", "KBFilters", "KBHit", "KnowledgeBase",
    "MiniLMOnnxEmbedder", "default_embedder", "draft_from_report", "incident_query", "parse_csv", "parse_jsonl",
    "parse_markdown", "promoted_id", "similar_incidents",
]
