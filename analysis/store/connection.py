"""Short-lived DuckDB connections with a bounded retry when another process holds the file.

DuckDB 2.0 lets exactly one process open a database file (not even read-only beside a writer).
Holding connections only for the length of one operation, and retrying briefly on the lock
error, lets the Streamlit app and the CLI share a data directory; if the file stays busy the
caller gets :class:`StoreBusyError` with one sentence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from analysis.errors import StoreBusyError, StoreError

_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "lock on file", "being used by another process")


def _is_lock_error(exc: Exception) -> bool:
    msg = str(exc)
    return any(m in msg for m in _LOCK_MARKERS)


class ConnectionFactory:
    """Opens the database file per operation; serialises writers inside this process."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 15.0, sleep: Callable[[float], None] = time.sleep):
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._sleep = sleep
        self._write_lock = threading.RLock()

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"The database {self.path} cannot be opened ({exc}).") from None
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"The data directory {self.path.parent} is in use by another process "
                        "(the app or a CLI run): wait for it to finish or use --db with another directory."
                    ) from None
                self._sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open()
        try:
            cur = con.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            con.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A transaction: committed on success, rolled back on any exception."""
        with self._write_lock:
            con = self._open()
            try:
                cur = con.cursor()
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                finally:
                    cur.close()
            finally:
                con.close()
