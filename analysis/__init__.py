"""SRE Workbench domain package: ingest, engines, agents, store, knowledge base and CLI.

Never imports streamlit; everything here is usable from the CLI and tests.
"""

__version__ = "0.1.0"
