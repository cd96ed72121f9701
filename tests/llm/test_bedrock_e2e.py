"""Whole ``python -m analysis analyze --backend bedrock`` runs against a local Converse endpoint.

The endpoint is :class:`bedrock_fake_server.FakeConverse` on 127.0.0.1, reached through
``SREWB_BEDROCK_ENDPOINT_URL`` with dummy credentials; nothing else is faked.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from analysis.cli.main import main
from analysis.store import Store
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


def test_cli_analyze_on_bedrock_through_local_endpoint(tmp_path):
    db = tmp_path / "db"
    with FakeConverse() as fake:
        proc = subprocess.run([sys.executable, "-m", "analysis", "analyze", str(BASIC), "--backend", "bedrock",
                               "--json", "--db", str(db)], cwd=REPO, env=_env(fake.url, tmp_path),
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    agents = {a["agent"]: a for a in report["agents"]}
    assert agents["log"]["backend"] == "bedrock" and agents["metrics"]["backend"] == "bedrock"
    assert agents["supervisor"]["backend"] == "bedrock" and not report["degraded"]
    assert agents["vision"]["backend"] == "offline"  # no screenshot: nothing worth a call
    assert all(agents[a]["tokens_in"] > 0 and agents[a]["cost_usd"] > 0 for a in ("log", "metrics", "supervisor"))
    assert report["hypotheses"] and report["hypotheses"][0]["statement"].startswith("Model view")
    paths = {r.model_id for r in fake.requests}
    assert paths == {"us.anthropic.claude-haiku-4-5-20251001-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
    assert any(b'"toolResult"' in r.body for r in fake.requests), "the supervisor used a tool"
    for r in fake.requests:
        assert b"db-01.prod.internal" not in r.body and b"hunter2pass" not in r.body and b"alice@example.com" not in r.body
    rows = Store(db).list_llm_calls(report["incident_id"])
    assert len(rows) == len(fake.requests) and {r["agent"] for r in rows} == {"log", "metrics", "supervisor"}


def test_endpoint_dying_mid_analysis_keeps_the_report(tmp_path, monkeypatch):
    with FakeConverse(die_after=1) as fake:
        for k, v in _env(fake.url, tmp_path).items():
            monkeypatch.setenv(k, v)
        out, err = io.StringIO(), io.StringIO()
        rc = main(["analyze", str(BASIC), "--backend", "bedrock", "--json"], out=out, err=err)
    assert rc == 0, err.getvalue()
    report = json.loads(out.getvalue())
    agents = {a["agent"]: a for a in report["agents"]}
    assert agents["log"]["backend"] == "bedrock" and not agents["log"]["degraded"]
    assert agents["metrics"]["degraded"] and "cannot be reached" in agents["metrics"]["degraded_reason"]
    assert agents["supervisor"]["degraded"] and "skipped for the rest of this run" in agents["supervisor"]["degraded_reason"]
    assert report["degraded"] and report["hypotheses"], "the offline hypotheses survive"
    assert any(g["what"] == "bedrock metrics agent" for g in report["gaps"])
    assert len(fake.requests) == 1
