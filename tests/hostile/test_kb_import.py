"""Knowledge-base imports of bad files through the CLI: all-or-nothing, with the bad line numbers.

Every case is refused before anything is embedded or written: exit 2, one ``error:`` line that
names the bad records, and no knowledge-base folder appears in the data directory.
"""

from __future__ import annotations

import io
import os
import threading

import pytest

from analysis.cli.main import main
import hostile_builders as b

GOOD = '{"id": "kb-1", "title": "DB pool exhausted", "summary": "orders db pool exhausted", "category": "database_overload"}'


def _import(path, data_dir) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["kb", "import", str(path), "--db", str(data_dir)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name,data,needles", [pytest.param(*case, id=case[0]) for case in [
    ("bad-lines.jsonl", "\n".join([GOOD, '{"id": "kb-2", "title": ""}', "not json", GOOD.replace("kb-1", "kb-3")]),
     ["2", "3", "nothing was imported"]),
    ("dup.jsonl", "\n".join([GOOD, GOOD]), ["kb-1"]),
    ("markup-only.jsonl", '{"id": "<script>x</script>"}', ["1"]),
    ("binary.jsonl", b.elf_like(), []),
    ("latin1.md", "# Postmortem caf\xe9\n\nDB pool exhausted.".encode("latin-1"), ["UTF-8"]),
    ("empty.jsonl", b"", []),
    ("notes.txt", "just text", ["JSONL, CSV or Markdown"]),
    ("deep.jsonl", '{"id": "x", "title": "t", "meta": ' + "[" * 50_000 + "]" * 50_000 + "}", ["1"]),
]])
def test_bad_kb_imports_are_refused_whole(tmp_path, name, data, needles):
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    data_dir = tmp_path / "data"
    code, out, err = _import(path, data_dir)
    assert code == 2 and out == "", err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"
    assert not (data_dir / "kb").exists(), "a refused import wrote to the knowledge base"


def test_kb_import_of_a_folder_with_a_fifo_does_not_hang(tmp_path):
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / "a.md").write_text("# Postmortem\n\nDB pool exhausted.\n")
    fifo = folder / "b.md"
    os.mkfifo(fifo)
    result: dict[str, object] = {}
    worker = threading.Thread(target=lambda: result.update(r=_import(folder, tmp_path / "data")), daemon=True)
    worker.start()
    worker.join(timeout=5)
    hung = worker.is_alive()
    if hung:  # unblock the reader (EOF) so the thread ends
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(timeout=30)
    assert not hung, "kb import blocked on a FIFO"
    code, _out, err = result["r"]
    assert code == 2 and "regular file" in err
