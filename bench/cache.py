"""The bench's cache of sentence vectors, keyed by the text's hash, so each distinct sentence is embedded once
across runs and corpus sizes (embedding the 100k-chunk corpus live takes about an hour on 2 cores).

Layout of a cache folder: ``keys.npy`` (sorted 16-byte sha256 prefixes) and ``vectors.f32`` (raw float32 rows
in the same order), plus ``part-*.npz`` files of vectors added since the last ``consolidate``. Lookups read
rows with ``os.pread``, not a memory map, so the cache adds nothing to the measured process's resident memory
but its keys (16 bytes a sentence): the peak RSS that `rag bench` reports is the index's, not the harness's.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from rag.embedding import Embedder

KEYS = "keys.npy"
VECTORS = "vectors.f32"


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def consolidate(folder: Path, dim: int) -> int:
    """Merge every part file into the sorted store (atomic replace); returns the number of vectors stored."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = sorted(folder.glob("part-*.npz"))
    keys = np.load(folder / KEYS) if (folder / KEYS).exists() else np.zeros(0, dtype="S16")
    if not parts:
        return len(keys)
    vectors = (np.fromfile(folder / VECTORS, dtype=np.float32).reshape(-1, dim) if len(keys)
               else np.zeros((0, dim), np.float32))
    new_keys, new_vectors = [keys], [vectors]
    for part in parts:
        data = np.load(part)
        new_keys.append(data["keys"].astype("S16"))
        new_vectors.append(data["vectors"].astype(np.float32).reshape(-1, dim))
    all_keys = np.concatenate(new_keys)
    all_vectors = np.vstack(new_vectors)
    all_keys, first = np.unique(all_keys, return_index=True)
    tmp = uuid.uuid4().hex
    np.save(folder / f".{tmp}-keys.npy", all_keys)
    all_vectors[first].tofile(folder / f".{tmp}-vectors")
    os.replace(folder / f".{tmp}-vectors", folder / VECTORS)
    os.replace(folder / f".{tmp}-keys.npy", folder / KEYS)
    for part in parts:
        part.unlink()
    return len(all_keys)


class CachedEmbedder(Embedder):
    """Wraps the real embedder: vectors of known texts come from the cache folder, the rest are embedded by the
    real model and written to a new part file. Consolidate the folder before a measured run."""

    def __init__(self, inner: Embedder, folder: Path):
        self.inner = inner
        self.model_id = inner.model_id
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.hits = self.misses = 0
        self._keys = np.load(self.folder / KEYS) if (self.folder / KEYS).exists() else np.zeros(0, dtype="S16")
        self._fd = os.open(self.folder / VECTORS, os.O_RDONLY) if len(self._keys) else None
        self._fresh: dict[bytes, np.ndarray] = {}  # vectors embedded by this process, not yet consolidated

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self.inner.dim

    def _read(self, row: int) -> np.ndarray:
        assert self._fd is not None  # rows are read only for keys found in the cache, so its vector file is open
        size = 4 * self.dim
        return np.frombuffer(os.pread(self._fd, size, row * size), dtype=np.float32)

    def embed_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        keys = [text_key(t) for t in texts]
        missing: dict[bytes, list[int]] = {}
        if len(self._keys):
            wanted = np.array(keys, dtype="S16")
            rows = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
            found = self._keys[rows] == wanted
        else:
            rows, found = np.zeros(len(keys), int), np.zeros(len(keys), bool)
        for i, key in enumerate(keys):
            if found[i]:
                out[i] = self._read(int(rows[i]))
            elif key in self._fresh:
                out[i] = self._fresh[key]
            else:
                missing.setdefault(key, []).append(i)
        self.hits += len(texts) - sum(len(v) for v in missing.values())
        if missing:
            first = [rows_[0] for rows_ in missing.values()]
            fresh = self.inner.embed_array([texts[i] for i in first])
            self.misses += len(first)
            for (key, where), vector in zip(missing.items(), fresh):
                self._fresh[key] = vector
                out[where] = vector
            np.savez(self.folder / f"part-{uuid.uuid4().hex}.npz",
                     keys=np.array(list(missing), dtype="S16"), vectors=fresh)
        return out
