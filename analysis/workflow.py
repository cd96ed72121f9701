"""Stored workflows shared by the app and the CLI: upload into an incident, run and store an analysis.

Pages and CLI commands call these instead of orchestrating store + ingest + pipeline themselves.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.agents.base import AgentContext, Progress
from analysis.agents.log_agent import LogAgent
from analysis.agents.vision_agent import VisionAgent, metrics_end_date
from analysis.agents.loaded import LoadedArtifact
from analysis.errors import IngestError, WorkbenchError
from analysis.ingest.archive import is_zip
from analysis.ingest.prepare import PreparedBatch, PreparedFile, Rejection, parses_as_table, prepare_files
from analysis.models import Artifact, ArtifactKind, Incident, IncidentInput, IncidentReport, RunInfo
from analysis.pipeline import analyze, start_agent
from analysis.settings import Settings
from analysis.store.files import ArtifactFiles

if TYPE_CHECKING:
    from analysis.forked import Started
    from analysis.store import Store


@dataclass
class UploadOutcome:
    """What happened to a batch of uploads."""

    added: list[Artifact] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    incident: IncidentInput | None = None


def upload(store: Store, incident_id: str, files: Sequence[tuple[str, bytes]], settings: Settings) -> UploadOutcome:
    """Validate every file first, then store the accepted ones; rejected files store nothing."""
    current = store.get_incident(incident_id)
    out = store_prepared(store, incident_id, prepare_files(list(files), settings))
    meta = out.incident
    if meta is not None and (not current.description or not current.services):
        # an incident.json in a bundle fills in what the analyst left empty; typed fields are never overwritten
        merged = current.model_copy(update={"description": current.description or meta.description,
                                            "services": current.services or meta.services})
        store.update_incident(incident_id, IncidentInput.model_validate(merged.model_dump()), actor="upload")
    return out


def store_prepared(store: Store, incident_id: str, batch: PreparedBatch) -> UploadOutcome:
    """Store the accepted files of an already validated batch."""
    out = UploadOutcome(rejected=batch.rejected, incident=batch.incident)
    for f in batch.files:
        out.added.append(store.add_artifact(incident_id, f.name, f.data, f.kind, f.detected_format, f.notes))
    return out


def load_artifacts(store: Store, incident_id: str, settings: Settings) -> list[LoadedArtifact]:
    return [LoadedArtifact(a, store.read_artifact(a), settings) for a in store.list_artifacts(incident_id)]


def run_stored_analysis(store: Store, incident_id: str, settings: Settings, *, backend: Any = None,
                        progress: Progress | None = None, knowledge: Any = None,
                        cancelled: Callable[[], bool] = lambda: False) -> tuple[RunInfo, IncidentReport]:
    """Start a run, analyse every artifact of the incident, store the report (earlier runs are kept)."""
    incident = store.get_incident(incident_id)
    backend_name = getattr(backend, "name", "offline")
    run = store.start_run(incident_id, backend_name)
    try:
        artifacts = load_artifacts(store, incident_id, settings)
        report = analyze(incident, artifacts, settings=settings, backend=backend, clock=store.clock,
                         progress=progress or (lambda a, m: None), incident_id=incident_id, run_id=run.id,
                         knowledge=knowledge, cancelled=cancelled)
    except WorkbenchError as exc:
        store.fail_run(run.id, str(exc), status="cancelled" if "cancelled" in str(exc) else "failed")
        raise
    except BaseException as exc:
        store.fail_run(run.id, f"{type(exc).__name__}: {exc}")
        raise
    return store.finish_run(run.id, report), report


# ---------------------------------------------------------------------- files and folders from disk
_SKIP_NAMES = {"truth.json"}


def read_paths(paths: Sequence[str | Path], settings: Settings) -> tuple[IncidentInput | None, list[tuple[str, bytes]]]:
    """Collect ``(relative name, bytes)`` from files and folders (``logs/``, ``metrics/``, ``screenshots/``,
    ``incident.json``), refusing devices, FIFOs and symlink loops with one sentence."""
    from analysis.ingest.prepare import parse_incident_json

    incident: IncidentInput | None = None
    files: list[tuple[str, bytes]] = []
    for raw in paths:
        p = Path(raw)
        try:
            st = p.stat()
        except FileNotFoundError:
            raise IngestError(f"{raw} does not exist: check the path.") from None
        except OSError as exc:
            raise IngestError(f"{raw} cannot be read ({exc.strerror}): check the path (a symlink loop?).") from None
        if stat.S_ISDIR(st.st_mode):
            for root, dirs, names in os.walk(p, followlinks=False):
                dirs.sort()
                for n in sorted(names):
                    fp = Path(root) / n
                    # keep the given folder's own name: `analyze case/log case/metric` still says which is which
                    rel = (Path(p.resolve().name) / fp.relative_to(p)).as_posix()
                    if n in _SKIP_NAMES or n.startswith("."):
                        continue
                    if n == "incident.json" and Path(root) == p:
                        incident = parse_incident_json(_read_regular(fp, settings), str(fp))
                        continue
                    files.append((rel, _read_regular(fp, settings)))
        else:
            if p.name == "incident.json":
                incident = parse_incident_json(_read_regular(p, settings), str(p))
            else:
                files.append((p.name, _read_regular(p, settings)))
    if not files:
        raise IngestError("No files to analyse were found: pass log, CSV or screenshot files, or a folder holding them.")
    return incident, files


def _read_regular(p: Path, settings: Settings) -> bytes:
    try:
        st = p.lstat()
        if stat.S_ISLNK(st.st_mode):
            st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise IngestError(f"{p} is not a regular file (device, FIFO or socket): pass ordinary files only.")
        if st.st_size > settings.max_upload_bytes:  # checked before reading: a multi-GB path never reaches memory
            raise IngestError(f"{p.name} is {st.st_size / 2**20:.0f} MB, over the {settings.max_upload_mb} MB upload "
                              "limit: pass an excerpt around the incident window or raise SREWB_MAX_UPLOAD_MB.")
        return p.read_bytes()
    except IngestError:
        raise
    except OSError as exc:
        raise IngestError(f"{p} cannot be read ({exc.strerror}): check the path and permissions.") from None


def analyze_paths(paths: Sequence[str | Path], settings: Settings, *, incident: IncidentInput | None = None,
                  store: Store | None = None, backend: Any = None, progress: Progress | None = None,
                  knowledge: Any = None) -> tuple[IncidentReport, UploadOutcome, Incident | None]:
    """The CLI ``analyze``: read paths, validate, analyse; stored when ``store`` is given."""
    found, files = read_paths(paths, settings)
    default = IncidentInput(title=f"Analysis of {', '.join(Path(p).name for p in paths)}"[:300])
    if store is not None:
        batch = prepare_files(files, settings)
        if not batch.files:
            raise IngestError(_all_rejected(UploadOutcome(rejected=batch.rejected)))
        inc = store.create_incident(incident or found or batch.incident or default, actor="cli")
        outcome = store_prepared(store, inc.id, batch)
        _run, report = run_stored_analysis(store, inc.id, settings, backend=backend, progress=progress,
                                           knowledge=knowledge)
        return report, outcome, inc
    # Unstored: files whose validation needs no pandas (logs, screenshots, notes) are prepared first and
    # the log agent starts on them in its own process (when agents may fork) while the CSVs are parsed.
    now = datetime.now(timezone.utc)
    batch = PreparedBatch()
    by_input: dict[int, list[LoadedArtifact]] = {}

    def prepare(indices: list[int]) -> None:
        for i in indices:
            part = prepare_files([files[i]], settings)
            batch.files += part.files
            batch.rejected += part.rejected
            batch.incident = batch.incident or part.incident
            ids = [f"art-{i + 1:03d}"] if len(part.files) == 1 else [f"art-{i + 1:03d}-{k}" for k in range(1, len(part.files) + 1)]
            by_input[i] = [_loaded(f, art_id, now, settings) for f, art_id in zip(part.files, ids)]

    late = [i for i, (name, data) in enumerate(files) if parses_as_table(name, data)]
    prepare([i for i in range(len(files)) if i not in late])
    ready = [a for arts in by_input.values() for a in arts]
    logs = [a for a in ready if a.artifact.kind == ArtifactKind.log]
    shots = [a for a in ready if a.artifact.kind == ArtifactKind.screenshot]
    started: dict[str, Started] = {}

    def start_early(agent: Any, artifacts: list[LoadedArtifact], late_date: bool = False) -> None:
        ctx = AgentContext(incident=incident or found or default, artifacts=artifacts, settings=settings,
                           clock=lambda: now)
        if (job := start_agent(agent, ctx, late=late_date)) is not None:
            started[agent.name] = job

    if logs:
        start_early(LogAgent(), logs)
    if len(shots) == 1 and not any(is_zip(files[i][1]) for i in late):  # a zip may hold more screenshots or CSVs
        # The reader needs the CSVs' end date only after its OCR: it is sent once they are parsed below
        # (several screenshots are each read in a process of their own, which needs the date before it forks).
        # The metric engine (and pandas, 0.45 s) is imported first: the CSVs need it here and the reader in
        # its child, which would otherwise import it a second time.
        if late:
            import analysis.engines.metrics  # noqa: F401
        start_early(VisionAgent(), shots + logs, late_date=True)
    prepare(late)
    if "vision" in started:
        started["vision"].send_late(metrics_end_date(AgentContext(
            incident=default, artifacts=[a for i in late for a in by_input.get(i, [])], settings=settings,
            clock=lambda: now)))
    if not batch.files:
        raise IngestError(_all_rejected(UploadOutcome(rejected=batch.rejected)))
    loaded = [a for i in sorted(by_input) for a in by_input[i]]
    report = analyze(incident or found or batch.incident or default, loaded, settings=settings, backend=backend,
                     progress=progress or (lambda a, m: None), knowledge=knowledge, run_id="run-cli", running=started)
    return report, UploadOutcome(rejected=batch.rejected, incident=batch.incident), None


def _loaded(f: PreparedFile, art_id: str, now: datetime, settings: Settings) -> LoadedArtifact:
    art = Artifact(id=art_id, incident_id="", kind=f.kind, name=f.name, sha256=ArtifactFiles.digest(f.data),
                   size=len(f.data), detected_format=f.detected_format, path="", created_at=now, notes=f.notes)
    return LoadedArtifact(art, f.data, settings)


def _all_rejected(outcome: UploadOutcome) -> str:
    if len(outcome.rejected) == 1:
        return outcome.rejected[0].reason
    return f"None of the {len(outcome.rejected)} files could be used; first problem: {outcome.rejected[0].reason}"
