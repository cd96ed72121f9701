"""Bytes or text -> validated :class:`KBEntry` lists: JSONL, CSV and Markdown postmortems (and JSONL export).

All importers are all-or-nothing: one bad record raises :class:`KnowledgeError` naming every bad
line (or row) number, and nothing is returned. Known field aliases are mapped onto entry fields;
unknown fields are kept in ``metadata``. Categories that are not taxonomy ids are mapped when the
meaning is clear (e.g. "Config Errors" -> ``config_change``) and the original is kept as
``metadata["source_category"]``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from analysis.errors import KnowledgeError
from analysis.knowledge.models import TAXONOMY, KBEntry, entry_id_for

MAX_ERRORS_LISTED = 10

#: Free-text category labels seen in public postmortem collections -> taxonomy ids.
CATEGORY_ALIASES: dict[str, str] = {
    "config errors": "config_change", "config error": "config_change", "configuration": "config_change",
    "misconfiguration": "config_change", "config": "config_change",
    "hardware/power failures": "node_failure", "hardware failure": "node_failure", "hardware": "node_failure",
    "power failure": "node_failure", "node failure": "node_failure",
    "deploy": "deployment_regression", "deployment": "deployment_regression", "bad deploy": "deployment_regression",
    "oom": "memory_exhaustion", "memory": "memory_exhaustion", "memory leak": "memory_exhaustion",
    "cpu": "cpu_saturation", "disk": "disk_full", "disk full": "disk_full",
    "dns": "network_dns", "network": "network_dns", "networking": "network_dns",
    "dependency": "dependency_failure", "third party": "dependency_failure",
    "certificate": "certificate_expiry", "tls": "certificate_expiry", "ssl": "certificate_expiry",
    "auth": "auth_credentials", "credentials": "auth_credentials",
    "traffic": "traffic_surge", "load": "traffic_surge", "cache": "cache_failure",
    "queue": "queue_backlog", "backlog": "queue_backlog", "data loss": "data_corruption",
    "corruption": "data_corruption",
}

_FIELD_ALIASES: dict[str, str] = {
    "name": "title", "headline": "title", "description": "summary", "details": "summary",
    "cause": "root_cause", "rootcause": "root_cause", "root cause": "root_cause",
    "fix": "resolution", "remediation": "resolution", "mitigation": "resolution",
    "service": "services", "components": "services", "labels": "tags", "tag": "tags",
    "steps": "runbook", "runbook_steps": "runbook", "start": "started_at", "date": "started_at",
    "started": "started_at", "resolved": "resolved_at", "ended_at": "resolved_at", "end": "resolved_at",
    "url": "links", "link": "links", "extra_urls": "links", "urls": "links",
}
_ENTRY_FIELDS = set(KBEntry.model_fields)
_SOURCES = {"imported", "promoted", "manual"}


def map_category(value: Any) -> tuple[str | None, str | None]:
    """(taxonomy id or None, original label when it was not already a taxonomy id)."""
    if value is None or not str(value).strip():
        return None, None
    raw = str(value).strip()
    key = raw.lower().replace("-", " ").replace("_", " ")
    if raw in TAXONOMY:
        return raw, None
    if key.replace(" ", "_") in TAXONOMY:
        return key.replace(" ", "_"), raw
    return CATEGORY_ALIASES.get(key), raw


def _split(value: Any, seps: str = r"[;,|\n]") -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in re.split(seps, str(value)) if p.strip()]


def record_to_entry(record: dict[str, Any], default_source: str = "imported") -> KBEntry:
    """Map one loose record onto a :class:`KBEntry` (raises ValueError / pydantic errors)."""
    fields: dict[str, Any] = {}
    metadata: dict[str, Any] = dict(record.get("metadata") or {}) if isinstance(record.get("metadata"), dict) else {}
    links: list[str] = []
    for key, value in record.items():
        if key == "metadata":
            continue
        norm = key.strip().lower()
        target = norm if norm in _ENTRY_FIELDS else _FIELD_ALIASES.get(norm)
        if target == "links":
            links.extend(_split(value, r"[\s,;|]+"))
        elif target in ("services", "tags", "runbook") and target not in fields:
            fields[target] = _split(value, r"\n" if target == "runbook" else r"[;,|\n]")
        elif target == "source":
            if str(value) in _SOURCES:
                fields["source"] = str(value)
            elif value not in (None, ""):
                metadata["source"] = value
        elif target and target not in fields and target != "metadata":
            fields[target] = value
        elif value not in (None, "", []):
            metadata[key] = value
    category, original = map_category(fields.pop("category", None))
    fields["category"] = category
    if original:
        metadata["source_category"] = original
    fields["links"] = links
    for key in ("title", "summary", "root_cause", "resolution"):
        if fields.get(key) is not None:
            fields[key] = str(fields[key]).strip()
    title = fields.get("title") or ""
    summary = fields.get("summary") or ""
    if not title and summary:
        title = re.split(r"(?<=[.!?])\s", summary, maxsplit=1)[0][:200]
        fields["title"] = title
    if not title:
        raise ValueError("needs a title or a summary")
    if not str(fields.get("id") or "").strip():
        fields["id"] = entry_id_for(title, summary)
    fields["id"] = str(fields["id"]).strip()
    fields.setdefault("source", default_source)
    for key in ("started_at", "resolved_at"):
        if fields.get(key) in ("", None):
            fields[key] = None
        elif isinstance(fields[key], str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields[key].strip()):
            fields[key] = datetime.fromisoformat(fields[key].strip())
    return KBEntry(**fields, metadata=metadata)


def _explain(exc: Exception) -> str:
    if isinstance(exc, PydanticValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        return f"{loc}: {first.get('msg', 'invalid')}" if loc else str(first.get("msg", "invalid"))
    return str(exc)


def _raise_bad(kind: str, unit: str, bad: list[tuple[int, str]]) -> None:
    listed = ", ".join(f"{n} ({why})" for n, why in bad[:MAX_ERRORS_LISTED])
    more = f" and {len(bad) - MAX_ERRORS_LISTED} more" if len(bad) > MAX_ERRORS_LISTED else ""
    raise KnowledgeError(f"The {kind} file has invalid {unit}s {listed}{more}; fix them and import again "
                         "(nothing was imported).")


def _decode(data: bytes | str, kind: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"The {kind} file is not UTF-8 text; re-save it as UTF-8 and import again.") from exc


def _check_unique(entries: list[tuple[int, KBEntry]], kind: str, unit: str) -> None:
    seen: dict[str, int] = {}
    bad: list[tuple[int, str]] = []
    for n, e in entries:
        if e.id in seen:
            bad.append((n, f"id {e.id!r} repeats {unit} {seen[e.id]}"))
        seen.setdefault(e.id, n)
    if bad:
        _raise_bad(kind, unit, bad)


def parse_jsonl(data: bytes | str) -> list[KBEntry]:
    """One JSON object per line; blank lines skipped; an ``id`` is kept; unknown fields -> metadata."""
    text = _decode(data, "JSONL")
    out: list[tuple[int, KBEntry]] = []
    bad: list[tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            out.append((n, record_to_entry(record)))
        except json.JSONDecodeError as exc:
            bad.append((n, f"invalid JSON at column {exc.colno}"))
        except RecursionError:
            bad.append((n, "JSON nested too deeply"))
        except (ValueError, TypeError) as exc:
            bad.append((n, _explain(exc)))
    if bad:
        _raise_bad("JSONL", "line", bad)
    if not out:
        raise KnowledgeError("The JSONL file holds no entries; add one JSON object per line.")
    _check_unique(out, "JSONL", "line")
    return [e for _, e in out]


def parse_csv(data: bytes | str) -> list[KBEntry]:
    """A header row with entry field names (or aliases); list cells split on ``;`` ``,`` or ``|``.

    Runbook cells split on newlines. Row numbers in errors count the header as row 1.
    """
    text = _decode(data, "CSV")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise KnowledgeError("The CSV file has no header row; add one naming the columns (title, summary, ...).")
    out: list[tuple[int, KBEntry]] = []
    bad: list[tuple[int, str]] = []
    for n, row in enumerate(reader, start=2):
        record = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if not record:
            continue
        try:
            out.append((n, record_to_entry(record)))
        except (ValueError, TypeError) as exc:
            bad.append((n, _explain(exc)))
    if bad:
        _raise_bad("CSV", "row", bad)
    if not out:
        raise KnowledgeError("The CSV file holds no entries; add one row per postmortem under the header.")
    _check_unique(out, "CSV", "row")
    return [e for _, e in out]


_SECTION_FIELDS = {
    "summary": "summary", "overview": "summary", "description": "summary", "what happened": "summary",
    "impact": "impact", "root cause": "root_cause", "root causes": "root_cause", "cause": "root_cause",
    "resolution": "resolution", "fix": "resolution", "mitigation": "resolution", "remediation": "resolution",
    "runbook": "runbook", "action items": "runbook", "steps": "runbook", "next steps": "runbook",
    "links": "links", "references": "links", "timeline": "timeline",
}
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w -]*):\s*(.*)$")


def _slug(name: str) -> str:
    stem = re.sub(r"\.(md|markdown|txt)$", "", name.strip(), flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "postmortem"


def parse_markdown(text: str, name: str) -> KBEntry:
    """One Markdown postmortem: optional ``key: value`` front matter, ``# Title``, ``## Section`` bodies.

    Sections map by heading (Summary, Root cause, Resolution, Runbook/Action items, Links, ...);
    unknown sections are kept in metadata. The id defaults to a slug of ``name``.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    record: dict[str, Any] = {}
    i = 0
    if lines and lines[0].strip() == "---":  # front matter
        for j in range(1, len(lines)):
            if lines[j].strip() == "---":
                for fl in lines[1:j]:
                    m = _FRONT_KEY.match(fl.strip())
                    if m:
                        val: Any = m.group(2).strip()
                        if val.startswith("[") and val.endswith("]"):
                            val = [v.strip().strip("'\"") for v in val[1:-1].split(",") if v.strip()]
                        record[m.group(1).strip().lower().replace(" ", "_")] = val
                i = j + 1
                break
    sections: dict[str, list[str]] = {}
    current = "summary"
    for line in lines[i:]:
        h1 = re.match(r"^#\s+(.*)$", line)
        h2 = re.match(r"^#{2,6}\s+(.*)$", line)
        if h1 and "title" not in record:
            record["title"] = h1.group(1).strip()
            continue
        if h2:
            current = h2.group(1).strip().rstrip(":").lower()
            continue
        sections.setdefault(current, []).append(line)
    for heading, body in sections.items():
        field = _SECTION_FIELDS.get(heading, heading)
        content = "\n".join(body).strip()
        if not content:
            continue
        if field in ("runbook", "links"):
            items = [m.group(1).strip() for m in (_LIST_ITEM.match(b) for b in body) if m]
            record[field] = items or [b.strip() for b in body if b.strip()]
        elif field in ("summary", "root_cause", "resolution"):
            record[field] = re.sub(r"\s*\n\s*", " ", content)
        else:
            record[field] = content
    record.setdefault("id", _slug(name))
    record.setdefault("source", "imported")
    try:
        return record_to_entry(record)
    except (ValueError, TypeError) as exc:
        raise KnowledgeError(f"The Markdown postmortem {name} cannot be imported ({_explain(exc)}); "
                             "give it a '# Title' line and a summary.") from exc


#: File name endings each importer accepts (also the upload widget's accepted types).
IMPORT_SUFFIXES: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
                                   ".md": "markdown", ".markdown": "markdown"}


def parse_file(name: str, data: bytes) -> list[KBEntry]:
    """Pick the importer by the file name's ending (for uploads and the CLI); all-or-nothing like the others."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = IMPORT_SUFFIXES.get(suffix)
    if kind == "jsonl":
        return parse_jsonl(data)
    if kind == "csv":
        return parse_csv(data)
    if kind == "markdown":
        return [parse_markdown(_decode(data, "Markdown"), name)]
    raise KnowledgeError(f"The file {name} is not JSONL, CSV or Markdown; use .jsonl, .csv or .md.")


def export_jsonl(entries: list[KBEntry]) -> bytes:
    """Entries as JSONL that :func:`parse_jsonl` reads back unchanged (ids, metadata and dates kept)."""
    return "".join(e.model_dump_json() + "\n" for e in entries).encode("utf-8")
