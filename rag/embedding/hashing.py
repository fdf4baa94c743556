"""A deterministic feature-hashing fake embedder for fast tests and `RAG_EMBED_MODEL=hash:DIM` (lexical only)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from rag.embedding.base import Embedder

_TOKEN = re.compile(r"\w+", re.UNICODE)


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
