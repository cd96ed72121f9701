"""The Store: every read and write of incidents, artifacts, runs, reports, reviews, ledger and audit.

One instance per data directory; safe to share between threads (a connection per operation).
The clock and id factory are injected so tests are deterministic.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analysis.errors import LifecycleError, NotFoundError, StoreError
from analysis.models import (
    STATUS_TRANSITIONS, Artifact, ArtifactKind, Incident, IncidentInput, IncidentReport,
    IncidentStatus, Review, RunInfo,
)
from analysis.store.connection import ConnectionFactory
from analysis.store.files import ArtifactFiles
from analysis.store.migrations import migrate


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """Persistence for the workbench, backed by a DuckDB file and content-addressed files."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], datetime] = _now,
                 new_id: Callable[[str], str] = _new_id, busy_timeout_s: float = 15.0):
        self.data_dir = Path(data_dir)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the data directory {self.data_dir} ({exc.strerror}).") from None
        self.clock = clock
        self.new_id = new_id
        self.db = ConnectionFactory(self.data_dir / "workbench.duckdb", busy_timeout_s=busy_timeout_s)
        self.files = ArtifactFiles(self.data_dir / "artifacts")
        with self.db.write() as cur:
            self.applied_migrations = migrate(cur)
        self.files.sweep_stale_temp()

    @classmethod
    def open(cls, settings: Any, **kwargs: Any) -> "Store":
        """The store of ``settings.data_dir`` with the configured busy timeout."""
        return cls(settings.data_dir, busy_timeout_s=settings.store_busy_timeout_s, **kwargs)

    # ------------------------------------------------------------------ incidents
    def create_incident(self, data: IncidentInput, actor: str = "analyst") -> Incident:
        now = self.clock()
        inc = Incident(id=self.new_id("inc"), status=IncidentStatus.detected, created_at=now, updated_at=now,
                       **data.model_dump())
        with self.db.write() as cur:
            cur.execute("INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?)",
                        [inc.id, inc.title, inc.description, inc.services, inc.severity.value,
                         inc.status.value, now, now])
            self._audit(cur, inc.id, "incident.created", inc.title, actor)
        return inc

    def update_incident(self, incident_id: str, data: IncidentInput, actor: str = "analyst") -> Incident:
        now = self.clock()
        with self.db.write() as cur:
            self._require_incident(cur, incident_id)
            cur.execute("UPDATE incidents SET title=?, description=?, services=?, severity=?, updated_at=? WHERE id=?",
                        [data.title, data.description, data.services, data.severity.value, now, incident_id])
            self._audit(cur, incident_id, "incident.updated", data.title, actor)
        return self.get_incident(incident_id)

    def get_incident(self, incident_id: str) -> Incident:
        with self.db.read() as cur:
            row = cur.execute("SELECT * FROM incidents WHERE id=?", [incident_id]).fetchone()
            if not row:
                raise NotFoundError(f"Incident {incident_id} does not exist: pick one from the incident list.")
            return self._incident(row)

    def list_incidents(self) -> list[Incident]:
        with self.db.read() as cur:
            rows = cur.execute("SELECT * FROM incidents ORDER BY created_at DESC, id").fetchall()
        return [self._incident(r) for r in rows]

    def set_status(self, incident_id: str, new: IncidentStatus, actor: str = "analyst") -> Incident:
        new = IncidentStatus(new)
        with self.db.write() as cur:
            row = self._require_incident(cur, incident_id)
            old = IncidentStatus(row[5])
            if new == old:
                return self._incident(row)
            if new not in STATUS_TRANSITIONS[old]:
                allowed = ", ".join(s.value for s in STATUS_TRANSITIONS[old]) or "none (final state)"
                raise LifecycleError(f"An incident cannot move from {old.value} to {new.value}; allowed next: {allowed}.")
            cur.execute("UPDATE incidents SET status=?, updated_at=? WHERE id=?", [new.value, self.clock(), incident_id])
            self._audit(cur, incident_id, "status.changed", f"{old.value} -> {new.value}", actor)
        return self.get_incident(incident_id)

    # ------------------------------------------------------------------ artifacts
    def add_artifact(self, incident_id: str, name: str, data: bytes, kind: ArtifactKind,
                     detected_format: str = "", notes: list[str] | None = None, actor: str = "analyst") -> Artifact:
        """Store bytes (atomically, content-addressed) and record them; a re-upload returns the existing row."""
        self.get_incident(incident_id)
        sha, rel = self.files.put(data)
        now = self.clock()
        with self.db.write() as cur:
            row = cur.execute("SELECT * FROM artifacts WHERE incident_id=? AND sha256=? AND name=?",
                              [incident_id, sha, name]).fetchone()
            if row:
                return self._artifact(row)
            art = Artifact(id=self.new_id("art"), incident_id=incident_id, kind=kind, name=name, sha256=sha,
                           size=len(data), detected_format=detected_format, path=rel, created_at=now,
                           notes=notes or [])
            cur.execute("INSERT INTO artifacts VALUES (?,?,?,?,?,?,?,?,?,?)",
                        [art.id, incident_id, kind.value, name, sha, len(data), detected_format, rel,
                         art.notes, now])
            self._audit(cur, incident_id, "artifact.added", f"{kind.value}: {name} ({len(data)} bytes)", actor)
        return art

    def list_artifacts(self, incident_id: str) -> list[Artifact]:
        with self.db.read() as cur:
            rows = cur.execute("SELECT * FROM artifacts WHERE incident_id=? ORDER BY created_at, name, id",
                               [incident_id]).fetchall()
        return [self._artifact(r) for r in rows]

    def get_artifact(self, artifact_id: str) -> Artifact:
        with self.db.read() as cur:
            row = cur.execute("SELECT * FROM artifacts WHERE id=?", [artifact_id]).fetchone()
        if not row:
            raise NotFoundError(f"Artifact {artifact_id} does not exist.")
        return self._artifact(row)

    def read_artifact(self, artifact: Artifact) -> bytes:
        return self.files.get(artifact.sha256)

    # ------------------------------------------------------------------ runs and reports
    def start_run(self, incident_id: str, backend: str) -> RunInfo:
        self.get_incident(incident_id)
        run = RunInfo(id=self.new_id("run"), incident_id=incident_id, backend=backend, status="running",
                      started_at=self.clock())
        with self.db.write() as cur:
            cur.execute("INSERT INTO runs (id, incident_id, backend, status, started_at, pid) VALUES (?,?,?,?,?,?)",
                        [run.id, incident_id, backend, "running", run.started_at, os.getpid()])
            self._audit(cur, incident_id, "run.started", f"{run.id} on {backend}", "system")
        return run

    def finish_run(self, run_id: str, report: IncidentReport) -> RunInfo:
        now = self.clock()
        top = report.top
        with self.db.write() as cur:
            row = cur.execute("SELECT started_at, incident_id FROM runs WHERE id=?", [run_id]).fetchone()
            if not row:
                raise NotFoundError(f"Run {run_id} does not exist.")
            seconds = (now - row[0]).total_seconds()
            cur.execute("UPDATE runs SET status='completed', finished_at=?, seconds=?, report=?, top_category=?, "
                        "top_confidence=? WHERE id=?",
                        [now, seconds, report.model_dump_json(), top.category.value if top else None,
                         top.confidence if top else None, run_id])
            for f in report.findings:
                cur.execute("INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?)",
                            [run_id, f.id, f.agent, f.kind, f.title, f.severity, f.service, f.start, f.end,
                             f.model_dump_json()])
            for rank, h in enumerate(report.hypotheses, 1):
                cur.execute("INSERT INTO hypotheses VALUES (?,?,?,?,?,?,?,?,?)",
                            [run_id, h.id, rank, h.category.value, h.service, h.onset, h.confidence, h.statement,
                             h.model_dump_json()])
            self._audit(cur, row[1], "run.completed", f"{run_id}: {top.category.value if top else 'no hypothesis'}",
                        "system")
        return self.get_run(run_id)

    def fail_run(self, run_id: str, error: str, status: str = "failed") -> None:
        now = self.clock()
        with self.db.write() as cur:
            row = cur.execute("SELECT started_at, incident_id FROM runs WHERE id=?", [run_id]).fetchone()
            if not row:
                return
            cur.execute("UPDATE runs SET status=?, finished_at=?, seconds=?, error=? WHERE id=?",
                        [status, now, (now - row[0]).total_seconds(), error[:2000], run_id])
            self._audit(cur, row[1], f"run.{status}", f"{run_id}: {error[:300]}", "system")

    def mark_interrupted_runs(self) -> int:
        """Runs left 'running' by a dead process (kill -9, crash) become 'interrupted'."""
        with self.db.read() as cur:
            rows = cur.execute("SELECT id, pid FROM runs WHERE status='running'").fetchall()
        dead = [r[0] for r in rows if not (_pid_alive(r[1]) and r[1] == os.getpid()) and not _pid_alive(r[1])]
        for run_id in dead:
            self.fail_run(run_id, "the process running this analysis stopped before it finished", status="interrupted")
        return len(dead)

    def list_runs(self, incident_id: str) -> list[RunInfo]:
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT id, incident_id, backend, status, started_at, finished_at, seconds, error, top_category, "
                "top_confidence FROM runs WHERE incident_id=? ORDER BY started_at DESC, id", [incident_id]).fetchall()
        return [self._run(r) for r in rows]

    def get_run(self, run_id: str) -> RunInfo:
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT id, incident_id, backend, status, started_at, finished_at, seconds, error, top_category, "
                "top_confidence FROM runs WHERE id=?", [run_id]).fetchone()
        if not row:
            raise NotFoundError(f"Run {run_id} does not exist.")
        return self._run(row)

    def get_report(self, run_id: str) -> IncidentReport | None:
        with self.db.read() as cur:
            row = cur.execute("SELECT report FROM runs WHERE id=?", [run_id]).fetchone()
        if not row or row[0] is None:
            return None
        return IncidentReport.model_validate_json(row[0])

    def latest_report(self, incident_id: str) -> IncidentReport | None:
        with self.db.read() as cur:
            row = cur.execute("SELECT report FROM runs WHERE incident_id=? AND status='completed' "
                              "ORDER BY finished_at DESC LIMIT 1", [incident_id]).fetchone()
        return IncidentReport.model_validate_json(row[0]) if row and row[0] else None

    # ------------------------------------------------------------------ reviews
    def add_review(self, incident_id: str, *, verdict: str = "note", note: str = "", run_id: str | None = None,
                   hypothesis_id: str | None = None, author: str = "analyst") -> Review:
        review = Review(id=self.new_id("rev"), incident_id=incident_id, run_id=run_id, hypothesis_id=hypothesis_id,
                        verdict=verdict, note=note, author=author, created_at=self.clock())
        with self.db.write() as cur:
            self._require_incident(cur, incident_id)
            cur.execute("INSERT INTO reviews VALUES (?,?,?,?,?,?,?,?)",
                        [review.id, incident_id, run_id, hypothesis_id, verdict, note, author, review.created_at])
            self._audit(cur, incident_id, f"review.{verdict}", f"{hypothesis_id or run_id or ''} {note[:200]}", author)
        return review

    def list_reviews(self, incident_id: str) -> list[Review]:
        with self.db.read() as cur:
            rows = cur.execute("SELECT * FROM reviews WHERE incident_id=? ORDER BY created_at, id",
                               [incident_id]).fetchall()
        return [Review(id=r[0], incident_id=r[1], run_id=r[2], hypothesis_id=r[3], verdict=r[4], note=r[5] or "",
                       author=r[6] or "", created_at=r[7]) for r in rows]

    def verdicts(self, run_id: str) -> dict[str, str]:
        """Latest accepted/rejected verdict per hypothesis of a run."""
        with self.db.read() as cur:
            rows = cur.execute("SELECT hypothesis_id, verdict FROM reviews WHERE run_id=? AND verdict IN "
                               "('accepted','rejected') ORDER BY created_at, id", [run_id]).fetchall()
        return {h: v for h, v in rows if h}

    # ------------------------------------------------------------------ audit and ledger
    def list_audit(self, incident_id: str) -> list[dict[str, Any]]:
        with self.db.read() as cur:
            rows = cur.execute("SELECT created_at, action, detail, actor FROM audit_log WHERE incident_id=? "
                               "ORDER BY created_at, id", [incident_id]).fetchall()
        return [{"time": r[0], "action": r[1], "detail": r[2], "actor": r[3]} for r in rows]

    def record_llm_call(self, **fields: Any) -> None:
        cols = ["id", "incident_id", "run_id", "agent", "model", "tokens_in", "tokens_out", "latency_ms",
                "cost_usd", "cache_hit", "status", "error", "request_hash", "created_at"]
        fields.setdefault("id", self.new_id("llm"))
        fields.setdefault("created_at", self.clock())
        with self.db.write() as cur:
            cur.execute(f"INSERT INTO llm_calls ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                        [fields.get(c) for c in cols])

    def list_llm_calls(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM llm_calls" + (" WHERE incident_id=?" if incident_id else "") + " ORDER BY created_at, id"
        with self.db.read() as cur:
            cur.execute(sql, [incident_id] if incident_id else [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

    def cache_get(self, request_hash: str) -> dict[str, Any] | None:
        with self.db.read() as cur:
            row = cur.execute("SELECT response FROM llm_cache WHERE request_hash=?", [request_hash]).fetchone()
        return json.loads(row[0]) if row else None

    def cache_put(self, request_hash: str, model: str, response: dict[str, Any]) -> None:
        with self.db.write() as cur:
            cur.execute("INSERT OR REPLACE INTO llm_cache VALUES (?,?,?,?)",
                        [request_hash, model, json.dumps(response, default=str), self.clock()])

    # ------------------------------------------------------------------ helpers
    def _audit(self, cur: Any, incident_id: str | None, action: str, detail: str, actor: str) -> None:
        cur.execute("INSERT INTO audit_log VALUES (?,?,?,?,?,?)",
                    [self.new_id("aud"), incident_id, action, detail, actor, self.clock()])

    def _require_incident(self, cur: Any, incident_id: str) -> tuple:
        row = cur.execute("SELECT * FROM incidents WHERE id=?", [incident_id]).fetchone()
        if not row:
            raise NotFoundError(f"Incident {incident_id} does not exist: pick one from the incident list.")
        return row

    @staticmethod
    def _incident(row: tuple) -> Incident:
        return Incident(id=row[0], title=row[1], description=row[2] or "", services=list(row[3] or []),
                        severity=row[4], status=row[5], created_at=row[6], updated_at=row[7])

    @staticmethod
    def _artifact(row: tuple) -> Artifact:
        return Artifact(id=row[0], incident_id=row[1], kind=row[2], name=row[3], sha256=row[4], size=row[5],
                        detected_format=row[6] or "", path=row[7], notes=list(row[8] or []), created_at=row[9])

    @staticmethod
    def _run(row: tuple) -> RunInfo:
        return RunInfo(id=row[0], incident_id=row[1], backend=row[2], status=row[3], started_at=row[4],
                       finished_at=row[5], seconds=row[6], error=row[7] or "", top_category=row[8],
                       top_confidence=row[9])
