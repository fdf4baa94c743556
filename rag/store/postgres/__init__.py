"""The PostgreSQL + pgvector store (``RAG_STORE_URL=postgresql://...``): many processes, one shared store.

Several `rag serve` replicas, `rag index` runs and evaluations can use one database at once: writers take a
session advisory lock and commit each write as one transaction (writer.py); readers take REPEATABLE READ views
(view.py) and notice other processes' writes by one cheap query per ``view()`` call (``rag.state.version``).
Dense search is an HNSW index (inner product on unit vectors, which is the cosine, like the FAISS store) and
keyword search is BM25 from term-statistics tables (keyword.py). The layout is in schema.py.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from rag.errors import IndexMissingError, StoreUnavailableError
from rag.store.base import CheckReport, RepairReport
from rag.store.postgres.cache import RowCache
from rag.store.postgres.connection import check_url, connect, display_url, register_vector_types, where
from rag.store.postgres.schema import check_readable, ensure_schema, hnsw_options, installed_version

MANIFEST_SQL = """
SELECT s.manifest, s.version, s.dim, s.n_documents, s.n_chunks,
       (SELECT coalesce(jsonb_object_agg(d.source, jsonb_build_object('sha256', d.sha256, 'chunks', d.n_chunks,
                                                                     'chars', d.n_chars)), '{}')
        FROM rag.documents d)
