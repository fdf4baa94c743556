"""The real model through sentence-transformers on torch (RAG_EMBED_BACKEND=torch)."""

from __future__ import annotations

import numpy as np

from rag.embedding.base import Embedder, resolve_model
from rag.errors import ConfigError
from rag.settings import BUNDLED_MODEL


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
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()
            transformers.logging.set_verbosity_error()
            self._model = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:  # type: ignore[override]
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:  # no module of the model declares its output size
            raise ConfigError(f"The model in {self._path} does not say its embedding size; use a sentence-transformers "
                              "model folder (with a pooling module), or RAG_EMBED_BACKEND=onnx.")
        return int(dim)

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
