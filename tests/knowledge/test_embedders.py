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


def test_offline_minilm_model_ranks_by_meaning():
    """The real default model, loaded from the installed package with no network."""
    emb = MiniLMOnnxEmbedder()
    assert (emb.id, emb.dim) == ("all-MiniLM-L6-v2-onnx-int8", 384)
    vecs = emb.embed(["the server ran out of storage space", "no space left on device on the database volume",
                      "the TLS certificate expired", "kubernetes pod killed: out of memory"])
    assert vecs.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    sims = vecs[0] @ vecs.T
    assert sims[1] > sims[2] + 0.1 and sims[1] > sims[3]
    # batching and ordering do not change a text's vector
    again = emb.embed(["kubernetes pod killed: out of memory", "the server ran out of storage space"])
    assert np.allclose(again[1], vecs[0], atol=1e-4) and np.allclose(again[0], vecs[3], atol=1e-4)


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


def test_default_embedder_follows_the_backend():
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    assert isinstance(default_embedder(Settings(backend="bedrock"), client=client), BedrockTitanEmbedder)
    offline = default_embedder(Settings(backend="offline"))
    assert isinstance(offline, MiniLMOnnxEmbedder)
