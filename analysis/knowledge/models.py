"""Typed knowledge-base records: a past incident or postmortem (:class:`KBEntry`) and a search hit.

These are the boundary types of :mod:`analysis.knowledge`: importers produce entries, the index
stores them, search returns hits, pages and the CLI render them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from analysis.models import Category, SimilarIncident, utc

#: Where an entry came from.
EntrySource = Literal["imported", "promoted", "manual"]

TAXONOMY: frozenset[str] = frozenset(c.value for c in Category)


def _clean_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        v = [v]
    out: list[str] = []
    for item in v:
        s = str(item).strip()
        if s and s not in out:
            out.append(s)
    return out


def entry_id_for(title: str, summary: str) -> str:
    """Deterministic id for an entry that arrives without one (same text -> same id)."""
    digest = hashlib.sha1(f"{title}\n{summary}".encode("utf-8")).hexdigest()
    return f"kb-{digest[:12]}"


class KBEntry(BaseModel):
    """One past incident or postmortem in the knowledge base."""

    model_config = ConfigDict(str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    summary: str = ""
    root_cause: str = ""
    category: str | None = Field(default=None, description="root-cause taxonomy id, or None when unknown")
    services: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    resolution: str = ""
    runbook: list[str] = Field(default_factory=list, description="ordered remediation steps")
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    links: list[str] = Field(default_factory=list)
    source: EntrySource = "manual"
    metadata: dict[str, Any] = Field(default_factory=dict, description="fields kept from imports")

    @field_validator("category", mode="before")
    @classmethod
    def _check_category(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        s = str(v).strip()
        if s not in TAXONOMY:
            raise ValueError(f"category {s!r} is not a taxonomy id ({', '.join(sorted(TAXONOMY))})")
        return s

    @field_validator("services", "tags", "runbook", "links", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> list[str]:
        return _clean_list(v)

    @field_validator("started_at", "resolved_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)

    def embedding_text(self) -> str:
        """The text the embedder sees: what happened, why, and what fixed it."""
        parts: list[str] = []
        title = self.title.rstrip(". ")
        if not self.summary.startswith(title.rstrip(".").rstrip()):
            parts.append(self.title)
        for part in (self.summary, self.root_cause, self.resolution):
            if part:
                parts.append(part)
        if self.services:
            parts.append("Services: " + ", ".join(self.services))
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags))
        return "\n".join(parts) or self.title

    def search_text(self) -> str:
        """The text the full-text index sees: everything an analyst might type, metadata included."""
        extra = [str(v) for k, v in sorted(self.metadata.items()) if isinstance(v, (str, int, float)) and k != "source"]
        words = [self.title, self.summary, self.root_cause, self.resolution, " ".join(self.runbook),
                 " ".join(self.services), " ".join(self.tags), (self.category or "").replace("_", " "), *extra]
        return "\n".join(w for w in words if w)


class KBHit(BaseModel):
    """One search result: the entry, a fused score in [0, 1] and a short reason it matched."""

    entry: KBEntry
    score: float
    why: str

    def to_similar(self) -> SimilarIncident:
        """The shape an incident report carries for "similar past incidents"."""
        resolution = self.entry.resolution or "; ".join(self.entry.runbook[:3])
        return SimilarIncident(entry_id=self.entry.id, title=self.entry.title, score=self.score, reason=self.why,
                               category=self.entry.category, resolution=resolution)
