"""Embedders: the hashing fake, the real offline MiniLM model, and Titan v2 through a botocore Stubber."""

from __future__ import annotations

import io
import json

import boto3
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from analysis.errors import KnowledgeError
from analysis.knowledge import BedrockTitanEmbedder, Embedder, HashingEmbedder, MiniLMOnnxEmbedder, default_embedder
from analysis.settings import Settings


def test_hashing_embedder_is_deterministic_normalised_and_lexical():
    emb = HashingEmbedder(dim=128)
    assert isinstance(emb, Embedder)
    a = emb.embed(["disk full on the primary", "disk full on the primary", "certificate expired", ""])
    assert a.shape == (4, 128) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a[:3], axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a[0], a[1])
    near = float(a[0] @ emb.embed(["primary disk is full"])[0])
    far = float(a[0] @ a[2])
    assert near > far + 0.2
    assert HashingEmbedder(dim=128).id == emb.id and emb.embed([]).shape == (0, 128)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One data dir per module, so the derived model file is made once (~10 s) and reused."""
    return tmp_path_factory.mktemp("data")


def test_offline_minilm_model_ranks_by_meaning(data_dir):
    """The real default model, derived from the installed package (dynamic int8) with no network."""
    emb = MiniLMOnnxEmbedder(model_dir=data_dir / "models")
    assert (emb.id, emb.dim) == ("all-MiniLM-L6-v2-onnx-dq8", 384)
    texts = ["the server ran out of storage space", "no space left on device on the database volume",
             "the TLS certificate expired", "kubernetes pod killed: out of memory"]
    vecs = emb.embed(texts)
    assert vecs.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    sims = vecs[0] @ vecs.T
    assert sims[1] > sims[2] + 0.1 and sims[1] > sims[3]
    # batching, ordering and the two parallel workers do not change a text's vector
    again = emb.embed(["kubernetes pod killed: out of memory", "the server ran out of storage space"])
    assert np.allclose(again[1], vecs[0], atol=1e-4) and np.allclose(again[0], vecs[3], atol=1e-4)
    many = MiniLMOnnxEmbedder(model_dir=data_dir / "models").embed(texts * 3)  # 12 runs on two workers
    assert np.allclose(many[:4], vecs, atol=1e-4) and np.allclose(many[8:], vecs, atol=1e-4)
    # the derived copy stays close to the shipped model (same space, same meaning)
    shipped = MiniLMOnnxEmbedder(variant="shipped")
    assert shipped.id == "all-MiniLM-L6-v2-onnx-int8"
    assert float(np.min(np.sum(shipped.embed(texts) * vecs, axis=1))) > 0.98


def test_derived_model_is_cached_in_the_data_dir(data_dir, tmp_path):
    lazy = MiniLMOnnxEmbedder(model_dir=tmp_path / "models")
    assert not (tmp_path / "models").exists()  # nothing is derived or loaded before the first embed()
    MiniLMOnnxEmbedder(model_dir=data_dir / "models").prepare()
    files = list((data_dir / "models").glob("all-MiniLM-L6-v2.dq8.*.onnx"))
    assert len(files) == 1 and not list((data_dir / "models").glob(".derive-*"))
    stamp = files[0].stat().st_mtime_ns
    MiniLMOnnxEmbedder(model_dir=data_dir / "models").embed(["x"])  # a second load reuses the file
    assert files[0].stat().st_mtime_ns == stamp
    assert lazy.id == "all-MiniLM-L6-v2-onnx-dq8" and not (tmp_path / "models").exists()
    with pytest.raises(KnowledgeError, match="variant"):
        MiniLMOnnxEmbedder(variant="fp16")


def _body(payload: dict) -> StreamingBody:
    raw = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def test_titan_v2_invoke_model_request_and_response():
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    emb = BedrockTitanEmbedder(client, dim=256)
    vec = [0.0] * 256
    vec[3] = 2.0
    with Stubber(client) as stub:
        stub.add_response("invoke_model", {"body": _body({"embedding": vec, "inputTextTokenCount": 4}),
                                           "contentType": "application/json"},
                          {"modelId": "amazon.titan-embed-text-v2:0", "contentType": "application/json",
                           "accept": "application/json",
                           "body": json.dumps({"inputText": "disk full", "dimensions": 256, "normalize": True})})
        out = emb.embed(["disk full"])
        stub.assert_no_pending_responses()
    assert out.shape == (1, 256) and out[0, 3] == pytest.approx(1.0)
    assert emb.id == "bedrock:amazon.titan-embed-text-v2:0:256"


def test_titan_errors_become_one_sentence_knowledge_errors():
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    emb = BedrockTitanEmbedder(client, dim=256)
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "AccessDeniedException", "no access", 403)
        with pytest.raises(KnowledgeError, match="AccessDeniedException"):
            emb.embed(["x"])
        stub.add_response("invoke_model", {"body": _body({"embedding": [0.1, 0.2]}), "contentType": "application/json"})
        with pytest.raises(KnowledgeError, match="2 values instead of 256"):
            emb.embed(["x"])
    with pytest.raises(KnowledgeError, match="256, 512 or 1024"):
        BedrockTitanEmbedder(client, dim=300)


def test_default_embedder_follows_the_backend(data_dir):
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    assert isinstance(default_embedder(Settings(backend="bedrock"), client=client), BedrockTitanEmbedder)
    offline = default_embedder(Settings(backend="offline", data_dir=data_dir))
    assert isinstance(offline, MiniLMOnnxEmbedder) and offline.variant == "dynamic-int8"
    offline.prepare()
    assert len(list((data_dir / "models").glob("*.onnx"))) == 1  # derived under the settings' data dir
    shipped = default_embedder(Settings(backend="offline", data_dir=data_dir, kb_embedder="minilm-shipped"))
    assert shipped.id == "all-MiniLM-L6-v2-onnx-int8"
    assert isinstance(default_embedder(Settings(kb_embedder="hashing")), HashingEmbedder)
    with pytest.raises(KnowledgeError, match="Unknown kb_embedder"):
        default_embedder(Settings(kb_embedder="word2vec"))
