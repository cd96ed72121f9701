"""Knowledge-base filters (category, service, tag, source, date range) and their SQL ``where`` text.

Values are escaped here, in one place; LanceDB evaluates the clause as a prefilter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, field_validator

from analysis.models import utc


def sql_str(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


class KBFilters(BaseModel):
    """Which entries to keep; ``None`` means "any". Dates bound ``started_at`` (inclusive)."""

    category: str | None = None
    service: str | None = None
    tag: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)

    @classmethod
    def coerce(cls, value: "KBFilters | dict[str, Any] | None") -> "KBFilters":
        if value is None:
            return cls()
        if isinstance(value, KBFilters):
            return value
        return cls(**value)

    def where(self) -> str | None:
        """The SQL predicate, or None when nothing is filtered."""
        parts: list[str] = []
        if self.category:
            parts.append(f"category = {sql_str(self.category)}")
        if self.service:
            parts.append(f"array_has_any(services, [{sql_str(self.service)}])")
        if self.tag:
            parts.append(f"array_has_any(tags, [{sql_str(self.tag)}])")
        if self.source:
            parts.append(f"source = {sql_str(self.source)}")
        if self.since:
            parts.append(f"started_at >= TIMESTAMP '{self.since:%Y-%m-%d %H:%M:%S}'")
        if self.until:
            parts.append(f"started_at <= TIMESTAMP '{self.until:%Y-%m-%d %H:%M:%S}'")
        return " AND ".join(parts) or None
