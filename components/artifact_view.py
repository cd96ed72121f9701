"""Previews of stored artifacts, and the exact place an evidence reference points at.

Log -> numbered, level-coloured lines; metrics CSV -> plotly chart; screenshot -> the image with
its size (and the evidence box drawn on a copy; the stored bytes are never touched).
"""

from __future__ import annotations

import io

import streamlit as st
from PIL import ImageDraw

from analysis.models import Artifact, ArtifactKind, EvidenceRef
from components import format as fmt
from components.charts import metric_figure
from components.log_view import browse_log, show_log_range
from components.resources import loaded_artifact
from components.screenshot_view import screenshot_reading

KIND_ICONS = {"log": ":material/description:", "metrics": ":material/show_chart:",
              "screenshot": ":material/image:", "note": ":material/sticky_note_2:", "alert": ":material/notifications:"}
MAX_CHART_SERIES = 8


def metric_table(artifact: Artifact):
    """The metric engine's table for a CSV artifact, or None when the engine is not available."""
    try:
        from analysis.engines.metrics import load_metrics
    except ImportError:
        st.info("The metric chart appears once the metric engine is installed; the file is stored.")
        return None
    return load_metrics(loaded_artifact(artifact).payload(), artifact.name)


def preview(artifact: Artifact, key: str) -> None:
    """The preview of one artifact, chosen by its kind."""
    st.caption(f"{artifact.kind.value} · {fmt.md(artifact.detected_format) or 'unknown format'} · {fmt.size(artifact.size)} · "
               f"sha256 {artifact.sha256[:12]}… · added {fmt.when(artifact.created_at)}")
    for note in artifact.notes:
        st.caption(f"Note: {fmt.md(note)}")
    if artifact.kind in (ArtifactKind.log, ArtifactKind.note, ArtifactKind.alert):
        browse_log(loaded_artifact(artifact).lines(), key=key)
    elif artifact.kind == ArtifactKind.metrics:
        table = metric_table(artifact)
        if table is not None:
            names = table.series_names
            picked = st.multiselect("Series", names, default=names[:MAX_CHART_SERIES], key=f"{key}.series")
            st.plotly_chart(metric_figure(table.frame, series=picked), key=f"{key}.chart")
            if len(names) > MAX_CHART_SERIES:
                st.caption(f"{len(names)} series; the first {MAX_CHART_SERIES} are drawn — pick others above.")
    elif artifact.kind == ArtifactKind.screenshot:
        img = loaded_artifact(artifact).image()
        st.image(img, caption=f"{fmt.md(artifact.name)} — {img.width} × {img.height} px")
        screenshot_reading(artifact, key=key)


def show_evidence(ref: EvidenceRef, artifacts: dict[str, Artifact], key: str) -> None:
    """Open the exact log lines, metric window or screenshot region an evidence reference names."""
    art = artifacts.get(ref.artifact_id) or next((a for a in artifacts.values() if a.name == ref.artifact_name), None)
    if ref.excerpt and not (art is not None and ref.kind == "log_lines" and ref.line_start):
        st.code(ref.excerpt[:3000], language=None, wrap_lines=True)
    if art is None:
        if ref.kind != "note":
            st.caption("The artifact this evidence points at is not stored with this incident.")
        return
    if ref.kind == "log_lines" and ref.line_start:
        show_log_range(loaded_artifact(art).lines(), ref.line_start, ref.line_end or ref.line_start)
        st.page_link("pages/logs.py", label="Open in the log explorer", icon=":material/article:",
                     query_params={"incident": art.incident_id, "artifact": art.id, "line": str(ref.line_start)})
    elif ref.kind == "metric_window":
        table = metric_table(art)
        if table is not None:
            series = [ref.series] if ref.series in table.series_names else None
            st.plotly_chart(metric_figure(table.frame, series=series, window=(ref.start, ref.end)),
                            key=f"{key}.chart")
    elif ref.kind == "image_region":
        img = loaded_artifact(art).image().copy()
        if ref.bbox and len(ref.bbox) == 4:
            width = max(2, img.width // 300)
            ImageDraw.Draw(img).rectangle(ref.bbox, outline=(255, 193, 7), width=width)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        st.image(buf.getvalue(), caption=f"{fmt.md(art.name)} — region {ref.bbox} of {img.width} × {img.height} px")
