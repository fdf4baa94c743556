"""The store's tables, in their own PostgreSQL schema ``rag``, created and upgraded by the tool (never by hand).

    rag.schema_version  one row: the layout version below; a newer one than this code knows is refused
    rag.state           one row: ``version`` (bumped by every committed write), the manifest (configuration),
                        the vector dimension and the counts a view needs without counting
    rag.documents       one row per document: source (unique), sha256, the loaded text all offsets refer to, pages
    rag.chunks          one row per chunk: bigserial key, document, offsets, page, text, metadata (sentence spans),
                        the chunk vector (HNSW index, inner product) and its number of content terms
    rag.units           one row per answer unit (sentence): document, offsets, vector
    rag.postings        (term, chunk) -> term frequency and chunk length, for BM25 (see keyword.py)
    rag.terms           term -> document frequency (in how many chunks it occurs)

Why no foreign keys from units and postings: a 100k-chunk corpus has ~550k units and ~5M postings, and a
per-row referential check made loading them several times slower; the writer deletes them explicitly in the
same transaction as their document, and `rag index --check` verifies that nothing is orphaned.

The HNSW index is a partial expression index per dimension (``embedding::vector(384)`` where the row has 384
dimensions): rebuilding with a model of another dimension then needs no ALTER TABLE, whose exclusive lock would
wait for every open reader (each reader holds a snapshot; see view.py).
"""

from __future__ import annotations

from rag.errors import IndexMismatchError, StoreUnavailableError
from rag.store.postgres.connection import where

SCHEMA_VERSION = 1
NAMESPACE = "rag"

CREATE = [
    "CREATE SCHEMA IF NOT EXISTS rag",
    "CREATE TABLE rag.schema_version (version integer NOT NULL)",
    """CREATE TABLE rag.state (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        version bigint NOT NULL,
        manifest jsonb NOT NULL,
        dim integer NOT NULL,
        n_documents integer NOT NULL,
        n_chunks integer NOT NULL,
        n_units bigint NOT NULL,
        total_terms bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE TABLE rag.documents (
        doc_key bigserial PRIMARY KEY,
        source text NOT NULL UNIQUE,
        sha256 text NOT NULL,
        text text NOT NULL,
        pages jsonb NOT NULL DEFAULT '[]',
        n_chars integer NOT NULL,
        n_chunks integer NOT NULL,
        meta jsonb NOT NULL DEFAULT '{}')""",
    """CREATE TABLE rag.chunks (
        key bigserial PRIMARY KEY,
        doc_key bigint NOT NULL REFERENCES rag.documents ON DELETE CASCADE,
        chunk_id text NOT NULL,
        span_start integer NOT NULL,
        span_end integer NOT NULL,
        page integer,
        text text NOT NULL,
        metadata jsonb NOT NULL,
        unit_lo integer NOT NULL,
        unit_hi integer NOT NULL,
        n_terms integer NOT NULL,
        embedding vector NOT NULL)""",
    "CREATE INDEX chunks_doc_key ON rag.chunks (doc_key)",
    """CREATE TABLE rag.units (
        doc_key bigint NOT NULL,
        span_start integer NOT NULL,
        span_end integer NOT NULL,
        embedding vector NOT NULL,
        PRIMARY KEY (doc_key, span_start, span_end))""",
    """CREATE TABLE rag.postings (
        term text NOT NULL,
        chunk_key bigint NOT NULL,
        tf integer NOT NULL,
        dl integer NOT NULL,
        PRIMARY KEY (term, chunk_key) INCLUDE (tf, dl))""",
    "CREATE INDEX postings_chunk_key ON rag.postings (chunk_key)",
    "CREATE TABLE rag.terms (term text PRIMARY KEY, df integer NOT NULL)",
]

# Upgrades: MIGRATIONS[n] takes a store from layout n - 1 to n (run in order, in one transaction, by writers).
MIGRATIONS: dict[int, list[str]] = {}


