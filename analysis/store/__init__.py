"""DuckDB store: incidents, artifacts (content-addressed files), runs, reports, reviews, ledger, audit.

Use :class:`analysis.store.store.Store`; it opens a short-lived connection per operation so the
app and the CLI can share one data directory (DuckDB allows one writing process at a time).
"""

from analysis.store.store import Store

__all__ = ["Store"]
