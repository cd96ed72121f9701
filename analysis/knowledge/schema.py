"""The LanceDB row schema of the knowledge base and the conversions between rows and :class:`KBEntry`.

The vector dimension depends on the embedder, so the ``LanceModel`` is built per dimension. The
embedder id and dimension are written into the Arrow schema metadata of the table
(``kb.embedder_id`` / ``kb.dim``) so any reader can tell how the vectors were made.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
from lancedb.pydantic import LanceModel, Vector

from analysis.knowledge.models import KBEntry
from analysis.models import utc

SCHEMA_VERSION = "1"
META_EMBEDDER = b"kb.embedder_id"
META_DIM = b"kb.dim"
META_VERSION = b"kb.schema_version"


@lru_cache(maxsize=8)
def row_model(dim: int) -> type[LanceModel]:
    """The typed row model for vectors of ``dim`` dimensions."""

    class KBRow(LanceModel):
        id: str
        title: str
        summary: str
        root_cause: str
        category: str | None
        services: list[str]
        tags: list[str]
        resolution: str
        runbook: list[str]
        started_at: datetime | None
        resolved_at: datetime | None
        links: list[str]
        source: str
        metadata_json: str
        text: str
        vector: Vector(dim)  # type: ignore[valid-type]

    return KBRow


def table_schema(dim: int, embedder_id: str) -> pa.Schema:
    """Arrow schema with the embedder recorded in its metadata."""
    schema = row_model(dim).to_arrow_schema()
    return schema.with_metadata({META_EMBEDDER: embedder_id.encode(), META_DIM: str(dim).encode(),
                                 META_VERSION: SCHEMA_VERSION.encode()})


def embedder_of(schema: pa.Schema) -> tuple[str, int] | None:
    """(embedder id, dim) recorded in a table's schema, or None for a foreign table."""
    meta = schema.metadata or {}
    if META_EMBEDDER not in meta or META_DIM not in meta:
        return None
    return meta[META_EMBEDDER].decode(), int(meta[META_DIM])


def _naive_utc(dt: datetime | None) -> datetime | None:
    return None if dt is None else utc(dt).replace(tzinfo=None)


def entry_to_row(entry: KBEntry, vector: np.ndarray) -> dict[str, Any]:
    """One table row for ``entry`` (timestamps stored as naive UTC)."""
    return {
        "id": entry.id, "title": entry.title, "summary": entry.summary, "root_cause": entry.root_cause,
        "category": entry.category, "services": list(entry.services), "tags": list(entry.tags),
        "resolution": entry.resolution, "runbook": list(entry.runbook),
        "started_at": _naive_utc(entry.started_at), "resolved_at": _naive_utc(entry.resolved_at),
        "links": list(entry.links), "source": entry.source,
        "metadata_json": json.dumps(entry.metadata, sort_keys=True, ensure_ascii=False, default=str),
        "text": entry.search_text(), "vector": np.asarray(vector, dtype=np.float32).tolist(),
    }


def row_to_entry(row: dict[str, Any]) -> KBEntry:
    """Rebuild the entry from a row (extra columns such as scores are ignored)."""
    def ts(v: Any) -> datetime | None:
        if v is None:
            return None
        return v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v

    return KBEntry(
        id=row["id"], title=row["title"], summary=row["summary"] or "", root_cause=row["root_cause"] or "",
        category=row["category"], services=row["services"] or [], tags=row["tags"] or [],
        resolution=row["resolution"] or "", runbook=row["runbook"] or [],
        started_at=ts(row["started_at"]), resolved_at=ts(row["resolved_at"]), links=row["links"] or [],
        source=row["source"], metadata=json.loads(row["metadata_json"] or "{}"),
    )


ENTRY_COLUMNS = ["id", "title", "summary", "root_cause", "category", "services", "tags", "resolution", "runbook",
                 "started_at", "resolved_at", "links", "source", "metadata_json"]
