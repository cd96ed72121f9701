"""Content-addressed artifact files: written atomically (temp + rename), never modified."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from analysis.errors import StoreError


class ArtifactFiles:
    """Stores bytes under ``<root>/<sha[:2]>/<sha>``; identical uploads share one file."""

    def __init__(self, root: Path):
        self.root = root

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def relpath(self, sha: str) -> str:
        return f"artifacts/{sha[:2]}/{sha}"

    def put(self, data: bytes) -> tuple[str, str]:
        """Write ``data`` if not already present; returns ``(sha256, path relative to data dir)``."""
        sha = self.digest(data)
        target = self.root / sha[:2] / sha
        if target.exists() and target.stat().st_size == len(data):
            return sha, self.relpath(sha)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise StoreError(f"Cannot write the artifact file under {self.root} ({exc.strerror}): "
                             "check free disk space and permissions of the data directory.") from None
        return sha, self.relpath(sha)

    def sweep_stale_temp(self, max_age_s: float = 3600.0) -> int:
        """Remove temp files left by a writer killed mid-write (older than ``max_age_s``); returns the count."""
        import time

        removed = 0
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - max_age_s
        for tmp in self.root.glob("*/.tmp-*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    def get(self, sha: str) -> bytes:
        path = self.root / sha[:2] / sha
        try:
            return path.read_bytes()
        except OSError as exc:
            raise StoreError(f"The stored artifact file {path} cannot be read ({exc.strerror}).") from None
