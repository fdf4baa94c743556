"""The bundled model run by ONNX Runtime instead of torch (RAG_EMBED_BACKEND=onnx, optional RAG_EMBED_QUANTIZE).

Why: a query then needs only onnxruntime + tokenizers (no torch / sentence-transformers import, so `rag ask`
starts much faster), and int8 weights embed faster. The ONNX file is exported once from the local weights
(torch is imported only for that) into the model cache dir; nothing is downloaded.
fp32 reproduces the torch vectors to ~1e-7 and keeps the model id; int8 records ``+int8`` in the id, so an
index built with one is never silently queried with the other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.embedding.base import Embedder, resolve_model
from rag.errors import ConfigError
from rag.settings import BUNDLED_MODEL

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer


def _check_room(model_path: Path, target_dir: Path, quantize: bool) -> None:
    """Refuse before exporting when a folder the export writes to cannot hold it.

    On a full disk the export does not always fail cleanly: a truncated intermediate file surfaced as protobuf's
    "Wire format was corrupt" from deep inside onnxruntime's quantizer. The export writes the fp32 graph (about
    the weights' size) and, for int8, the quantizer's shape-inferred copy in the system temp folder plus the int8
    file; twice the weights per folder leaves a margin.
    """
    weights = sum(f.stat().st_size for f in model_path.iterdir() if f.suffix in {".safetensors", ".bin"})
    folders = {target_dir: "RAG_MODEL_CACHE_DIR"}
    if quantize:
        folders.setdefault(Path(tempfile.gettempdir()), "TMPDIR")
    for folder, setting in folders.items():
        free = shutil.disk_usage(folder).free
        if free < 2 * weights:
            raise ConfigError(
                f"Not enough disk space to export the embedding model to ONNX: {folder} has "
                f"{free // 2**20} MB free and the export needs about {2 * weights // 2**20} MB. Free some space "
                f"there, or set {setting} to a folder with room."
            )


def export_onnx(model_path: Path, target: Path, quantize: bool) -> None:
    """Export the local weights to ONNX (int8 = dynamic, per-channel, MatMuls only) and move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _check_room(model_path, target.parent, quantize)
    import torch
    from transformers import AutoModel

    class _Encoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    from transformers.utils import logging as hf_logging

    sys.stderr.write(f"Exporting the embedding model to ONNX{' (int8)' if quantize else ''} in {target.parent} "
                     "(once, about 10 s)\n")
    hf_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
        dummy = torch.ones((2, 8), dtype=torch.long)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Encoder(model), (dummy, dummy, torch.zeros_like(dummy)), str(fp32),
                              input_names=names, output_names=["hidden"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "hidden"]})
        out = fp32
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            out = Path(tmp) / "model.int8.onnx"
            # Embeddings and LayerNorms stay fp32; per-channel MatMul weights keep cosine to fp32 at ~0.99.
            # quantize_dynamic calls logging.warning() with advice about pre-processing, which also installs a
            # root handler (logging.basicConfig) that would then print every library's log lines: undo both.
            root = logging.getLogger()
            level, handlers = root.level, list(root.handlers)
            root.setLevel(logging.ERROR)
            try:
                quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
                                 op_types_to_quantize=["MatMul"])
            finally:
                root.setLevel(level)
                for handler in [h for h in root.handlers if h not in handlers]:
                    root.removeHandler(handler)
        os.replace(out, target)  # atomic: a concurrent first run never sees a half-written file


SMALL_BATCH_TOKENS = 256  # padded tokens up to which a batch runs on one thread (OnnxEmbedder._session_for)


