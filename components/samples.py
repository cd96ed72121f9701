"""Shipped sample incidents (``data/samples/<name>/``) for the first-run screen.

Listing reads only each ``incident.json`` (cheap on every rerun); opening one is
``analysis.samples.open_sample``.
"""

from __future__ import annotations

import json
from pathlib import Path

import analysis.settings as settings_module
from analysis import samples
from analysis.models import Incident
from analysis.settings import Settings
from analysis.store import Store


def samples_dir() -> Path:
    return settings_module.SAMPLES_DIR


def list_samples() -> list[tuple[str, str]]:
    """``(folder name, title)`` of every sample, sorted by folder name."""
    root = samples_dir()
    if not root.is_dir():
        return []
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and (p / "incident.json").is_file()):
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
    """Create an incident from a sample folder and upload its files (``analysis.samples.open_sample``)."""
    return samples.open_sample(store, name, settings, root=samples_dir())
