"""Demo incidents shipped in ``data/samples/``: list them and open one as a stored incident."""

from __future__ import annotations

from pathlib import Path

from analysis.errors import NotFoundError
from analysis.ingest.prepare import parse_incident_json
from analysis.models import Incident, IncidentInput
from analysis.settings import SAMPLES_DIR, Settings
from analysis.store import Store
from analysis.workflow import read_paths, upload


def list_samples(root: Path = SAMPLES_DIR) -> list[tuple[str, IncidentInput]]:
    """``(folder name, incident fields)`` of every sample, sorted by name."""
    out = []
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "incident.json").is_file()):
            meta = folder / "incident.json"
            out.append((folder.name, parse_incident_json(meta.read_bytes(), str(meta))))
    return out


def open_sample(store: Store, name: str, settings: Settings, root: Path = SAMPLES_DIR) -> Incident:
    """Create an incident from a sample folder and upload its files through the normal ingest path."""
    folder = root / name
    if not (folder / "incident.json").is_file():
        raise NotFoundError(f"There is no sample called {name!r}: pick one from the list.")
    incident_in, files = read_paths([folder], settings)
    incident = store.create_incident(incident_in or IncidentInput(title=name), actor="sample")
    upload(store, incident.id, files, settings)
    return incident