FROM rag.state s
"""


# Writes committed by this process, per store URL: a reader in the same process sees them at once.
_LOCAL_WRITES: Counter[str] = Counter()
_LOCAL_WRITES_LOCK = threading.Lock()


def note_local_write(url: str) -> None:
    with _LOCAL_WRITES_LOCK:
        _LOCAL_WRITES[url] += 1


class PostgresStore:
    """``Store`` over the database at ``url``; ``settings`` carries the pg_hnsw_* settings.

    ``view()`` asks the database for the committed version at most once per FRESH_S per thread: answering one
    question calls ``view()`` five times (retriever, answerer), and on a loaded machine every round trip to
    the server risks a scheduler delay of milliseconds. So a write by another process is seen by questions
    that start more than FRESH_S after its commit; a write by this process, at once."""

    FRESH_S = 0.05
    shared = True  # other machines write here too: a source file missing on this one is not a deleted document
    view_class = None  # PostgresView unless a subclass says otherwise (bench/pg_keyword.py)

    def __init__(self, url: str, settings=None):
        check_url(url)
        self.url = url
        self.location = display_url(url)
        self.hnsw_m = getattr(settings, "pg_hnsw_m", 16)
        self.hnsw_ef_construction = getattr(settings, "pg_hnsw_ef_construction", 64)
        self.ef_search = getattr(settings, "pg_hnsw_ef_search", 200)
        self.cache = RowCache()
        self._control = None
        self._control_lock = threading.Lock()
        self._view = None
        self._view_lock = threading.Lock()
        self._dense_info: dict[int, dict] = {}
        self._checked = threading.local()

    def close(self) -> None:
        """End this process's current view (its snapshot) and control connection; both reopen when needed."""
        with self._view_lock:
            if self._view is not None:
                self._view.close()
                self._view = None
        with self._control_lock:
            if self._control is not None:
                self._control.close()
                self._control = None

    def connect(self, purpose: str = "rag"):
        """A new autocommit connection with pgvector's types (StoreUnavailableError when impossible)."""
        conn = connect(self.url, purpose=purpose)
        try:
            if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
                register_vector_types(conn, self.url)
        except BaseException:
            conn.close()
            raise
        return conn

    def schema_version(self, conn) -> int | None:
        return check_readable(conn, self.url)

    def _on_control(self, work):
        """Run ``work(conn)`` on the process's control connection, reconnecting once if it was lost."""
        import psycopg

        with self._control_lock:
            for attempt in (1, 2):
                if self._control is None or self._control.closed:
                    self._control = self.connect("rag")
                try:
                    return work(self._control)
                except psycopg.OperationalError as err:
                    self._control.close()
                    self._control = None
                    if attempt == 2:
                        raise StoreUnavailableError(f"Lost the connection to the store at {where(self.url)} "
                                                    f"({str(err).strip().splitlines()[0]}); retry once the server "
                                                    "is back.") from None

    def _committed_version(self) -> int | None:
        checked, writes, now = self._checked, _LOCAL_WRITES[self.url], time.monotonic()
        if getattr(checked, "writes", None) == writes and now - checked.at < self.FRESH_S:
            return checked.version
        checked.version, checked.at, checked.writes = self._query_version(), now, writes
        return checked.version

    def _query_version(self) -> int | None:
        import psycopg

        def version(conn):
            try:
                row = conn.execute("SELECT version FROM rag.state").fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
            if row is None:
                self.schema_version(conn)  # a layout newer than this code is an error, not an empty store
            return row[0] if row else None

        return self._on_control(version)

    def view(self):
        """The latest committed state: the cached view while ``rag.state.version`` is unchanged, else a new one."""
        from rag.store.postgres.view import PostgresView

        version = self._committed_version()
        if version is None:
            raise IndexMissingError(f"The store at {where(self.url)} is empty; build it with "
                                    "`rag index [PATH ...]` (with the same RAG_STORE_URL or --store-url).")
        view = self._view
        if view is not None and view.version >= version and not view.broken:
            return view
        with self._view_lock:
            view = self._view
            if view is None or view.version < version or view.broken:
                view = self._view = (self.view_class or PostgresView).open(self)
        return view

    def read_manifest(self, conn) -> dict | None:
        if self.schema_version(conn) is None:
            return None
        row = conn.execute(MANIFEST_SQL).fetchone()
        if row is None:
            return None
        config, version, dim, n_docs, n_chunks, documents = row
        return dict(config, store="postgres", version=version, n_documents=n_docs, n_chunks=n_chunks,
                    dense_index=self.dense_index_info(dim, conn), documents=documents)

    def manifest(self) -> dict | None:
        return self._on_control(self.read_manifest)

    def dense_index_info(self, dim: int, conn=None) -> dict:
        info = self._dense_info.get(dim)
        if info is None:
            options = (hnsw_options(conn, dim) if conn is not None
                       else self._on_control(lambda c: hnsw_options(c, dim))) or {}
            info = {"type": "hnsw", "backend": "pgvector", "m": options.get("m", 16),
                    "ef_construction": options.get("ef_construction", 64), "ef_search": self.ef_search}
            if options:
                self._dense_info[dim] = info
        return info

    @contextmanager
    def writer(self, lock_timeout: float = 0.0) -> Iterator:
        from rag.store.postgres.writer import PostgresWriter, writer_lock

        conn = connect(self.url, purpose="rag writer")
        try:
            with writer_lock(conn, self.url, lock_timeout):
                ensure_schema(conn, self.url)
                register_vector_types(conn, self.url)
                yield PostgresWriter(self, conn)
        finally:
            conn.close()

    def check(self) -> CheckReport:
        from rag.store.postgres.check import check_store

        return check_store(self)

    def repair(self, rebuild, lock_timeout: float = 0.0) -> RepairReport:
        """A transactional store cannot be left half-written; if the check still finds damage (rows edited by
        hand), re-index the listed source files that still exist."""
        from pathlib import Path

        repair = RepairReport()
        report = self.check()
        if report.ok or report.missing:
            repair.check = report
            return repair
        repair.actions += [f"found: {p}" for p in report.problems]
        sources = list((self.manifest() or {}).get("documents", {}))
        existing = [s for s in sources if Path(s).is_file()]
        repair.lost = [s for s in sources if not Path(s).is_file()]
        if existing:
            repair.actions.append(rebuild(existing))
        repair.check = self.check()
        return repair


__all__ = ["PostgresStore", "installed_version"]
