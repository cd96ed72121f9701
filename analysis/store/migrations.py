"""Versioned schema migrations; opening an older data directory upgrades it in one transaction."""

from __future__ import annotations

import duckdb

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial schema", """
        CREATE TABLE incidents (
            id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, description VARCHAR,
            services VARCHAR[], severity VARCHAR, status VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE artifacts (
            id VARCHAR PRIMARY KEY, incident_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, size BIGINT NOT NULL,
            detected_format VARCHAR, path VARCHAR NOT NULL, notes VARCHAR[],
            created_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE runs (
            id VARCHAR PRIMARY KEY, incident_id VARCHAR NOT NULL, backend VARCHAR NOT NULL,
            status VARCHAR NOT NULL, started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ,
            seconds DOUBLE, error VARCHAR, pid INTEGER, report JSON,
            top_category VARCHAR, top_confidence DOUBLE);
        CREATE TABLE findings (
            run_id VARCHAR NOT NULL, id VARCHAR NOT NULL, agent VARCHAR, kind VARCHAR,
            title VARCHAR, severity VARCHAR, service VARCHAR, start_at TIMESTAMPTZ,
            end_at TIMESTAMPTZ, data JSON);
        CREATE TABLE hypotheses (
            run_id VARCHAR NOT NULL, id VARCHAR NOT NULL, rank INTEGER, category VARCHAR,
            service VARCHAR, onset TIMESTAMPTZ, confidence DOUBLE, statement VARCHAR, data JSON);
        CREATE TABLE reviews (
            id VARCHAR PRIMARY KEY, incident_id VARCHAR NOT NULL, run_id VARCHAR,
            hypothesis_id VARCHAR, verdict VARCHAR, note VARCHAR, author VARCHAR,
            created_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE audit_log (
            id VARCHAR PRIMARY KEY, incident_id VARCHAR, action VARCHAR NOT NULL,
            detail VARCHAR, actor VARCHAR, created_at TIMESTAMPTZ NOT NULL);
    """),
    (2, "LLM call ledger and response cache", """
        CREATE TABLE llm_calls (
            id VARCHAR PRIMARY KEY, incident_id VARCHAR, run_id VARCHAR, agent VARCHAR,
            model VARCHAR, tokens_in INTEGER, tokens_out INTEGER, latency_ms DOUBLE,
            cost_usd DOUBLE, cache_hit BOOLEAN, status VARCHAR, error VARCHAR,
            request_hash VARCHAR, created_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE llm_cache (
            request_hash VARCHAR PRIMARY KEY, model VARCHAR, response JSON,
            created_at TIMESTAMPTZ NOT NULL);
    """),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(cur: duckdb.DuckDBPyConnection) -> int:
    cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())")
    row = cur.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(cur: duckdb.DuckDBPyConnection, target: int = LATEST_VERSION) -> list[int]:
    """Apply pending migrations up to ``target`` inside the caller's transaction."""
    applied: list[int] = []
    have = current_version(cur)
    for version, description, sql in MIGRATIONS:
        if have < version <= target:
            for stmt in [s.strip() for s in sql.split(";") if s.strip()]:
                cur.execute(stmt)
            cur.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [version, description])
            applied.append(version)
    return applied
