"""One typed facade over ``st.session_state``: every page reads and writes UI state through here.

Keys are namespaced (``nav.*``, ``flash``); the current incident is mirrored into the URL query
(``?incident=...``) so a reload or a shared link opens the same incident.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import streamlit as st

from analysis.settings import Settings

FlashLevel = Literal["success", "info", "warning", "error"]


@dataclass(frozen=True)
class Flash:
    """A message to show once, on the next run (after ``st.rerun``)."""

    level: FlashLevel
    text: str
    channel: str = "page"


class UiState:
    """Typed access to the session's UI state."""

    _INCIDENT = "nav.incident_id"
    _RUN = "nav.run_id"
    _FLASH = "flash"

    def __init__(self, state: MutableMapping[str, Any] | None = None, query: MutableMapping[str, Any] | None = None):
        self._s = st.session_state if state is None else state
        self._q = st.query_params if query is None else query

    # ---------------------------------------------------------------- current incident / run
    @property
    def incident_id(self) -> str | None:
        from_url = self._q.get("incident")
        if from_url and from_url != self._s.get(self._INCIDENT):
            self._s[self._INCIDENT] = from_url
            self._s.pop(self._RUN, None)
        return self._s.get(self._INCIDENT)

    @incident_id.setter
    def incident_id(self, value: str | None) -> None:
        if value != self._s.get(self._INCIDENT):
            self._s.pop(self._RUN, None)
        if value:
            self._s[self._INCIDENT] = value
            self._q["incident"] = value
        else:
            self._s.pop(self._INCIDENT, None)
            self._q.pop("incident", None)

    @property
    def run_id(self) -> str | None:
        return self._s.get(self._RUN)

    @run_id.setter
    def run_id(self, value: str | None) -> None:
        if value:
            self._s[self._RUN] = value
        else:
            self._s.pop(self._RUN, None)

    # ---------------------------------------------------------------- shared time range
    _RANGE = "view.time_range"

    @property
    def time_range(self) -> tuple[datetime, datetime] | None:
        """The UTC window the analyst chose (metric explorer, log timeline); None means everything."""
        return self._s.get(self._RANGE)

    @time_range.setter
    def time_range(self, value: tuple[datetime, datetime] | None) -> None:
        if value:
            start, end = (t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in value)
            self._s[self._RANGE] = (start.astimezone(timezone.utc), end.astimezone(timezone.utc))
        else:
            self._s.pop(self._RANGE, None)

    # ---------------------------------------------------------------- analysis settings
    _SETTINGS = "settings.bedrock"  # written by components.bedrock_settings

    def analysis_settings(self, base: Settings) -> Settings:
        """The settings this session analyses with: the Settings page's edit, else the app's."""
        edited = self._s.get(self._SETTINGS)
        return edited if isinstance(edited, Settings) else base

    # ---------------------------------------------------------------- one-shot messages
    def flash(self, level: FlashLevel, text: str, channel: str = "page") -> None:
        """Queue a message for the next run; ``channel`` says where the page shows it (``page``, ``upload``)."""
        self._s.setdefault(self._FLASH, []).append(Flash(level, text, channel))

    def pop_flashes(self, channel: str = "page") -> list[Flash]:
        queued = list(self._s.get(self._FLASH, []) or [])
        self._s[self._FLASH] = [f for f in queued if f.channel != channel]
        return [f for f in queued if f.channel == channel]


def ui() -> UiState:
    """The facade for the current session."""
    return UiState()
