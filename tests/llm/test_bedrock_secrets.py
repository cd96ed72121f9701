"""Zero secrets leave the machine: a full bedrock analysis of the secrets corpus, reading every request body."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFont

from analysis.store import Store
from analysis.llm.redact import Redactor
from bedrock_fake_server import FakeConverse
from bedrock_secrets_corpus import ALL, LOG_SECRETS, SCREENSHOT_SECRETS, write_incident
from bedrock_fixtures import render_text_image

REPO = Path(__file__).resolve().parent.parent.parent
SHOT_SIZE = (1200, 400)
SHOT_LINES = ["Checkout latency p99 (ms)"] + [t for _k, _v, t in SCREENSHOT_SECRETS]


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [k, *_strings(v)]]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _windows(value: str, n: int = 12) -> set[str]:
    return {value[i:i + n] for i in range(0, len(value) - n + 1)} if len(value) >= 16 else set()


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """One real ``python -m analysis analyze --backend bedrock --db`` run of the corpus against the local endpoint."""
    root = tmp_path_factory.mktemp("corpus")
    inc = write_incident(root, render_text_image(SHOT_LINES, size=SHOT_SIZE))
    db = root / "db"
    with FakeConverse() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SREWB_"))}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=str(root / "none"), AWS_SHARED_CREDENTIALS_FILE=str(root / "none"),
                   SREWB_DATA_DIR=str(root / "data"), SREWB_BEDROCK_ENDPOINT_URL=fake.url, LANCE_LOG="error",
                   PYTHONPATH=str(REPO))
        proc = subprocess.run([sys.executable, "-m", "analysis", "analyze", str(inc), "--backend", "bedrock", "--json",
                               "--db", str(db)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout) if proc.returncode == 0 else {}
    return proc.returncode, report, fake.requests, proc.stderr, db


def test_cli_run_on_bedrock_end_to_end(corpus_run):
    rc, report, requests, err, db = corpus_run
    assert rc == 0, err[-2000:]
    agents = {a["agent"]: a for a in report["agents"]}
    for name in ("log", "metrics", "supervisor") + (("vision",) if shutil.which("tesseract") else ()):
        assert agents[name]["backend"] == "bedrock" and not agents[name]["degraded"], agents[name]
        assert agents[name]["tokens_in"] > 0 and agents[name]["cost_usd"] > 0
        assert agents[name]["prompt_version"] == f"{name}-v1"
    assert not report["degraded"]
    assert report["hypotheses"] and report["hypotheses"][0]["statement"].startswith("Model view")
    assert {r.model_id for r in requests} == {"us.anthropic.claude-haiku-4-5-20251001-v1:0",
                                              "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
    rows = Store(db).list_llm_calls(report["incident_id"])
    assert len(rows) == len(requests) and {r["agent"] for r in rows} >= {"log", "metrics", "supervisor"}
    assert all(r["status"] == "ok" and not r["cache_hit"] for r in rows)


def test_corpus_has_at_least_50_kinds():
    assert len({k for k, _v, _t in ALL}) >= 50
    assert all(v in t for _k, v, t in ALL)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed (screenshots are not sent)")
def test_every_agent_called_with_real_content(corpus_run):
    rc, report, requests, err, _db = corpus_run
    assert rc == 0, err
    bodies = b"\n".join(r.body for r in requests).decode()
    assert "connection pool exhausted" in bodies and "checkout-service" in bodies
    tools = [r.json()["toolConfig"]["toolChoice"] for r in requests]
    assert {"tool": {"name": "submit_log_review"}} in tools and {"tool": {"name": "submit_metrics_review"}} in tools
    assert {"tool": {"name": "submit_vision_review"}} in tools, report.get("gaps")
    assert any(r.images() for r in requests)
    assert any('"toolResult"' in r.body.decode() for r in requests), "supervisor tool output was sent too"
    assert "<SECRET_" in bodies and "<EMAIL_" in bodies and "<IP_" in bodies and "<HOST_" in bodies


@pytest.mark.parametrize("kind,value", [(k, v) for k, v, _t in ALL])
def test_no_secret_in_any_request_body(corpus_run, kind, value):
    _rc, _report, requests, _err, _db = corpus_run
    assert requests
    for r in requests:
        raw = r.body.decode()
        text = "\n".join(_strings(r.json()))
        assert value not in raw and value not in text, f"{kind} leaked"
        leaked = [w for w in _windows(value) if w in text]
        assert not leaked, f"{kind} partially leaked: {leaked[:3]}"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_screenshot_text_is_blacked_out_in_sent_images(corpus_run):
    import pytesseract

    _rc, _report, requests, _err, _db = corpus_run
    images = [Image.open(io.BytesIO(b)).convert("RGB") for r in requests for b in r.images()]
    assert images
    img = images[0]
    scale = img.width / SHOT_SIZE[0]
    font = ImageFont.load_default(size=28)
    arr = np.asarray(img).astype(int)
    for i, (kind, value, text) in enumerate(SCREENSHOT_SECRETS, start=1):
        prefix = text[: text.index(value)]
        x0 = 40 + font.getlength(prefix)
        x1 = 40 + font.getlength(prefix + value)
        y0, y1 = 40 + 56 * i, 40 + 56 * i + 28
        box = arr[int(y0 * scale) + 2:int(y1 * scale) - 2, int(x0 * scale) + 2:int(x1 * scale) - 2]
        bright = (box.mean(axis=2) > 150).mean()
        assert bright < 0.02, f"{kind} still visible ({bright:.2%} bright pixels)"
    ocr = pytesseract.image_to_string(img, config="--psm 11")
    assert "Checkout" in ocr
    for _kind, value, _t in SCREENSHOT_SECRETS:
        assert value not in ocr and value[:8] not in ocr


def test_answers_are_deanonymised_for_display(corpus_run):
    _rc, report, _requests, _err, _db = corpus_run
    dumped = json.dumps(report)
    assert "<HOST_" not in dumped and "<SECRET_" not in dumped and "<EMAIL_" not in dumped


def test_redactor_is_stable_and_restores():
    red = Redactor()
    line = LOG_SECRETS[0][2] + " and again AKIAQ3EGRTS7UXN2WLPZ from 203.0.113.77"
    out = red.redact(line)
    assert out.count("<SECRET_1>") == 2 and "<IP_1>" in out
    assert red.redact("203.0.113.77 seen") == "<IP_1> seen"
    assert red.restore(out) == line
    assert red.counts() == {"IP": 1, "SECRET": 1}


@pytest.mark.parametrize("benign", [
    "2026-11-30T10:03:00Z ERROR checkout-service db connection pool exhausted (max=50) after 30000ms",
    "org.apache.hadoop.hdfs.server.datanode.DataNode: PacketResponder 1 for block blk_38865049064139660 terminating",
    "GET /api/v1/orders/123 HTTP/1.1 200 512 12.5ms",
    "kubelet: Liveness probe failed: HTTP probe failed with statuscode: 503",
    "OOMKilled: container checkout exceeded memory limit 512Mi",
])
def test_benign_lines_stay_readable(benign):
    assert Redactor().redact(benign) == benign


@pytest.mark.parametrize("line,value", [
    ("failover to db-1.prod.internal.", "db-1.prod.internal"),
    ("see https://api.acme-corp.com/v1/orders", "api.acme-corp.com"),
    ("Authorization: SSWS 00aBcDeFgHiJkLmNoPqRsTuVwXyZ", "00aBcDeFgHiJkLmNoPqRsTuVwXyZ"),
    ("redis://:pw-0nly-n0-user@cache:6379", "pw-0nly-n0-user"),
])
def test_sensitive_values_at_the_edges_are_redacted(line, value):
    out = Redactor().redact(line)
    assert value not in out and "<" in out
