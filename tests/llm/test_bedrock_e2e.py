"""The CLI ``analyze --backend bedrock`` against a local Converse endpoint that dies mid-analysis.

The endpoint is :class:`bedrock_fake_server.FakeConverse` on 127.0.0.1, reached through
``SREWB_BEDROCK_ENDPOINT_URL`` with dummy credentials; nothing else is faked. (The full subprocess
``python -m analysis analyze --backend bedrock --db`` run is in ``test_bedrock_secrets.py``.)
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from analysis.cli.main import main
from bedrock_fake_server import FakeConverse

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BASIC = HERE / "fixtures" / "basic"


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SREWB_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               SREWB_BEDROCK_ENDPOINT_URL=url, SREWB_DATA_DIR=str(tmp_path / "default"), LANCE_LOG="error",
               PYTHONPATH=str(REPO))
    return env


def test_endpoint_dying_mid_analysis_keeps_the_report(tmp_path, monkeypatch):
    with FakeConverse(die_after=1) as fake:
        for k, v in _env(fake.url, tmp_path).items():
            monkeypatch.setenv(k, v)
        out, err = io.StringIO(), io.StringIO()
        rc = main(["analyze", str(BASIC), "--backend", "bedrock", "--json"], out=out, err=err)
    assert rc == 0, err.getvalue()
    report = json.loads(out.getvalue())
    agents = {a["agent"]: a for a in report["agents"]}
    # The log and metrics agents run concurrently, so either may get the one answer the endpoint gives
    # before it dies; exactly one of them is served and the other falls back to its offline result.
    served = [n for n in ("log", "metrics") if agents[n]["backend"] == "bedrock" and not agents[n]["degraded"]]
    assert len(served) == 1, agents
    lost = "metrics" if served == ["log"] else "log"
    assert agents[lost]["degraded"] and "cannot be reached" in agents[lost]["degraded_reason"]
    assert agents["supervisor"]["degraded"] and "skipped for the rest of this run" in agents["supervisor"]["degraded_reason"]
    assert agents["supervisor"]["degraded_reason"].count(". ") == 0
    assert report["degraded"] and report["hypotheses"], "the offline hypotheses survive"
    assert any(g["what"] == f"bedrock {lost} agent" for g in report["gaps"])
    assert len(fake.requests) == 1
