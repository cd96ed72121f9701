"""The knowledge base on an ``s3://`` URI, against moto's standalone S3 server on 127.0.0.1.

Skips only when moto (``pip install "moto[server]"``) is not installed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from analysis.knowledge import HashingEmbedder, KnowledgeBase

pytest.importorskip("moto.server", reason='needs moto[server]: pip install "moto[server]"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("moto server did not start")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_knowledge_base_on_s3_round_trips_and_searches(s3_endpoint, entries):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="team-kb")
    options = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_region": "us-east-1",
               "aws_endpoint": s3_endpoint, "allow_http": "true"}
    emb = HashingEmbedder(dim=256)
    kb = KnowledgeBase("s3://team-kb/shared/kb", emb, storage_options=options)
    assert kb.upsert(entries) == 8
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="team-kb")["Contents"]]
    assert any(k.startswith("shared/kb/kb_entries.lance/") for k in keys)

    other = KnowledgeBase("s3://team-kb/shared/kb", emb, storage_options=options)  # a teammate opens it
    assert other.count() == 8 and other.get("pm-queue") == entries[5]
    assert other.search("kafka consumer lag, emails late", k=1)[0].entry.id == "pm-queue"
    assert other.delete("pm-creds") and kb.count() == 7
