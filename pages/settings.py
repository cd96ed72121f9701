"""Settings: where data lives, the limits, and the analysis backend (offline or Bedrock) for this session."""

import streamlit as st

from components.bedrock_settings import render_bedrock_settings
from components.errors import shown_errors
from components.resources import get_settings, get_store

settings = get_settings()
st.title("Settings", anchor=False)
st.caption(f"Data directory `{settings.data_dir}` (move it with SREWB_DATA_DIR) · upload limit "
           f"{settings.max_upload_mb} MB per file · analysis time budget {settings.analysis_time_budget_s:.0f} s")
st.markdown("##### Analysis backend")
st.caption("Changes here apply to analyses started from this browser session; the environment (SREWB_*) sets the "
           "defaults for everyone.")
with shown_errors():
    render_bedrock_settings(settings, get_store())
