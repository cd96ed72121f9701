"""The only home of ``@st.cache_resource``: the Settings, the Store and decoded artifact views.

Everything cached here is either process-wide configuration or keyed by immutable content
(artifacts are content-addressed by sha256), so a cached value can never go stale.
"""

from __future__ import annotations

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
    store = Store(get_settings().data_dir)
    store.mark_interrupted_runs()
    return store


@st.cache_resource(show_spinner=False, max_entries=16)
def _loaded(sha256: str, name: str, _artifact: Artifact) -> LoadedArtifact:
    return LoadedArtifact(_artifact, get_store().read_artifact(_artifact), get_settings())


def loaded_artifact(artifact: Artifact) -> LoadedArtifact:
    """An artifact with its bytes and cached decoded views (lines, image), shared across reruns."""
    return _loaded(artifact.sha256, artifact.name, artifact)


def clear_all() -> None:
    """Drop every cached resource (tests call this between app instances)."""
    st.cache_resource.clear()
    st.cache_data.clear()
