"""The only home of ``@st.cache_resource``: Settings, Store, LLM backend, knowledge base, decoded artifacts.

Everything cached here is either process-wide configuration or keyed by immutable content
(artifacts are content-addressed by sha256), so a cached value can never go stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from analysis.agents.loaded import LoadedArtifact
from analysis.models import Artifact
from analysis.settings import Settings
from analysis.store import Store


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    """The one Settings object of the app process (reads ``SREWB_*`` once)."""
    return Settings()


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The Store of the configured data directory; runs left by a dead process become interrupted."""
    store = Store.open(get_settings())
    store.mark_interrupted_runs()
    return store


@st.cache_resource(show_spinner=False, max_entries=8)
def _backend(settings_json: str) -> Any:
    from analysis.llm.factory import build_backend

    return build_backend(Settings.model_validate_json(settings_json), store=get_store())


def get_backend(settings: Settings | None = None) -> Any:
    """The LLM backend named in ``settings`` (the app's by default): one per distinct configuration."""
    return _backend((settings or get_settings()).model_dump_json())


@st.cache_resource(show_spinner=False)
def _knowledge(uri: str, exists: bool) -> Any:
    from analysis.agents.similar import from_settings

    return from_settings(get_settings()) if exists else None


def get_knowledge() -> Any:
    """The knowledge base of the data directory for similar past incidents, or None when there is none yet."""
    uri = get_settings().kb_uri
    return _knowledge(uri, uri.startswith("s3://") or Path(uri).exists())


@st.cache_resource(show_spinner=False, max_entries=4)
def _kb(uri: str, embedder: str, backend: str) -> Any:
    from analysis.knowledge import KnowledgeBase, default_embedder

    if not uri.startswith("s3://"):
        Path(uri).mkdir(parents=True, exist_ok=True)
    return KnowledgeBase(uri, default_embedder(get_settings()))


def get_kb() -> Any:
    """The KnowledgeBase for curation, created (empty) when the data directory has none yet."""
    s = get_settings()
    return _kb(s.kb_uri, s.kb_embedder, s.backend)


@st.cache_resource(show_spinner=False, max_entries=4)
def _loaded(sha256: str, name: str, _artifact: Artifact) -> LoadedArtifact:
    return LoadedArtifact(_artifact, get_store().read_artifact(_artifact), get_settings())


def loaded_artifact(artifact: Artifact) -> LoadedArtifact:
    """An artifact with its bytes and cached decoded views (lines, image), shared across reruns."""
    return _loaded(artifact.sha256, artifact.name, artifact)


def clear_all() -> None:
    """Drop every cached resource (tests call this between app instances)."""
    st.cache_resource.clear()
    st.cache_data.clear()
