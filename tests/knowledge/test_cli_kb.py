"""``kb import`` / ``kb search`` (incl. ``--batch`` and ``--json``) through the real CLI entry point."""

from __future__ import annotations

import io
import json

import pytest

import analysis.cli.kb as kb_cli
from analysis.cli.main import main
from analysis.knowledge import HashingEmbedder


@pytest.fixture(autouse=True)
def fast_embedder(monkeypatch):
    monkeypatch.setattr(kb_cli, "embedder_factory", lambda settings: HashingEmbedder(dim=256))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_import_then_search_text_and_json(tmp_path, fixtures):
    db = str(tmp_path / "data")
    code, out, err = run("kb", "import", str(fixtures / "entries.jsonl"), "--db", db)
    assert code == 0, err
    assert out.startswith("imported 8 entries into ") and "(8 in total)" in out
    code, out, _ = run("kb", "import", str(fixtures / "entries.csv"), "--db", db, "--json")
    assert code == 0 and json.loads(out)["total"] == 10
    code, out, _ = run("kb", "import", str(fixtures / "postmortem.md"), "--db", db)
    assert code == 0 and "(11 in total)" in out

    code, out, _ = run("kb", "search", "TLS certificate expired on the load balancer", "--db", db, "--k", "2")
    assert code == 0
    assert out.splitlines()[0].split()[2] == "pm-cert" and "why:" in out
    code, out, _ = run("kb", "search", "card processor outage, payments failing", "--db", db, "--json")
    doc = json.loads(out)
    assert doc["results"][0]["id"] == "postmortem"
    assert len(doc["results"]) == 5 and doc["results"][0]["score"] >= doc["results"][1]["score"]


def test_batch_writes_one_json_line_per_query(tmp_path, fixtures):
    db = str(tmp_path / "data")
    assert run("kb", "import", str(fixtures / "entries.jsonl"), "--db", db)[0] == 0
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "query": "kafka consumer lag, emails late"}\n\n'
                     '{"id": 7, "query": "IAM keys rotated, AccessDenied on upload"}\n')
    code, out, _ = run("kb", "search", "--batch", str(batch), "--db", db, "--k", "3")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [ln["id"] for ln in lines] == ["a", 7]
    assert lines[0]["results"][0]["id"] == "pm-queue" and lines[1]["results"][0]["id"] == "pm-creds"
    assert all(len(ln["results"]) == 3 and set(ln["results"][0]) == {"id", "score"} for ln in lines)


@pytest.mark.parametrize("argv,needle", [
    (["kb", "import", "nope.jsonl"], "does not exist"),
    (["kb", "search"], "exactly one"),
    (["kb", "search", "x", "--k", "0"], "--k"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, argv, needle):
    code, out, err = run(*argv, "--db", str(tmp_path))
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_import_file_and_batch_lines_exit_2(tmp_path, fixtures):
    code, _, err = run("kb", "import", str(fixtures / "bad.jsonl"), "--db", str(tmp_path))
    assert code == 2 and "lines 2" in err
    assert run("kb", "search", "x", "--db", str(tmp_path), "--json")[0] == 0  # empty KB: no results, no error
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"id": 1}\nnot json\n')
    code, _, err = run("kb", "search", "--batch", str(bad), "--db", str(tmp_path))
    assert code == 2 and "lines 1, 2" in err


def test_deeply_nested_json_line_is_refused_by_number(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "ok", "title": "fine"}\n{"id": "x", "title": "t", "m": ' + "[" * 50_000 + "]" * 50_000 + "}\n")
    code, _, err = run("kb", "import", str(path), "--db", str(tmp_path / "data"))
    assert code == 2 and "lines 2 (JSON nested too deeply)" in err
    assert not (tmp_path / "data" / "kb").exists()


def test_folder_with_a_fifo_is_refused_not_read(tmp_path):
    import os

    folder = tmp_path / "pms"
    folder.mkdir()
    (folder / "a.md").write_text("# Postmortem\n\nDB pool exhausted.\n")
    os.mkfifo(folder / "b.md")
    code, _, err = run("kb", "import", str(folder), "--db", str(tmp_path / "data"))
    assert code == 2 and "b.md" in err and "regular file" in err
