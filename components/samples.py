"""Shipped sample incidents (``data/samples/<name>/``): list them and open one as a stored incident.

Stand-in until ``analysis.samples.open_sample`` exists: it only composes ``workflow.read_paths``,
``Store.create_incident`` and ``workflow.upload``.
"""

from __future__ import annotations

import json
from pathlib import Path

import analysis.settings as settings_module
from analysis.errors import IngestError
from analysis.models import Incident, IncidentInput
from analysis.settings import Settings
from analysis.store import Store
from analysis.workflow import read_paths, upload


def samples_dir() -> Path:
    return settings_module.SAMPLES_DIR


def list_samples() -> list[tuple[str, str]]:
    """``(folder name, title)`` of every sample, sorted by folder name."""
    root = samples_dir()
    if not root.is_dir():
        return []
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        title = d.name.replace("-", " ").replace("_", " ")
        meta = d / "incident.json"
        if meta.is_file():
            try:
                title = json.loads(meta.read_text(encoding="utf-8")).get("title") or title
            except (OSError, ValueError, AttributeError):
                pass
        out.append((d.name, str(title)))
    return out


def open_sample(store: Store, name: str, settings: Settings) -> Incident:
    """Create an incident from a sample folder and upload its files through the normal upload path."""
    try:
        from analysis.samples import open_sample as lead_open_sample  # the lead's version, once it exists
    except ImportError:
        lead_open_sample = None
    if lead_open_sample is not None:
        return lead_open_sample(store, name, settings)
    folder = samples_dir() / name
    if not folder.is_dir() or name not in {n for n, _ in list_samples()}:
        raise IngestError(f"There is no sample called {name!r}: pick one from the list.")
    found, files = read_paths([folder], settings)
    incident = store.create_incident(found or IncidentInput(title=name), actor="sample")
    upload(store, incident.id, files, settings)
    return store.get_incident(incident.id)
