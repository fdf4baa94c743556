"""Per-process caches of rows that never change once written: a chunk row (and vector) is immutable under its
key, a document's text under its doc_key, a unit's vector under (doc_key, start, end) (replacing a document
writes new keys). So entries are valid for every view
that can see the key, need no invalidation, and are bounded only to cap memory (least recently used goes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from rag.types import Chunk, Document

CHUNK_ENTRIES = 50_000  # ~1 kB each
DOCUMENT_CHARS = 64_000_000  # texts of the most recently used documents, by total characters
VECTOR_ENTRIES = 30_000  # chunk and answer-unit vectors, 1.5 kB each at 384 dimensions


class RowCache:
    def __init__(self, chunk_entries: int = CHUNK_ENTRIES, document_chars: int = DOCUMENT_CHARS):
        self._chunks: OrderedDict[int, Chunk] = OrderedDict()
        self._docs: OrderedDict[int, Document] = OrderedDict()
        self._vectors: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._chars = 0
        self.chunk_entries, self.document_chars = chunk_entries, document_chars
        self.vector_entries = VECTOR_ENTRIES
        self._lock = threading.Lock()

    def vector(self, key: tuple) -> np.ndarray | None:
        """A chunk's vector under ("chunk", key), an answer unit's under ("unit", doc_key, start, end)."""
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put_vector(self, key: tuple, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.vector_entries:
                self._vectors.popitem(last=False)

    def chunk(self, key: int) -> Chunk | None:
        with self._lock:
            chunk = self._chunks.get(key)
            if chunk is not None:
                self._chunks.move_to_end(key)
            return chunk

    def put_chunk(self, key: int, chunk: Chunk) -> None:
        with self._lock:
            self._chunks[key] = chunk
            self._chunks.move_to_end(key)
            while len(self._chunks) > self.chunk_entries:
                self._chunks.popitem(last=False)

    def document(self, doc_key: int) -> Document | None:
        with self._lock:
            doc = self._docs.get(doc_key)
            if doc is not None:
                self._docs.move_to_end(doc_key)
            return doc

    def put_document(self, doc_key: int, doc: Document) -> None:
        with self._lock:
            if doc_key in self._docs:
                return
            self._docs[doc_key] = doc
            self._chars += len(doc.text)
            while self._chars > self.document_chars and len(self._docs) > 1:
                _, old = self._docs.popitem(last=False)
                self._chars -= len(old.text)
