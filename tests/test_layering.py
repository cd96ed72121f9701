"""Architecture rules: analysis/ never imports streamlit; pages stay layout-sized; no grab-bag modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_analysis_never_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "analysis").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_components_do_not_import_pages():
    comps = ROOT / "components"
    offenders = [str(p.relative_to(ROOT)) for p in comps.rglob("*.py") if "pages" in _imports(p)] if comps.exists() else []
    assert offenders == []


def test_no_utils_grab_bags():
    assert not [p for p in ROOT.rglob("utils.py") if ".venv" not in p.parts]


def test_every_module_has_a_docstring():
    missing = []
    for base in ("analysis", "components"):
        for p in (ROOT / base).rglob("*.py"):
            if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None:
                missing.append(str(p.relative_to(ROOT)))
    assert missing == []
