"""Writing the PostgreSQL store: one transaction per ``write`` under a session advisory lock.

Dropped and replaced documents are deleted and new ones inserted (COPY, in batches of about BATCH_CHUNKS chunks,
as the embedder yields them) inside that transaction, and ``rag.state.version`` is bumped last; a failure or a
SIGKILL at any moment before COMMIT leaves the database exactly as it was (the server rolls the transaction back
when the connection drops), and readers see the new state only once it is committed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import numpy as np

from rag.errors import IndexLockedError
from rag.store.base import StoredDocument
from rag.store.postgres.connection import where
from rag.store.postgres.keyword import chunk_terms
from rag.store.postgres.schema import create_hnsw_index, has_hnsw_index

LOCK_KEY = 0x7261672D77726974  # "rag-writ": the one writer lock of a store (a database holds one store)
BATCH_CHUNKS = 2000
MAINTAIN_FRACTION = 0.1  # vacuum + analyze after a write that changed this share of the chunks

CHUNK_TYPES = ["int8", "int8", "text", "int4", "int4", "int4", "text", "jsonb", "int4", "int4", "int4", "vector"]


@contextmanager
def writer_lock(conn, url: str, timeout: float):
    """Hold the store's advisory lock on ``conn`` (a session lock: released when the connection ends, also
    when the process is killed); wait up to ``timeout`` seconds, then IndexLockedError."""
    deadline = time.monotonic() + timeout
    while not conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
        if time.monotonic() >= deadline:
            raise IndexLockedError(f"The store at {where(url)} is being written by {lock_holder(conn)}; wait for it "
                                   "to finish and retry.")
        time.sleep(0.1)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def lock_holder(conn) -> str:
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s",
        [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF]).fetchone()
    return row[0] if row and row[0] else "another process"


class PostgresWriter:
    """A ``StoreWriter`` on the writer's own connection, under the advisory lock."""

    def __init__(self, store, conn):
        self.store = store
        self.conn = conn
        self._manifest = store.read_manifest(conn)

    @property
    def manifest(self) -> dict | None:
        return self._manifest

    def previous(self):
        return self.store.view() if self._manifest is not None else None

    def write(self, keep: Sequence[str], new: Iterable[StoredDocument], manifest: dict, *, n_new_units: int,
              n_new_chunks: int) -> None:
        dim = int(manifest["embedding"]["dim"])
        conn = self.conn
        config = {k: v for k, v in manifest.items() if k not in ("documents", "n_chunks", "n_documents")}
        with conn.transaction():
            before = conn.execute("SELECT n_chunks FROM rag.state FOR UPDATE").fetchone()
            n_before = before[0] if before else 0
            n_dropped = self._drop(set(keep))
            batch = Batch(conn, dim)
            for item in new:
                batch.add(item)
                if batch.n_chunks >= BATCH_CHUNKS:
                    batch.flush()
            batch.flush()
            batch.update_terms()
            if not has_hnsw_index(conn, dim):  # built once over the loaded rows: much faster than row by row
                conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
                create_hnsw_index(conn, dim, self.store.hnsw_m, self.store.hnsw_ef_construction)
            conn.execute(STATE_SQL, {"manifest": _jsonb(config), "dim": dim})
        from rag.store.postgres import note_local_write

        note_local_write(self.store.url)
        changed = n_dropped + batch.total_chunks
        if changed and changed >= MAINTAIN_FRACTION * max(n_before, 1):
            # Sets the visibility map (index-only BM25 scans), clears deleted rows out of the HNSW graph and
            # refreshes the planner's statistics. After COMMIT: killing it here loses nothing.
            conn.execute("VACUUM (ANALYZE) rag.chunks, rag.postings, rag.units, rag.terms, rag.documents")
        self._manifest = self.store.read_manifest(conn)

    def _drop(self, keep: set[str]) -> int:
        """Delete every document not in ``keep`` with its chunks, units and postings; returns chunks deleted."""
        conn = self.conn
        rows = conn.execute("SELECT doc_key, source, n_chunks FROM rag.documents").fetchall()
        drop = [doc_key for doc_key, source, _ in rows if source not in keep]
        n_chunks = sum(n for doc_key, source, n in rows if source not in keep)
        if not drop:
            return 0
        if len(drop) == len(rows):  # everything goes (a rebuild): plain deletes, no joins (no TRUNCATE: its
            for table in ("postings", "terms", "units", "chunks", "documents"):  # lock waits for readers)
                conn.execute(f"DELETE FROM rag.{table}")
            return n_chunks
        conn.execute(
            "UPDATE rag.terms t SET df = t.df - d.n FROM (SELECT p.term, count(*) AS n FROM rag.postings p "
            "JOIN rag.chunks c ON c.key = p.chunk_key WHERE c.doc_key = ANY(%(d)s) GROUP BY p.term) d "
            "WHERE t.term = d.term", {"d": drop})
        conn.execute("DELETE FROM rag.terms WHERE df <= 0")
        conn.execute("DELETE FROM rag.postings p USING rag.chunks c WHERE p.chunk_key = c.key "
                     "AND c.doc_key = ANY(%s)", [drop])
        conn.execute("DELETE FROM rag.units WHERE doc_key = ANY(%s)", [drop])
        conn.execute("DELETE FROM rag.documents WHERE doc_key = ANY(%s)", [drop])  # cascades to rag.chunks
        return n_chunks


