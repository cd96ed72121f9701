"""Import lancedb without loading the REST-namespace client it never uses here.

lancedb 0.40 imports ``lance_namespace``, which imports ``lance_namespace_urllib3_client.models``.
Importing that subpackage first runs the client package's ``__init__``, which loads ~30 generated
REST API classes whose pydantic ``validate_call`` decorators cost about 1.3 s of CPU: more than a
whole cold ``analyze`` that consults the knowledge base spends on its own work. The workbench
connects to local folders and ``s3://`` URIs only, never to a REST namespace, so the client
package is registered without running its ``__init__``; its ``models`` subpackage (which
``lance_namespace`` needs) still imports normally, and the API modules still load if anything
imports them by name. Measured: ``import lancedb`` 2.2 s -> 0.9 s.
"""

from __future__ import annotations

import importlib.util
import sys

_CLIENT = "lance_namespace_urllib3_client"


def register_namespace_client_lazily() -> None:
    """Put the client package in ``sys.modules`` without executing its ``__init__`` (no-op once imported)."""
    if _CLIENT in sys.modules or "lancedb" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(_CLIENT)
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    sys.modules[_CLIENT] = importlib.util.module_from_spec(spec)  # a package shell: __path__ set, body not run
