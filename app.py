"""SRE Workbench — the router: page config, settings check, navigation. Pages hold the layout."""

import streamlit as st

from components.errors import shown_errors
from components.resources import get_settings

st.set_page_config(page_title="SRE Workbench", page_icon=":material/troubleshoot:", layout="wide")

with shown_errors():
    get_settings()

page = st.navigation([
    st.Page("pages/home.py", title="Incidents", icon=":material/list:", default=True),
    st.Page("pages/incident.py", title="Incident & artifacts", icon=":material/folder_open:"),
    st.Page("pages/report.py", title="Analysis & report", icon=":material/troubleshoot:"),
    st.Page("pages/logs.py", title="Log explorer", icon=":material/article:"),
    st.Page("pages/metrics.py", title="Metric explorer", icon=":material/monitoring:"),
    st.Page("pages/knowledge.py", title="Knowledge base", icon=":material/menu_book:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
])
page.run()
