"""`rag index --check` for the PostgreSQL store: the committed state is internally consistent.

Everything is read in one REPEATABLE READ transaction, so a write committing meanwhile cannot make a sound store
look damaged: the counts in rag.state agree with the tables, every chunk is ``doc.text[start:end]`` of its
document with the right chunk id, every chunk vector is present, of the store's dimension and unit length,
every answer unit a chunk names has a vector, no unit or posting is orphaned, and the BM25 statistics agree
with the postings.
"""

from __future__ import annotations

from rag.store.base import CheckReport
from rag.store.integrity import MAX_LISTED
from rag.types import chunk_id

COUNTS_SQL = """
SELECT (SELECT count(*) FROM rag.documents), (SELECT count(*) FROM rag.chunks), (SELECT count(*) FROM rag.units),
       (SELECT coalesce(sum(n_terms), 0) FROM rag.chunks)
"""
VECTORS_SQL = """
SELECT count(*) FROM rag.chunks WHERE vector_dims(embedding) <> %(dim)s
   OR NOT (abs(vector_norm(embedding) - 1) <= 1e-3 OR vector_norm(embedding) < 1e-6)
"""
UNIT_VECTORS_SQL = """
SELECT count(*) FROM rag.units WHERE vector_dims(embedding) <> %(dim)s
   OR NOT (abs(vector_norm(embedding) - 1) <= 1e-2 OR vector_norm(embedding) < 1e-6)
"""
ORPHANS_SQL = """
SELECT (SELECT count(*) FROM rag.units u WHERE NOT EXISTS (SELECT 1 FROM rag.documents d WHERE d.doc_key = u.doc_key)),
       (SELECT count(*) FROM rag.postings p WHERE NOT EXISTS (SELECT 1 FROM rag.chunks c WHERE c.key = p.chunk_key))
"""
POSTINGS_SQL = """
SELECT count(*) FROM rag.chunks c LEFT JOIN (SELECT chunk_key, sum(tf) AS s FROM rag.postings GROUP BY chunk_key) p
    ON p.chunk_key = c.key WHERE p.s IS DISTINCT FROM c.n_terms
"""
TERMS_SQL = """
SELECT count(*) FROM (SELECT term, count(*) AS n FROM rag.postings GROUP BY term) p
    FULL JOIN rag.terms t USING (term) WHERE p.n IS DISTINCT FROM t.df
"""


def check_store(store) -> CheckReport:
    report = CheckReport(store.location)
    conn = store.connect("rag check")
    try:
        if store.schema_version(conn) is None or not conn.execute("SELECT 1 FROM rag.state").fetchone():
            report.problems.append(f"there is no index in the store at {store.location}; build one with "
                                   "`rag index PATH`")
            report.missing = True
            return report
        conn.autocommit = False
        conn.isolation_level = _repeatable_read()
        conn.read_only = True
        _check(conn, report)
    finally:
        conn.close()
    return report


def _check(conn, report: CheckReport) -> None:
    version, dim, n_docs, n_chunks, n_units, total = conn.execute(
        "SELECT version, dim, n_documents, n_chunks, n_units, total_terms FROM rag.state").fetchone()
    report.snapshot = f"version {version}"
    report.n_documents, report.n_chunks = n_docs, n_chunks
    problems = report.problems
    counts = conn.execute(COUNTS_SQL).fetchone()
    if tuple(counts) != (n_docs, n_chunks, n_units, total):
        problems.append(f"counts disagree: rag.state says {n_docs} documents, {n_chunks} chunks, {n_units} units, "
                        f"{total} terms; the tables hold {counts[0]}, {counts[1]}, {counts[2]}, {counts[3]}")
    bad = conn.execute(VECTORS_SQL, {"dim": dim}).fetchone()[0]
    if bad:
        problems.append(f"{bad} chunk vectors are not unit length or not {dim}-dimensional (damaged numbers)")
    bad = conn.execute(UNIT_VECTORS_SQL, {"dim": dim}).fetchone()[0]
    if bad:
        problems.append(f"{bad} answer-unit vectors are not unit length or not {dim}-dimensional")
    orphan_units, orphan_postings = conn.execute(ORPHANS_SQL).fetchone()
    if orphan_units or orphan_postings:
        problems.append(f"{orphan_units} answer units and {orphan_postings} keyword postings belong to no chunk")
    bad = conn.execute(POSTINGS_SQL).fetchone()[0]
    if bad:
        problems.append(f"{bad} chunks have keyword postings that do not add up to their length")
    bad = conn.execute(TERMS_SQL).fetchone()[0]
    if bad:
        problems.append(f"{bad} terms have a document frequency that disagrees with the postings")
    problems += _check_documents(conn)


def _check_documents(conn) -> list[str]:
    """Per document: its chunks are its text's spans with the right ids, its count is right, and every answer
    unit its chunks name has a vector."""
    bad: list[str] = []
    docs = conn.execute("SELECT doc_key, source, sha256, n_chars, n_chunks FROM rag.documents ORDER BY doc_key")
    for doc_key, source, sha256, n_chars, n_listed in docs.fetchall():
        text = conn.execute("SELECT text FROM rag.documents WHERE doc_key = %s", [doc_key]).fetchone()[0]
        units = {(a, b) for a, b in conn.execute(
            "SELECT span_start, span_end FROM rag.units WHERE doc_key = %s", [doc_key]).fetchall()}
        chunks = conn.execute("SELECT key, chunk_id, span_start, span_end, text, metadata FROM rag.chunks "
                              "WHERE doc_key = %s ORDER BY key", [doc_key]).fetchall()
        if len(text) != n_chars:
            bad.append(f"{source} has {len(text)} characters but the store lists {n_chars}")
        if len(chunks) != n_listed:
            bad.append(f"{source} has {len(chunks)} chunks but the store lists {n_listed}")
        for key, cid, start, end, chunk_text, metadata in chunks:
            where = f"chunk {key} ({cid}) of {source}"
            spans = [tuple(s) for s in (metadata or {}).get("sentences", [])] or [(start, end)]
            if text[start:end] != chunk_text:
                bad.append(f"{where} text differs from the document's [{start}:{end}]")
            elif cid != chunk_id(sha256, start, end):
                bad.append(f"{where} does not belong to the stored version of the document")
            elif any(span not in units for span in spans):
                bad.append(f"{where} has an answer unit with no stored vector")
        if len(bad) > MAX_LISTED:
            return bad[:MAX_LISTED] + ["... and more like these"]
    return bad


def _repeatable_read():
    from psycopg import IsolationLevel

    return IsolationLevel.REPEATABLE_READ