class OnnxEmbedder(Embedder):
    """Mean-pooled, L2-normalised sentence embeddings (the sentence-transformers recipe) via ONNX Runtime."""

    def __init__(self, spec: str = BUNDLED_MODEL, batch_size: int = 64, threads: int = 0, quantize: bool = False,
                 cache_dir: Path | None = None):
        base_id, path = resolve_model(spec)
        if path is None:
            raise ValueError(f"RAG_EMBED_BACKEND=onnx needs a model folder, not {spec!r}.")
        self._path = path
        self.model_id = base_id + ("+int8" if quantize else "")
        self.batch_size = batch_size
        self.threads = threads
        self.quantize = quantize
        self.cache_dir = Path(cache_dir or Path.home() / ".cache" / "rag").expanduser()
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        st_config = path / "sentence_bert_config.json"
        self.max_length = int(json.loads(st_config.read_text())["max_seq_length"]) if st_config.exists() else 256
        self._session: InferenceSession | None = None  # loaded on first use
        self._small_session: InferenceSession | None = None  # one thread, for query-time batches (_session_for)
        self._tokenizer: Tokenizer | None = None  # loaded on first use, alone for text_lengths

    @property
    def onnx_path(self) -> Path:
        stamp = hashlib.sha256(str(self._path.resolve()).encode()).hexdigest()[:12]
        return self.cache_dir / "onnx" / f"{self._path.name}-{stamp}{'-int8' if self.quantize else ''}.onnx"

    def _load(self) -> tuple[InferenceSession, Tokenizer]:
        if self._session is None:
            self._session = self._new_session(self.threads)
        return self._session, self._load_tokenizer()

    def _session_for(self, tokens: int) -> InferenceSession:
        """The session for a batch of ``tokens`` padded tokens. A query, an answer's sentences and claims, or the
        words the verifier compares (at most SMALL_BATCH_TOKENS) run on one thread: with spinning off, waking the
        second thread costs more CPU than it saves wall time on such small inputs (a 20-token query: 3.6 ms on one
        thread; 3.9 ms wall and 5.7 ms CPU on two). Verifying the Kubernetes dev probes (429 answers, cold caches,
        twice each, alternating): CPU p95 per answer sentence 52.5 / 50.6 ms against 67.5 / 63.0 ms with every
        batch on two threads, wall p95 52.9 / 50.6 against 57.2 / 52.3 ms, the same verdicts. Larger batches, as
        in indexing, use every thread (64 sentences: 105 ms on two threads, 193 ms on one)."""
        session, _ = self._load()
        if tokens > SMALL_BATCH_TOKENS or self.threads == 1:
            return session
        if self._small_session is None:
            self._small_session = self._new_session(1)
        return self._small_session

    def _new_session(self, threads: int) -> InferenceSession:
        import onnxruntime as ort

        if not self.onnx_path.exists():
            try:
                export_onnx(self._path, self.onnx_path, self.quantize)
            except OSError as err:
                raise ConfigError(
                    f"Cannot write the ONNX model to {self.onnx_path.parent} ({err.strerror or err}); set "
                    "RAG_MODEL_CACHE_DIR to a writable folder, or RAG_EMBED_BACKEND=torch."
                ) from None
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning worker threads burn the cores a busy laptop (or the Gradio server) needs elsewhere.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])

    def _load_tokenizer(self) -> Tokenizer:
        """The tokenizer alone (``text_lengths`` needs no ONNX session)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._path / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=self.max_length)
            tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
            self._tokenizer = tokenizer
        return self._tokenizer

    def text_lengths(self, texts: list[str]) -> list[int]:
        """Tokens of each text (special tokens included, after truncation): what the model's work grows with.
        Batches of units sorted by characters padded a third of their tokens on the bench's 1k-chunk corpus
        (181k tokens embedded for 123k real)."""
        return [sum(e.attention_mask) for e in self._load_tokenizer().encode_batch(texts)] if texts else []

    def embed_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        _, tokenizer = self._load()
        lengths = self.text_lengths(texts)
        order = sorted(range(len(texts)), key=lengths.__getitem__)  # less padding per batch
        for lo in range(0, len(order), self.batch_size):
            ids = order[lo:lo + self.batch_size]
            encoded = tokenizer.encode_batch([texts[i] for i in ids])
            input_ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            types = np.array([e.type_ids for e in encoded], dtype=np.int64)
            feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": types}
            hidden = self._session_for(input_ids.size).run(None, feed)[0]
            assert isinstance(hidden, np.ndarray)  # the model's one output is a dense tensor, never sparse or a map
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[ids] = pooled
        return out
