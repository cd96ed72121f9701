"""Streamlit building blocks for the pages: widgets, views, charts, session state, cached resources.

Layering: ``pages -> components -> analysis``. Only this package and ``pages/`` import streamlit.
"""
