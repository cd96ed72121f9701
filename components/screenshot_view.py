"""What the vision agent reads from a screenshot: panels, titles, units and anomaly regions drawn over it.

The reading is computed on demand (OCR takes a second or two) and cached per image content; the
stored bytes are never touched (the overlay is drawn on a copy).
"""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from analysis.errors import WorkbenchError
from analysis.models import Artifact
from components import format as fmt
from components.resources import loaded_artifact


@st.cache_data(show_spinner=False, max_entries=16)
def _reading(sha256: str, _artifact: Artifact) -> tuple[bytes, list[dict], list[str]]:
    from analysis.engines.vision import draw_overlay, read_screenshot

    img = loaded_artifact(_artifact).image()
    reading = read_screenshot(img, artifact_id=_artifact.id, name=_artifact.name)
    buf = io.BytesIO()
    draw_overlay(img, reading).save(buf, format="PNG")
    panels = [{"panel": p.title, "unit": p.unit or "", "kind": p.kind, "alerting": p.alerting,
               "anomalies": ", ".join(f"{a.direction} {a.kind}" for a in p.anomalies), "box": str(p.bbox)}
              for p in reading.panels]
    return buf.getvalue(), panels, list(reading.notes) + [f"incident visible: {'yes' if reading.incident_visible else 'no'}"]


def screenshot_reading(artifact: Artifact, key: str) -> None:
    """A toggle that shows the detected panels and anomaly regions over the screenshot."""
    if not st.toggle("Show what the vision agent reads (panels, titles, anomalies)", key=f"{key}.vision"):
        return
    try:
        with st.spinner("Reading the dashboard (OCR and chart tracing)…"):
            png, panels, notes = _reading(artifact.sha256, artifact)
    except WorkbenchError as exc:
        st.warning(fmt.md(str(exc)))
        return
    st.image(png, caption=f"{fmt.md(artifact.name)}: detected panels (boxes) and anomaly regions")
    if panels:
        st.dataframe(pd.DataFrame(panels), hide_index=True, key=f"{key}.panels")
    for note in notes:
        st.caption(fmt.md(note))
