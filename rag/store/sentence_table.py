"""Sentence vectors, computed once at index time and kept in the snapshot.

Each document's sentences (the pysbd spans its chunks carry) are embedded one by one; the answerer compares the
question with these vectors, and a chunk's vector is the length-weighted mean of its sentences' vectors (see
``chunk_vectors``), so indexing embeds every sentence once instead of embedding overlapping 800-character chunks.

On disk, under ``snapshots/<id>/sentences/``:

    vectors.npy   float16 (n, dim), rows L2-normalised before the cast; memory-mapped when loaded
    spans.npy     int64 (n, 2), [start, end) in the document's text
    rows.json     {source: [first_row, end_row]}; each document's rows are contiguous and sorted by start

Why float16 and a memory map: 100k chunks hold about 550k sentences, 420 MB as float16 (840 MB as float32); a
question touches a few dozen rows, so only those pages are read. float16 changes cosine scores by < 1e-3.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.types import Chunk

FOLDER = "sentences"


def document_spans(chunks: Sequence[Chunk]) -> list[tuple[int, int]]:
    """The sorted, distinct sentence spans of one document's chunks (a chunk without spans counts as one)."""
    spans: set[tuple[int, int]] = set()
    for chunk in chunks:
        spans.update(chunk.sentences or ((chunk.start, chunk.end),))
    return sorted(spans)


def chunk_vectors(chunks: Sequence[Chunk], spans: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Chunk vectors of one document: the mean of its sentences' vectors weighted by how many of each sentence's
    characters lie inside the chunk, L2-normalised. Mean pooling over tokens, which the model does for a whole
    chunk, is close to this length-weighted mean of sentence means; `rag bench` measures retrieval recall@5 of
    both (docs/BENCHMARKS.md)."""
    starts = spans[:, 0]
    out = np.zeros((len(chunks), vectors.shape[1]), np.float32)
    for i, chunk in enumerate(chunks):
        own = chunk.sentences or ((chunk.start, chunk.end),)
        rows = np.searchsorted(starts, [s for s, _ in own])
        weights = np.array([max(1, min(e, chunk.end) - max(s, chunk.start)) for s, e in own], np.float32)
        vector = weights @ vectors[rows].astype(np.float32)
        out[i] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return out


class SentenceTable:
    """Read side: sentence vectors of one snapshot, looked up by (source, start, end)."""

    def __init__(self, spans: np.ndarray, vectors: np.ndarray, rows: dict[str, tuple[int, int]]):
        self.spans = spans
        self.vectors = vectors
        self.rows = rows

    def __len__(self) -> int:
        return len(self.spans)

    def row(self, source: str, start: int, end: int) -> int | None:
        block = self.rows.get(source)
        if block is None:
            return None
        lo, hi = block
        i = lo + int(np.searchsorted(self.spans[lo:hi, 0], start))
        if i < hi and self.spans[i, 0] == start and self.spans[i, 1] == end:
            return i
        return None

    def chunk_rows(self, chunk: Chunk) -> tuple[int, int] | None:
        """Rows [lo, hi) of a chunk's sentences: consecutive sentences of its document, so contiguous rows."""
        spans = chunk.sentences or ((chunk.start, chunk.end),)
        first = self.row(chunk.source, *spans[0])
        if first is None:
            return None
        last = first + len(spans) - 1
        if last >= len(self.spans) or tuple(self.spans[last]) != tuple(spans[-1]):
            return None  # not contiguous (cannot happen for the indexer's spans; never read a wrong row)
        return first, last + 1

    def best_sentence_scores(self, chunks: Sequence[Chunk], query_vector: np.ndarray) -> np.ndarray:
        """For each chunk, the cosine of its best-matching sentence with the query (0 when it has none stored)."""
        out = np.zeros(len(chunks), np.float32)
        found = [(i, rows) for i, chunk in enumerate(chunks) if (rows := self.chunk_rows(chunk)) is not None]
        if not found:
            return out
        # one gather and one product for all the chunks' rows (a product per chunk cost more in NumPy's call
        # overhead and int8 conversions than in arithmetic: 2.3 of the 9.5 ms of a question's retrieval at 100k)
        index = np.concatenate([np.arange(lo, hi) for _, (lo, hi) in found])
        scores = self.vectors[index].astype(np.float32) @ query_vector
        starts = np.cumsum([0] + [hi - lo for _, (lo, hi) in found[:-1]])
        out[[i for i, _ in found]] = np.maximum.reduceat(scores, starts)
        return out

    def block(self, source: str) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.rows[source]
        return self.spans[lo:hi], self.vectors[lo:hi]

    @classmethod
    def load(cls, snapshot_path: Path) -> SentenceTable | None:
        folder = Path(snapshot_path) / FOLDER
        if not (folder / "rows.json").exists():
            return None  # a snapshot written before sentence vectors were stored: the answerer embeds live
        rows = {k: (int(a), int(b)) for k, (a, b) in json.loads((folder / "rows.json").read_text("utf-8")).items()}
        return cls(np.load(folder / "spans.npy"), np.load(folder / "vectors.npy", mmap_mode="r"), rows)


class SentenceTableWriter:
    """Write side: documents' blocks are appended in order straight to the files of a new snapshot, so the build
    never holds every sentence vector in memory."""

    def __init__(self, folder: Path, n_rows: int, dim: int):
        self.folder = Path(folder) / FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n_rows, self.dim = n_rows, dim
        self.spans = np.zeros((n_rows, 2), np.int64)
        self.rows: dict[str, tuple[int, int]] = {}
        self._next = 0
        self._handle = open(self.folder / "vectors.npy", "wb")
        np.lib.format.write_array_header_1_0(
            self._handle, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float16)), "fortran_order": False,
                           "shape": (n_rows, dim)})

    def append(self, source: str, spans: np.ndarray | Iterable[tuple[int, int]], vectors: np.ndarray) -> None:
        spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        if len(spans) != len(vectors):
            raise ValueError(f"{source}: {len(spans)} spans but {len(vectors)} vectors")
        lo = self._next
        hi = lo + len(spans)
        if hi > self.n_rows:
            raise ValueError(f"sentence table overflow at {source}: {hi} > {self.n_rows} rows")
        self.spans[lo:hi] = spans
        self.rows[source] = (lo, hi)
        self._handle.write(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())
        self._next = hi

    def close(self) -> None:
        self._handle.close()
        if self._next != self.n_rows:
            raise ValueError(f"sentence table has {self._next} of {self.n_rows} rows")
        np.save(self.folder / "spans.npy", self.spans)
        (self.folder / "rows.json").write_text(json.dumps(self.rows, ensure_ascii=False), encoding="utf-8")
