"""Classify and validate uploaded files before anything is stored.

``prepare_files`` expands archives, sniffs each file's kind (log, metrics, screenshot, note,
incident metadata) from its name, folder and magic bytes, validates it with the parser that will
read it, and returns accepted files plus one-sentence rejections. Containers it does not expand
(tar, bzip2, xz, 7-Zip, RAR, PDF, Office documents) and image formats it does not read (SVG, HEIC)
are refused with what to upload instead. Nothing is written here; limits come from ``Settings``
(see docs/LIMITS.md).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field

from analysis.errors import IngestError, ValidationError
from analysis.ingest.archive import ArchiveLimits, gunzip, is_gzip, is_zip, other_container, unzip
from analysis.ingest.images import image_format, open_image
from analysis.ingest.text import count_long_lines, decode_text, split_lines
from analysis.models import ArtifactKind, IncidentInput
from analysis.settings import Settings

LOG_EXTS = {".log", ".txt", ".json", ".jsonl", ".ndjson", ".out", ".err", ".events", ""}
METRIC_EXTS = {".csv", ".tsv"}
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp"}
NOTE_EXTS = {".md", ".markdown"}
#: Image formats Pillow does not read here, refused with what to do instead.
UNSUPPORTED_IMAGE_EXTS = {".svg": "an SVG drawing", ".svgz": "an SVG drawing", ".heic": "a HEIC photo",
                          ".heif": "a HEIF photo", ".avif": "an AVIF image", ".psd": "a Photoshop file"}
FOLDER_KINDS = {"logs": ArtifactKind.log, "log": ArtifactKind.log, "metrics": ArtifactKind.metrics,
                "metric": ArtifactKind.metrics, "screenshots": ArtifactKind.screenshot,
                "screenshot": ArtifactKind.screenshot, "images": ArtifactKind.screenshot,
                "notes": ArtifactKind.note, "alerts": ArtifactKind.alert}


@dataclass
class PreparedFile:
    """A validated file ready to be stored as an artifact (bytes exactly as uploaded)."""

    name: str
    data: bytes
    kind: ArtifactKind
    detected_format: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Rejection:
    """A file that was refused, with the one-sentence reason."""

    name: str
    reason: str


@dataclass
class PreparedBatch:
    """Outcome of :func:`prepare_files`."""

    files: list[PreparedFile] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    incident: IncidentInput | None = None


def limits_from(settings: Settings) -> ArchiveLimits:
    return ArchiveLimits(
        max_total_bytes=settings.max_decompressed_mb * 1024 * 1024,
        max_ratio=settings.max_compression_ratio,
        max_entries=settings.max_archive_entries,
        max_depth=settings.max_archive_depth,
    )


def parse_incident_json(data: bytes, name: str = "incident.json") -> IncidentInput:
    """Parse ``incident.json``; errors name the field and what was expected."""
    from pydantic import ValidationError as PydValidationError

    try:
        raw = json.loads(decode_text(data, name).text)
    except (json.JSONDecodeError, IngestError) as exc:
        raise ValidationError(f"{name} is not valid JSON ({exc}): fix the file or leave it out.") from None
    except RecursionError:
        raise ValidationError(f"{name} is nested too deeply to be an incident description: "
                              "use a flat JSON object with title, description, services and severity.") from None
    if not isinstance(raw, dict):
        raise ValidationError(f"{name} must be a JSON object with title, description, services and severity.")
    try:
        return IncidentInput.model_validate(raw)
    except PydValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise ValidationError(f"{name}: field '{loc}' is invalid ({first['msg']}).") from None


def _ext(name: str) -> str:
    base = posixpath.basename(name).lower()
    if base.endswith(".gz"):
        base = base[:-3]
    return posixpath.splitext(base)[1]


def _folder_kind(name: str) -> ArtifactKind | None:
    for part in reversed(name.replace("\\", "/").split("/")[:-1]):
        kind = FOLDER_KINDS.get(part.lower())
        if kind:
            return kind
    return None


def parses_as_table(name: str, data: bytes) -> bool:
    """Whether validating this upload may parse a metric table (pandas): CSV/TSV names, files in a
    ``metrics/`` folder and archives (which may hold either). Everything else validates without pandas."""
    return _ext(name) in METRIC_EXTS or _folder_kind(name) == ArtifactKind.metrics or is_zip(data)


def _check_upload_size(base: str, data: bytes, settings: Settings) -> None:
    if len(data) > settings.max_upload_bytes:
        raise IngestError(f"{base} is {len(data) / 2**20:.1f} MB, over the {settings.max_upload_mb} MB upload limit: "
                          "upload an excerpt around the incident window.")


def classify(name: str, data: bytes, settings: Settings) -> PreparedFile:
    """Sniff and validate one (non-archive) file; raises :class:`IngestError` with one sentence."""
    base = posixpath.basename(name)
    _check_upload_size(base, data, settings)
    ext = _ext(name)
    if ext in UNSUPPORTED_IMAGE_EXTS:
        raise IngestError(f"{base} is {UNSUPPORTED_IMAGE_EXTS[ext]}, which the workbench does not read: "
                          "export the screenshot as PNG or JPEG.")
    fmt = image_format(data)
    if fmt or ext in IMAGE_EXTS or _folder_kind(name) == ArtifactKind.screenshot:
        _img, info = open_image(data, base, settings.max_image_pixels)
        return PreparedFile(base, data, ArtifactKind.screenshot, f"{info.format} {info.width}x{info.height}", info.notes)
    payload = data
    detected = "text"
    if is_gzip(data):
        payload = gunzip(data, base, limits_from(settings))
        detected = "gzip"
    container = other_container(payload)
    if container:
        what, todo = container
        inside = " inside the gzip" if detected == "gzip" else ""
        raise IngestError(f"{base} is {what}{inside}, which the workbench does not read: {todo}.")
    decoded = decode_text(payload, base)
    notes = list(decoded.notes)
    if decoded.encoding not in ("utf-8",):
        notes.insert(0, f"encoding: {decoded.encoding}")
    long_count, longest = count_long_lines(decoded.text, settings.max_line_chars)
    if long_count:
        notes.append(f"{long_count} line(s) longer than {settings.max_line_chars:,} characters (longest "
                     f"{longest:,}): shown truncated, kept whole in the stored file")
    kind = _folder_kind(name)
    if kind is None:
        if ext in METRIC_EXTS:
            kind = ArtifactKind.metrics
        elif ext in NOTE_EXTS:
            kind = ArtifactKind.note
        else:
            kind = ArtifactKind.log
    if kind == ArtifactKind.metrics:
        from analysis.engines.metrics import load_metrics

        table = load_metrics(payload, base)
        n_series = table.frame["series"].nunique()
        notes.extend(table.notes)
        detected = f"{table.layout} csv, {n_series} series" + (" (gzip)" if detected == "gzip" else "")
    elif kind == ArtifactKind.log:
        detected = f"{detected} log, {len(split_lines(decoded.text))} lines"
    return PreparedFile(base, data, kind, detected, notes)


def prepare_files(files: list[tuple[str, bytes]], settings: Settings) -> PreparedBatch:
    """Validate uploads (expanding ``.zip`` bundles); every file is accepted or rejected, never half."""
    batch = PreparedBatch()
    for name, data in files:
        base = posixpath.basename(name) or "upload"
        try:
            if is_zip(data):
                _check_upload_size(base, data, settings)
                members = unzip(data, base, limits_from(settings))
                if not members:
                    raise IngestError(f"{base} holds no files: zip the logs, CSVs and screenshots themselves.")
                for member, blob in members:
                    _prepare_one(member, blob, settings, batch, label=f"{base}:{member}")
            else:
                _prepare_one(name, data, settings, batch, label=base)
        except (IngestError, ValidationError) as exc:
            batch.rejected.append(Rejection(base, str(exc)))
    return batch


def _prepare_one(name: str, data: bytes, settings: Settings, batch: PreparedBatch, label: str) -> None:
    if posixpath.basename(name).lower() == "incident.json":
        batch.incident = parse_incident_json(data, label)
        return
    try:
        batch.files.append(classify(name, data, settings))
    except (IngestError, ValidationError) as exc:
        batch.rejected.append(Rejection(label, str(exc)))
