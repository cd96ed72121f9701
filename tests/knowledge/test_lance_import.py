"""lancedb is imported without its REST-namespace API classes, and still works for local tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CODE = """
import sys
from analysis.knowledge import HashingEmbedder, KBEntry, KnowledgeBase
assert not [m for m in sys.modules if m.startswith("lance_namespace_urllib3_client.api")], "REST API classes loaded"
kb = KnowledgeBase(sys.argv[1], HashingEmbedder(64))
kb.upsert([KBEntry(id="a", title="TLS certificate expired on the edge proxy", category="certificate_expiry"),
           KBEntry(id="b", title="Disk full on the database host", category="disk_full")])
hits = kb.search("certificate expired", k=1)
assert hits and hits[0].entry.id == "a", hits
print("ok")
"""


def test_lancedb_works_without_loading_the_rest_client(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", CODE, str(tmp_path / "kb")], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin",
                                                       "HOME": str(tmp_path)})
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]