STATE_SQL = """
INSERT INTO rag.state AS s (singleton, version, manifest, dim, n_documents, n_chunks, n_units, total_terms, updated_at)
SELECT true, coalesce((SELECT version FROM rag.state), 0) + 1, %(manifest)s, %(dim)s,
       (SELECT count(*) FROM rag.documents), (SELECT count(*) FROM rag.chunks), (SELECT count(*) FROM rag.units),
       (SELECT coalesce(sum(n_terms), 0) FROM rag.chunks), now()
ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, manifest = EXCLUDED.manifest, dim = EXCLUDED.dim,
    n_documents = EXCLUDED.n_documents, n_chunks = EXCLUDED.n_chunks, n_units = EXCLUDED.n_units,
    total_terms = EXCLUDED.total_terms, updated_at = EXCLUDED.updated_at
"""


class Batch:
    """New documents buffered until about BATCH_CHUNKS chunks, then written with one COPY per table."""

    def __init__(self, conn, dim: int):
        self.conn, self.dim = conn, dim
        self.items: list[StoredDocument] = []
        self.n_chunks = 0
        self.total_chunks = 0
        self.df: Counter[str] = Counter()

    def add(self, item: StoredDocument) -> None:
        vectors = np.asarray(item.chunk_vectors, np.float32).reshape(-1, self.dim) if len(item.chunks) else None
        if vectors is not None and len(vectors) != len(item.chunks):
            raise ValueError(f"{item.document.source}: {len(vectors)} vectors for {len(item.chunks)} chunks")
        if len(item.unit_spans) != len(item.unit_vectors):
            raise ValueError(f"{item.document.source}: {len(item.unit_spans)} unit spans but "
                             f"{len(item.unit_vectors)} vectors")
        self.items.append(item)
        self.n_chunks += len(item.chunks)

    def _reserve(self, sequence: str, n: int) -> int:
        """First of ``n`` consecutive fresh values of ``sequence`` (only the lock holder draws from it)."""
        if n == 0:
            return 0
        last = self.conn.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, n]).fetchone()[0]
        return int(last) - n + 1

    def flush(self) -> None:
        if not self.items:
            return
        from psycopg.types.json import Jsonb

        conn = self.conn
        doc_key = self._reserve("rag.documents_doc_key_seq", len(self.items))
        key = self._reserve("rag.chunks_key_seq", self.n_chunks)
        with conn.cursor() as cur:
            with cur.copy("COPY rag.documents (doc_key, source, sha256, text, pages, n_chars, n_chunks) "
                          "FROM STDIN") as copy:
                for i, item in enumerate(self.items):
                    d = item.document
                    copy.write_row((doc_key + i, d.source, d.sha256, d.text, Jsonb([list(p) for p in d.pages]),
                                    len(d.text), len(item.chunks)))
            postings = []
            with cur.copy("COPY rag.chunks (key, doc_key, chunk_id, span_start, span_end, page, text, metadata, "
                          "unit_lo, unit_hi, n_terms, embedding) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(CHUNK_TYPES)
                next_key = key
                for i, item in enumerate(self.items):
                    vectors = np.asarray(item.chunk_vectors, np.float32).reshape(-1, self.dim)
                    for chunk, vector in zip(item.chunks, vectors):
                        counts, length = chunk_terms(chunk.text)
                        spans = chunk.sentences or ((chunk.start, chunk.end),)
                        copy.write_row((next_key, doc_key + i, chunk.chunk_id, chunk.start, chunk.end, chunk.page,
                                        chunk.text, Jsonb({"sentences": [list(s) for s in chunk.sentences]}),
                                        spans[0][0], spans[-1][0], length, vector))
                        postings.append((next_key, counts, length))
                        next_key += 1
            units_sql = "COPY rag.units (doc_key, span_start, span_end, embedding) FROM STDIN (FORMAT BINARY)"
            with cur.copy(units_sql) as copy:
                copy.set_types(["int8", "int4", "int4", "vector"])
                for i, item in enumerate(self.items):
                    spans = np.asarray(item.unit_spans, np.int64).reshape(-1, 2)
                    for (start, end), vector in zip(spans.tolist(), np.asarray(item.unit_vectors, np.float32)):
                        copy.write_row((doc_key + i, start, end, vector))
            with cur.copy("COPY rag.postings (term, chunk_key, tf, dl) FROM STDIN") as copy:
                for chunk_key, counts, length in postings:
                    for term, tf in counts.items():
                        copy.write_row((term, chunk_key, tf, length))
                    self.df.update(counts.keys())
        self.total_chunks += self.n_chunks
        self.items, self.n_chunks = [], 0

    def update_terms(self) -> None:
        if self.df:
            terms = list(self.df)
            self.conn.execute(
                "INSERT INTO rag.terms AS t (term, df) SELECT * FROM unnest(%s::text[], %s::int[]) "
                "ON CONFLICT (term) DO UPDATE SET df = t.df + EXCLUDED.df", [terms, [self.df[t] for t in terms]])


def _jsonb(value):
    from psycopg.types.json import Jsonb

    return Jsonb(value)


