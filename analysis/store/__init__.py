"""DuckDB store: incidents, artifacts (content-addressed files), runs, reports, reviews, ledger, audit.

Use :class:`analysis.store.store.Store`; it opens a short-lived connection per operation so the
app and the CLI can share one data directory (DuckDB allows one writing process at a time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.store.store import Store

__all__ = ["Store"]


def __getattr__(name: str) -> Any:
    """``Store`` is imported on first use: ``analysis.store.files`` alone must not import duckdb (~0.1 s)."""
    if name == "Store":
        from analysis.store.store import Store

        return Store
    raise AttributeError(f"module 'analysis.store' has no attribute {name!r}")
