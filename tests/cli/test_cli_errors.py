"""CLI contract for bad input: exit code 2, one line on stderr, never a traceback, nothing stored."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analysis.cli.main import main
from analysis.models import IncidentInput
from analysis.store import Store

REPO = Path(__file__).resolve().parents[2]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _zip_with(name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, b"x")
    return buf.getvalue()


@pytest.mark.parametrize("fname,data,needle", [
    ("empty.log", b"", "empty"),
    ("binary.log", bytes(range(256)) * 64, "binary"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "not a readable image"),
    ("evil.zip", _zip_with("../../x"), "'..' path"),
])
def test_analyze_bad_single_file_exits_2(tmp_path, fname, data, needle):
    p = tmp_path / fname
    p.write_bytes(data)
    code, out, err = run_cli("analyze", str(p), "--json")
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err
    assert "Traceback" not in err and out == ""


def test_missing_path_and_fifo(tmp_path):
    code, _, err = run_cli("analyze", str(tmp_path / "nope.log"))
    assert code == 2 and "does not exist" in err
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    code, _, err = run_cli("analyze", str(fifo))
    assert code == 2 and "not a regular file" in err


def test_malformed_incident_json_names_the_field(tmp_path):
    log = tmp_path / "a.log"
    log.write_text("2024-01-01T00:00:00Z INFO ok\n")
    inc = tmp_path / "incident.json"
    inc.write_text('{"title": "", "severity": "SEV9"}')
    code, _, err = run_cli("analyze", str(log), "--incident", str(inc))
    assert code == 2 and "field 'title'" in err


def test_bad_input_with_db_keeps_earlier_incidents(tmp_path):
    db = tmp_path / "data"
    store = Store(db)
    keep = store.create_incident(IncidentInput(title="earlier"))
    before = (db / "workbench.duckdb").stat().st_size
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    code, _, err = run_cli("analyze", str(empty), "--db", str(db))
    assert code == 2
    assert store.get_incident(keep.id).title == "earlier"
    assert [i.id for i in store.list_incidents()] == [keep.id]  # nothing half-way
    assert (db / "workbench.duckdb").stat().st_size >= before


def test_python_dash_m_entry_point_exit_code(tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "analysis", "analyze", str(empty)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr


def test_folder_names_given_directly_still_classify_their_files(tmp_path, settings):
    from analysis.ingest.prepare import prepare_files
    from analysis.workflow import read_paths

    logs = tmp_path / "case" / "log"
    logs.mkdir(parents=True)
    (logs / "app_log.csv").write_text("Timestamp,Log\n2024-01-01T00:00:00Z,hello\n")
    _inc, files = read_paths([logs], settings)
    assert files[0][0] == "log/app_log.csv"
    assert prepare_files(files, settings).files[0].kind.value == "log"  # the folder wins over the .csv ending