def hnsw_index_name(dim: int) -> str:
    return f"chunks_embedding_hnsw_{int(dim)}"


def dense_expression(dim: int) -> str:
    return f"(embedding::vector({int(dim)}))"


def create_hnsw_index(conn, dim: int, m: int, ef_construction: int) -> None:
    """The HNSW index for vectors of ``dim`` dimensions, if missing. CREATE INDEX takes a SHARE lock, which
    readers (ACCESS SHARE) never wait for."""
    conn.execute(f"CREATE INDEX IF NOT EXISTS {hnsw_index_name(dim)} ON rag.chunks USING hnsw "
                 f"({dense_expression(dim)} vector_ip_ops) "
                 f"WITH (m = {int(m)}, ef_construction = {int(ef_construction)}) "
                 f"WHERE vector_dims(embedding) = {int(dim)}")


def has_hnsw_index(conn, dim: int) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [f"rag.{hnsw_index_name(dim)}"]).fetchone()[0]


def hnsw_options(conn, dim: int) -> dict:
    row = conn.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)",
                       [f"rag.{hnsw_index_name(dim)}"]).fetchone()
    options = dict(o.split("=", 1) for o in (row[0] or [])) if row else {}
    return {k: int(v) for k, v in options.items() if v.isdigit()}


def installed_version(conn) -> int | None:
    """The layout version in the database, None when the store was never created."""
    if conn.execute("SELECT to_regclass('rag.schema_version') IS NULL").fetchone()[0]:
        return None
    row = conn.execute("SELECT max(version) FROM rag.schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def check_readable(conn, url: str) -> int | None:
    """The installed version when this code can read it; IndexMismatchError naming RAG_STORE_URL otherwise."""
    version = installed_version(conn)
    if version is None:
        return None
    if version > SCHEMA_VERSION:
        raise IndexMismatchError(
            f"The store at {where(url)} has schema version {version}, newer than this rag understands "
            f"({SCHEMA_VERSION}); upgrade rag on this machine, or point RAG_STORE_URL at another database.")
    if version < SCHEMA_VERSION:
        raise IndexMismatchError(
            f"The store at {where(url)} has schema version {version}, older than this rag's {SCHEMA_VERSION}; run "
            "`rag index` once (it upgrades the store) and retry.")
    return version


def ensure_schema(conn, url: str) -> None:
    """Create or upgrade the tables, all in one transaction: on any failure (no pgvector and no right to create
    it, a newer layout) nothing is written. Called by writers, under the writer lock."""
    import psycopg

    version = installed_version(conn)
    if version is not None and version > SCHEMA_VERSION:
        check_readable(conn, url)
    if version == SCHEMA_VERSION:
        return
    try:
        with conn.transaction():
            _ensure_extension(conn, url)
            if version is None:
                for statement in CREATE:
                    conn.execute(statement)
            for target in range((version or SCHEMA_VERSION) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    conn.execute(statement)
            conn.execute("DELETE FROM rag.schema_version")
            conn.execute("INSERT INTO rag.schema_version (version) VALUES (%s)", [SCHEMA_VERSION])
    except psycopg.errors.InsufficientPrivilege as err:
        raise StoreUnavailableError(
            f"The user in {where(url)} may not create the store's tables ({str(err).splitlines()[0]}); grant it "
            "CREATE on the database, or let an administrator run `rag index` once.") from None


def _ensure_extension(conn, url: str) -> None:
    import psycopg

    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
        return
    try:
        with conn.transaction():  # a savepoint: the error message below is ours, the rollback is the driver's
            conn.execute("CREATE EXTENSION vector")
    except psycopg.Error as err:
        raise StoreUnavailableError(
            f"The database at {where(url)} has no pgvector extension and this user cannot create it "
            f"({str(err).splitlines()[0]}); run `CREATE EXTENSION vector;` in it as a superuser.") from None
