"""The one place the UI turns exceptions into what the analyst sees.

``WorkbenchError`` carries a one-sentence message and is shown as it is; any other exception is a
bug, logged with its traceback and shown as one sentence so the page keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from analysis.errors import WorkbenchError
from components.format import md

log = logging.getLogger("srewb.ui")

INTERNAL_ERROR = "Something went wrong inside the workbench ({name}): the details are in the app log; please report it."


@contextmanager
def shown_errors() -> Iterator[None]:
    """Run a block; a failure inside it becomes one ``st.error`` sentence instead of a traceback."""
    try:
        yield
    except WorkbenchError as exc:
        st.error(md(str(exc)), icon=":material/error:")
    except Exception as exc:  # streamlit's rerun/stop are BaseException and pass through
        log.exception("unexpected error in the UI")
        st.error(md(INTERNAL_ERROR.format(name=f"{type(exc).__name__}: {exc}"[:300])), icon=":material/bug_report:")
