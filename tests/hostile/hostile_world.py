"""The sandbox a catalogue run happens in, and the snapshots that prove nothing else changed.

Layout under one temporary root: ``data/`` (the one data directory every case writes to),
``inputs/<case>/`` (the case's files), ``cwd/`` (the working directory during the run) and
``tmp/`` (``TMPDIR``). Outside ``data/`` nothing may appear or change; inside it, rows and
artifact files that existed before a case must be identical after it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from analysis.store import Store

#: Tables whose rows are compared before/after every case, with their identity columns.
TABLES = {
    "incidents": "id",
    "artifacts": "id",
    "runs": "id",
    "findings": "run_id || '/' || id",
    "hypotheses": "run_id || '/' || id",
    "reviews": "id",
    "audit_log": "id",
}


@dataclass
class World:
    root: Path
    data: Path
    cwd: Path
    tmp: Path
    inputs: Path

    @classmethod
    def create(cls, root: Path) -> "World":
        w = cls(root=root, data=root / "data", cwd=root / "cwd", tmp=root / "tmp", inputs=root / "inputs")
        for p in (w.cwd, w.tmp, w.inputs):
            p.mkdir(parents=True, exist_ok=True)
        return w


def rows_snapshot(store: Store) -> dict[str, dict[str, str]]:
    """``{table: {row id: sha256 of the row}}`` read through one short-lived connection."""
    snap: dict[str, dict[str, str]] = {}
    with store.db.read() as cur:
        for table, key in TABLES.items():
            rows = cur.execute(f"SELECT {key} AS k, * FROM {table} ORDER BY k").fetchall()
            snap[table] = {str(r[0]): hashlib.sha256(repr(r[1:]).encode()).hexdigest() for r in rows}
    return snap


def files_snapshot(top: Path, *, skip: Path | None = None) -> dict[str, tuple]:
    """``{relative path: (type, size, mtime_ns, inode)}`` without reading contents (FIFOs are safe)."""
    out: dict[str, tuple] = {}
    if not top.exists():
        return out
    for dirpath, dirs, names in os.walk(top, followlinks=False):
        d = Path(dirpath)
        if skip is not None and (d == skip or skip in d.parents):
            dirs[:] = []
            continue
        for n in dirs + names:
            p = d / n
            if skip is not None and p == skip:
                continue
            st = p.lstat()
            out[str(p.relative_to(top))] = (stat.S_IFMT(st.st_mode), st.st_size if not stat.S_ISDIR(st.st_mode) else 0,
                                            st.st_mtime_ns if stat.S_ISREG(st.st_mode) else 0, st.st_ino)
    return out


def artifact_files_intact(data: Path) -> list[str]:
    """Content-addressed files whose bytes no longer hash to their name (should be none)."""
    bad = []
    root = data / "artifacts"
    for p in sorted(root.rglob("*")) if root.exists() else []:
        if p.is_file() and not p.name.startswith(".tmp-"):
            if hashlib.sha256(p.read_bytes()).hexdigest() != p.name:
                bad.append(str(p.relative_to(data)))
    return bad


def unexpected_data_files(data: Path) -> list[str]:
    """Files in the data directory that are neither the database, its WAL, artifacts, the KB nor its model."""
    allowed_top = {"workbench.duckdb", "workbench.duckdb.wal", "artifacts", "kb", "models"}
    bad = []
    for p in data.iterdir():
        if p.name not in allowed_top:
            bad.append(p.name)
    art = data / "artifacts"
    if art.exists():
        for p in art.rglob("*"):
            rel = p.relative_to(art).parts
            if p.is_dir() and len(rel) == 1 and len(rel[0]) == 2:
                continue
            if not (p.is_file() and len(rel) == 2 and rel[1].startswith(rel[0]) and len(rel[1]) == 64):
                bad.append(str(p.relative_to(data)))
    return bad
