"""A read-only view of the PostgreSQL store: one REPEATABLE READ transaction, so every query of the view sees the
same committed state whatever writers commit meanwhile (MVCC keeps the rows it sees until it ends).

A view owns one connection, shared by the threads that use it (psycopg serialises them). The store hands out
the same view until a write bumps ``rag.state.version``; the view's transaction ends when nobody holds it any
more. Rows are immutable once written (a replaced document gets new keys), so the chunk rows and document
texts read by any view are cached per process by key (rag.store.postgres.cache) and a question costs the
searches, not the rows: one HNSW query, one BM25 query, one query for the candidates' best answer units and
one per cited document for the units' vectors.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from rag.errors import StoreUnavailableError
from rag.store.postgres.connection import where
from rag.store.postgres.keyword import SEARCH_SQL, query_terms, search_params
from rag.store.postgres.schema import dense_expression
from rag.types import Chunk, Document

CHUNK_COLUMNS = "c.key, c.doc_key, c.chunk_id, c.span_start, c.span_end, c.page, c.text, c.metadata, c.embedding"
ROW_COLUMNS = CHUNK_COLUMNS.replace("c.embedding", "NULL::vector")  # for scans that should not fill the cache


class DocumentInfo:
    __slots__ = ("doc_key", "source", "sha256", "n_chars", "n_chunks")

    def __init__(self, doc_key: int, source: str, sha256: str, n_chars: int, n_chunks: int):
        self.doc_key, self.source, self.sha256, self.n_chars, self.n_chunks = doc_key, source, sha256, n_chars, n_chunks


class PostgresView:
    """``StoreView`` over one snapshot of the database. Chunk keys are the chunks' bigserial keys."""

    def __init__(self, store, conn):
        self.store = store
        self._conn = conn
        self.broken = False
        self._df: dict[str, int] = {}
        self._df_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _close_quietly, conn)
        row = self._rows("SELECT version, manifest, dim, n_documents, n_chunks, n_units, total_terms FROM rag.state")
        if not row:
            raise LookupError("empty store")
        self.version, config, self.dim, self.n_documents, self._n_chunks, self.n_units, self.total_terms = row[0]
        self.by_source: dict[str, DocumentInfo] = {}
        self.by_key: dict[int, DocumentInfo] = {}
        for doc_key, source, sha256, n_chars, n_chunks in self._rows(
                "SELECT doc_key, source, sha256, n_chars, n_chunks FROM rag.documents ORDER BY doc_key"):
            info = DocumentInfo(doc_key, source, sha256, n_chars, n_chunks)
            self.by_source[source] = self.by_key[doc_key] = info
        self.manifest = dict(config, n_documents=self.n_documents, n_chunks=self._n_chunks, store="postgres",
                             version=self.version, dense_index=store.dense_index_info(self.dim),
                             documents={s: {"sha256": d.sha256, "chunks": d.n_chunks, "chars": d.n_chars}
                                        for s, d in self.by_source.items()})

    @classmethod
    def open(cls, store) -> PostgresView:
        """A new view on its own connection (RR, read-only), with the session's HNSW search depth set."""
        conn = store.connect("rag reader")
        try:
            store.schema_version(conn)
            conn.execute(f"SET hnsw.ef_search = {int(store.ef_search)}")
            conn.autocommit = False
            conn.isolation_level = _repeatable_read()
            conn.read_only = True
            return cls(store, conn)
        except BaseException:
            _close_quietly(conn)
            raise

    def close(self) -> None:
        self._finalizer()

    # -- queries -----------------------------------------------------------------------------------------------

    def _rows(self, sql: str, params=None) -> list[tuple]:
        import psycopg

        try:
            return self._conn.execute(sql, params, binary=True).fetchall()
        except psycopg.OperationalError as err:
            self.broken = True
            raise StoreUnavailableError(f"Lost the connection to the store at {where(self.store.url)} "
                                        f"({str(err).strip().splitlines()[0] if str(err).strip() else err!r}); "
                                        "retry once the server is back.") from None

    def _chunk_from_row(self, row) -> tuple[int, Chunk]:
        """A CHUNK_COLUMNS row as a Chunk; the row and its vector go to the process's cache."""
        key, doc_key, cid, start, end, page, text, metadata, embedding = row
        doc = self.by_key[doc_key]
        meta = metadata if isinstance(metadata, dict) else json.loads(metadata)
        chunk = Chunk(cid, doc.source, doc.sha256, start, end, text, page,
                      tuple(tuple(s) for s in meta.get("sentences", ())))
        self.store.cache.put_chunk(key, chunk)
        if embedding is not None:
            self.store.cache.put_vector(("chunk", key), embedding.to_numpy())
        return key, chunk

    # -- StoreView ---------------------------------------------------------------------------------------------

    @property
    def n_chunks(self) -> int:
        return self._n_chunks

    def chunk(self, key: int) -> Chunk:
        chunk = self.store.cache.chunk(key)
        if chunk is None:
            rows = self._rows(f"SELECT {CHUNK_COLUMNS} FROM rag.chunks c WHERE c.key = %s", [int(key)])
            if not rows:
                raise KeyError(f"chunk {key} is not in this view")
            chunk = self._chunk_from_row(rows[0])[1]
        return chunk

    def iter_chunks(self) -> Iterator[tuple[int, Chunk]]:
        last = 0
        while True:  # keyset pagination: each page is one query in the view's snapshot
            rows = self._rows(f"SELECT {ROW_COLUMNS} FROM rag.chunks c WHERE c.key > %s ORDER BY c.key LIMIT 2000",
                              [last])
            if not rows:
                return
            for row in rows:
                yield self._chunk_from_row(row)
            last = rows[-1][0]

    def document(self, source: str) -> Document:
        info = self.by_source[source]
        doc = self.store.cache.document(info.doc_key)
        if doc is None:
            rows = self._rows("SELECT text, pages FROM rag.documents WHERE doc_key = %s", [info.doc_key])
            if not rows:
                raise KeyError(source)
            text, pages = rows[0]
            doc = Document(source, text, info.sha256, tuple(tuple(p) for p in (pages or ())))
            self.store.cache.put_document(info.doc_key, doc)
        return doc

    def documents(self) -> Mapping[str, Document]:
        return DocumentsMapping(self)

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self._n_chunks or k <= 0:
            return []
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        expr = dense_expression(self.dim)
        rows = []
        if k <= self.store.ef_search:  # HNSW returns at most ef_search rows
            rows = self._rows(
                f"SELECT {CHUNK_COLUMNS}, -({expr} <#> %(q)s) FROM rag.chunks c "
                f"WHERE vector_dims(embedding) = %(dim)s ORDER BY {expr} <#> %(q)s LIMIT %(k)s",
                {"q": q, "dim": self.dim, "k": int(k)})
        if len(rows) < min(k, self._n_chunks):
            # Deleted rows not yet vacuumed still occupy HNSW slots and are filtered out after the graph search,
            # so a search right after a large rewrite can come back short: answer it exactly instead.
            rows = self._rows(f"SELECT {CHUNK_COLUMNS}, -(embedding <#> %(q)s) AS s FROM rag.chunks c "
                              "ORDER BY s DESC, c.key LIMIT %(k)s", {"q": q, "k": int(k)})
        return [(self._chunk_from_row(row[:-1])[0], float(row[-1])) for row in rows]

    def keyword_search(self, query: str, k: int) -> list[tuple[int, float]]:
        terms, mult = query_terms(query)
        if not terms or not self._n_chunks:
            return []
        if all(self._df.get(t) == 0 for t in terms):
            return []
        # One round trip: the hits with their rows and vectors, and the query terms' document frequencies (for
        # the answerer's term weights) repeated on each row.
        params = search_params(terms, mult, self._n_chunks, self.total_terms, k)
        rows = self._rows(f"WITH hits AS ({SEARCH_SQL}), f AS (SELECT coalesce(array_agg(t.term), '{{}}') AS terms, "
                          "coalesce(array_agg(t.df), '{}') AS dfs FROM rag.terms t WHERE t.term = ANY(%(terms)s)) "
                          f"SELECT {CHUNK_COLUMNS}, h.score, f.terms, f.dfs FROM hits h CROSS JOIN f "
                          "JOIN rag.chunks c ON c.key = h.chunk_key ORDER BY h.score DESC, h.chunk_key", params)
        known = dict(zip(rows[0][-2], rows[0][-1])) if rows else {}  # no rows: no chunk holds any query term
        self._store_df({t: known.get(t, 0) for t in terms})
        return [(self._chunk_from_row(row[:-3])[0], float(row[-3])) for row in rows if row[-3] > 0]

    def chunk_vectors(self, keys: Sequence[int]) -> np.ndarray:
        """Mostly from the cache: the searches bring their hits' vectors along."""
        keys = [int(k) for k in keys]
        cache = self.store.cache
        found = {k: v for k in keys if (v := cache.vector(("chunk", k))) is not None}
        missing = [k for k in keys if k not in found]
        if missing:
            for key, vector in self._rows("SELECT key, embedding FROM rag.chunks WHERE key = ANY(%s)", [missing]):
                found[key] = vector.to_numpy()
                cache.put_vector(("chunk", key), found[key])
        if len(found) < len(set(keys)):
            raise KeyError(f"chunks {[k for k in keys if k not in found][:5]} are not in this view")
        return np.vstack([found[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, self.dim), np.float32)

    def unit_vectors(self, source: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Mostly from the cache: ``best_unit_scores`` brought the candidate chunks' unit vectors along."""
        info = self.by_source.get(source)
        if info is None:
            raise KeyError(f"{source} is not in this view")
        cache = self.store.cache
        wanted = [(int(a), int(b)) for a, b in spans]
        found = {s: v for s in wanted if (v := cache.vector(("unit", info.doc_key, *s))) is not None}
        missing = [s for s in wanted if s not in found]
        if missing:
            rows = self._rows("SELECT u.span_start, u.span_end, u.embedding FROM rag.units u "
                              "JOIN unnest(%s::int[], %s::int[]) AS s(a, b) ON u.span_start = s.a "
                              "AND u.span_end = s.b WHERE u.doc_key = %s",
                              [[a for a, _ in missing], [b for _, b in missing], info.doc_key])
            for a, b, vector in rows:
                found[(a, b)] = vector.to_numpy()
                cache.put_vector(("unit", info.doc_key, a, b), found[(a, b)])
        out = np.zeros((len(wanted), self.dim), np.float32)
        for i, span in enumerate(wanted):
            if span not in found:
                raise KeyError(f"{source}: an answer unit has no stored vector")
            out[i] = found[span]
        return out

    def best_unit_scores(self, keys: Sequence[int], query_vector: np.ndarray) -> np.ndarray:
        """One query brings every answer unit of the chunks (cached: the answerer reads them next)."""
        keys = [int(k) for k in keys]
        out = np.zeros(len(keys), np.float32)
        if not keys:
            return out
        rows = self._rows("SELECT c.key, u.doc_key, u.span_start, u.span_end, u.embedding FROM rag.chunks c "
                          "JOIN rag.units u ON u.doc_key = c.doc_key AND u.span_start BETWEEN c.unit_lo AND c.unit_hi "
                          "WHERE c.key = ANY(%s)", [keys])
        if not rows:
            return out
        vectors = np.vstack([row[4].to_numpy() for row in rows]).astype(np.float32)
        scores = vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        best: dict[int, float] = {}
        cache = self.store.cache
        for (key, doc_key, start, end, _), vector, score in zip(rows, vectors, scores):
            best[key] = max(best.get(key, -np.inf), float(score))
            cache.put_vector(("unit", doc_key, start, end), vector)
        for i, key in enumerate(keys):
            out[i] = best.get(key, 0.0)
        return out

    def _fill_df(self, terms: Sequence[str]) -> None:
        missing = [t for t in terms if t not in self._df]
        if missing:
            found = dict(self._rows("SELECT term, df FROM rag.terms WHERE term = ANY(%s)", [missing]))
            self._store_df({t: found.get(t, 0) for t in missing})

    def _store_df(self, dfs: dict) -> None:
        with self._df_lock:
            for term, df in dfs.items():
                self._df[term] = int(df)

    def term_stats(self) -> PostgresTermStats:
        return PostgresTermStats(self)

    def stats(self) -> dict:
        return {"backend": "postgres", "location": self.store.location, "version": self.version,
                "n_documents": self.n_documents, "n_chunks": self._n_chunks, "n_units": self.n_units,
                "dense_index": self.store.dense_index_info(self.dim)}


class PostgresTermStats:
    """Document frequencies from ``rag.terms``, read once per term per view."""

    def __init__(self, view: PostgresView):
        self.view = view
        self.n_chunks = view.n_chunks

    def document_frequency(self, term: str) -> int:
        self.view._fill_df([term])
        return self.view._df[term]


class DocumentsMapping(Mapping):
    """Every document of a view, by source; texts are read (and cached) when asked for."""

    def __init__(self, view: PostgresView):
        self.view = view

    def __getitem__(self, source: str) -> Document:
        return self.view.document(source)

    def __iter__(self):
        return iter(self.view.by_source)

    def __len__(self) -> int:
        return len(self.view.by_source)

    def __contains__(self, source) -> bool:
        return source in self.view.by_source


def _repeatable_read():
    from psycopg import IsolationLevel

    return IsolationLevel.REPEATABLE_READ


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a connection that already failed must not raise
        pass
