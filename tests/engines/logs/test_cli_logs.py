"""``python -m analysis logs``: human output, --json, --assignments, gzip input, bad input exit 2."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from pathlib import Path

from analysis.cli.main import main

FIX = Path(__file__).parent / "fixtures" / "checkout-incident.log"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_human_output() -> None:
    code, out, err = run("logs", str(FIX))
    assert code == 0, err
    assert "format spring-boot" in out and "518 lines" in out
    assert "Payment authorization failed for order <*>" in out
    assert "error_cluster" in out and "checkout-incident.log:" in out


def test_json_and_assignments(tmp_path: Path) -> None:
    dest = tmp_path / "assign.csv"
    code, out, err = run("logs", str(FIX), "--json", "--assignments", str(dest))
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "spring-boot" and data["line_count"] == 518
    assert {"templates", "findings", "entities", "access_per_minute", "services", "notes"} <= set(data)
    with dest.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["line", "template_id", "template"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 519))
    ids = {t["id"]: t["template"] for t in data["templates"]}
    assert all(ids[r[1]] == r[2] for r in rows[1:])
    # Lines 156-162 are one record (a stack trace): all carry the record's template.
    assert {r[2] for r in rows[156:163]} == {"Payment authorization failed for order <*>"}


def test_gzip_input(tmp_path: Path) -> None:
    gz = tmp_path / "app.log.gz"
    with FIX.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    code, out, _ = run("logs", str(gz), "--json")
    assert code == 0 and json.loads(out)["line_count"] == 518


def test_empty_binary_and_missing_files_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    binary = tmp_path / "core.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    for path in (empty, binary, tmp_path / "missing.log"):
        code, out, err = run("logs", str(path))
        assert code == 2
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
