"""The store boundary: what every backend offers, and the one shape documents are written in.

A ``Store`` keeps documents, their chunks, one vector per answer unit (sentence, list item, ...) and one per
chunk, and a keyword index. Readers take a ``StoreView``: one committed, consistent state that never changes
under them, whatever a writer does meanwhile. Writers go through ``Store.writer()``: one writer at a time, and a
write is all or nothing (the FAISS snapshot publishes a new folder atomically; a database commits a
transaction). Chunks are addressed by integer keys that are stable within one view.

Everything outside ``rag/store`` (retrieval, answerers, the integrity check's callers, eval, bench, the UI) uses
only these protocols; FAISS, bm25s and database drivers are imported only inside this package. The behaviour is
pinned by one contract suite (tests/contract/test_store_contract.py) that every backend passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from rag.types import Chunk, Document


@dataclass(frozen=True)
class StoredDocument:
    """One document ready to be written: its chunks, its answer units' spans and vectors, its chunks' vectors.

    ``unit_spans`` are sorted, distinct (start, end) offsets into ``document.text``; row i of ``unit_vectors``
    embeds ``document.text[start:end]`` of row i of ``unit_spans``. Vectors are L2-normalised float32."""

    document: Document
    chunks: Sequence[Chunk]
    unit_spans: np.ndarray
    unit_vectors: np.ndarray
    chunk_vectors: np.ndarray


@dataclass
class CheckReport:
    """What an integrity check found: ``problems`` make the store unusable, ``notes`` are harmless."""

    location: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    n_documents: int = 0
    n_chunks: int = 0
    snapshot: str | None = None
    missing: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return (f"index {self.location} is sound: snapshot {self.snapshot}, {self.n_documents} documents, "
                    f"{self.n_chunks} chunks")
        return f"index {self.location} is damaged: {len(self.problems)} problem(s); run `rag index --repair`"


@dataclass
class RepairReport:
    actions: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    check: CheckReport | None = None


@runtime_checkable
class StoreView(Protocol):
    """One committed state of the store, read-only."""

    manifest: dict

    @property
    def n_chunks(self) -> int: ...

    def chunk(self, key: int) -> Chunk: ...

    def iter_chunks(self) -> Iterator[tuple[int, Chunk]]: ...

    def document(self, source: str) -> Document:
        """The stored document (KeyError when it is not in this view)."""
        ...

    def documents(self) -> Mapping[str, Document]: ...

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk key, cosine) of the k chunks nearest to the query, best first."""
        ...

    def keyword_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(chunk key, score > 0) of the k best keyword matches, best first."""
        ...

    def chunk_vectors(self, keys: Sequence[int]) -> np.ndarray:
        """float32 (len(keys), dim) chunk vectors."""
        ...

    def unit_vectors(self, source: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """float32 (len(spans), dim) vectors of the stored answer units of ``source`` at ``spans``
        (KeyError when one is not stored)."""
        ...

    def best_unit_scores(self, keys: Sequence[int], query_vector: np.ndarray) -> np.ndarray:
        """For each chunk, the cosine of its best-matching answer unit with the query."""
        ...

    def term_stats(self) -> TermStats: ...

    def stats(self) -> dict: ...


class TermStats(Protocol):
    """Keyword statistics of a view: how many chunks there are and in how many a term occurs."""

    n_chunks: int

    def document_frequency(self, term: str) -> int: ...


class StoreWriter(Protocol):
    """Handed out by ``Store.writer()`` under the writer lock."""

    @property
    def manifest(self) -> dict | None:
        """The committed manifest (None when the store is empty), read under the lock."""
        ...

    def previous(self) -> StoreView | None:
        """The committed view the write starts from (None when empty)."""
        ...

    def write(self, keep: Sequence[str], new: Iterable[StoredDocument], manifest: dict, *, n_new_units: int,
              n_new_chunks: int) -> None:
        """Commit, as one atomic change, the state: the ``keep`` documents of ``previous()`` unchanged, plus
        ``new`` (consumed lazily, so vectors can stream in), nothing else. ``manifest`` holds the configuration
        (embedding, chunking, versions); the store adds the document list and counts."""
        ...


class Store(Protocol):
    """A document store backend (the FAISS snapshot folder, PostgreSQL + pgvector)."""

    location: str

    def view(self) -> StoreView:
        """The latest committed state (IndexMissingError when nothing was ever written)."""
        ...

    def manifest(self) -> dict | None:
        """The latest committed manifest, or None, without loading vectors."""
        ...

    def writer(self, lock_timeout: float = 0.0) -> AbstractContextManager[StoreWriter]: ...

    def check(self) -> CheckReport:
        """Whether the committed state is internally consistent (counts, texts, spans, vectors)."""
        ...

    def repair(self, rebuild: Callable[[list[str]], str], lock_timeout: float = 0.0) -> RepairReport:
        """Make the store sound again, keeping as much as possible; ``rebuild(sources)`` re-indexes the listed
        source files when nothing sound is left, and returns a line for the report."""
        ...
