"""Display text for domain values: category names, times, confidences, statuses, sizes.

Pure functions (no streamlit) so every view formats the same value the same way.
"""

from __future__ import annotations

from datetime import datetime

from analysis.export import md_escape
from analysis.models import Category, IncidentStatus

CATEGORY_LABELS: dict[str, str] = {
    "deployment_regression": "Deployment regression",
    "config_change": "Configuration change",
    "memory_exhaustion": "Memory exhaustion",
    "cpu_saturation": "CPU saturation",
    "disk_full": "Disk full",
    "database_overload": "Database overload",
    "network_dns": "Network / DNS",
    "dependency_failure": "Dependency failure",
    "certificate_expiry": "Certificate expiry",
    "auth_credentials": "Auth / credentials",
    "traffic_surge": "Traffic surge",
    "cache_failure": "Cache failure",
    "queue_backlog": "Queue backlog",
    "node_failure": "Node failure",
    "data_corruption": "Data corruption",
}

STATUS_COLORS: dict[str, str] = {
    "detected": "red", "acknowledged": "orange", "investigating": "violet", "mitigated": "blue",
    "resolved": "green", "learned": "gray", "inconclusive": "gray",
}

SEVERITY_COLORS: dict[str, str] = {"SEV1": "red", "SEV2": "orange", "SEV3": "yellow", "SEV4": "gray"}

def category_label(category: Category | str | None) -> str:
    if category is None:
        return "—"
    value = category.value if isinstance(category, Category) else str(category)
    return CATEGORY_LABELS.get(value, value.replace("_", " ").capitalize())


def status_label(status: IncidentStatus | str) -> str:
    value = status.value if isinstance(status, IncidentStatus) else str(status)
    return value.capitalize()


def when(dt: datetime | None, *, seconds: bool = False) -> str:
    """``2026-11-30 14:02 UTC``; ``—`` when unknown."""
    if dt is None:
        return "—"
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def size(n: int) -> str:
    """Human file size: ``812 B``, ``14.2 KB``, ``3.1 MB``."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def seconds(value: float | None) -> str:
    return "—" if value is None else (f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s")


def md(text: object) -> str:
    """User- or log-derived text made literal for Streamlit Markdown (titles, labels, captions, badges).

    ``analysis.export.md_escape`` escapes ``:`` and ``@`` too, which stops Streamlit's ``:red[...]``
    colour directives, ``:emoji:`` / ``:material/...:`` shortcodes and URL/e-mail autolinks.
    """
    return md_escape(None if text is None else str(text))
