"""How CLI commands print: human text or JSON (``--json``), always to an injected stream."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pydantic import BaseModel


def to_jsonable(obj: Any) -> Any:
    """Turn pydantic models (and lists/dicts of them) into JSON-ready Python objects."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


def emit_json(obj: Any, out: TextIO) -> None:
    """Write ``obj`` as indented JSON followed by a newline."""
    json.dump(to_jsonable(obj), out, indent=2, ensure_ascii=False, default=str)
    out.write("\n")
