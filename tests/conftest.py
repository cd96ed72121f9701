"""Shared fixtures: a fresh data directory and Store per test, a fixed clock, offline by default."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from analysis.settings import Settings
from analysis.store import Store

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch, tmp_path_factory):
    """Tests never reach AWS: block real Bedrock calls and point the data dir at a temp folder."""
    monkeypatch.setenv("SREWB_BACKEND", "offline")
    monkeypatch.setenv("SREWB_DATA_DIR", str(tmp_path_factory.mktemp("default-data")))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("LANCE_LOG", "error")


class FixedClock:
    """A clock that advances one second per call (deterministic timestamps)."""

    def __init__(self, start: datetime = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def store(settings) -> Store:
    return Store(settings.data_dir, clock=FixedClock())
