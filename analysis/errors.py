"""The one error hierarchy of the workbench.

Every error a user can cause or meet derives from :class:`WorkbenchError` and carries a
one-sentence, user-facing message (what is wrong and what to do). Pages and the CLI translate
these at one point each (``components.errors`` / ``analysis.__main__``).
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: ``str(err)`` is one sentence meant for the analyst."""


class IngestError(WorkbenchError):
    """An uploaded or given file cannot be accepted (type, size, encoding, layout, archive safety)."""


class ValidationError(WorkbenchError):
    """User-entered data (incident fields, incident.json, settings) is invalid."""


class StoreError(WorkbenchError):
    """The DuckDB store or the artifact files cannot be read or written."""


class StoreBusyError(StoreError):
    """Another process holds the data directory's database; retry or use another directory."""


class NotFoundError(StoreError):
    """A requested incident, artifact or run does not exist."""


class LifecycleError(WorkbenchError):
    """An illegal incident status transition was requested."""


class BackendError(WorkbenchError):
    """An LLM backend (Bedrock) failed; the offline result is used instead."""


class KnowledgeError(WorkbenchError):
    """The knowledge base cannot be opened, imported into or searched."""


class AnalysisError(WorkbenchError):
    """An analysis engine could not process an artifact."""
