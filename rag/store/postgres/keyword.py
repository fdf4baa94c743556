"""Keyword search in PostgreSQL: BM25 computed from term-statistics tables, scored exactly as the FAISS store's
bm25s index scores (Lucene variant: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part tf / (tf + k1 (1 - b +
b dl / avgdl)), k1 = 1.5, b = 0.75), over the same content terms (rag.text.content_terms).

Why BM25 tables and not PostgreSQL full-text search (tsvector + GIN + ts_rank_cd): ts_rank_cd has no inverse
document frequency, so a common question word weighs as much as a rare name; measured on the gold sets, the
full-text ranking lost recall against BM25 (docs/SCALING.md has the figures and the command), while these tables
give the same ranking as the FAISS store by construction. The cost is storage: one row per (term, chunk).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rag.text import content_terms

K1 = 1.5
B = 0.75
EMPTY = "\u2205"  # the token bm25s is given for a chunk with no content term (rag.store.snapshot)


def chunk_terms(text: str) -> tuple[Counter, int]:
    """Term frequencies of a chunk and its length in terms (as the FAISS store indexes it)."""
    terms = content_terms(text) or [EMPTY]
    return Counter(terms), len(terms)


def query_terms(query: str) -> tuple[list[str], list[int]]:
    """Distinct content terms of a question and how often each occurs (bm25s sums a repeated term twice)."""
    counts = Counter(content_terms(query))
    return list(counts), list(counts.values())


# Every posting of every query term is scored: the idf once per term, the rest in float8 (with numeric
# arithmetic, which a bare 0.5 literal brings in, the same query was 10x slower at 100k chunks).
SEARCH_SQL = """
SELECT p.chunk_key, sum(q.w * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / %(avgdl)s))) AS score
FROM (SELECT q.term, q.mult * ln(1 + (%(n)s - t.df + 0.5::float8) / (t.df + 0.5::float8)) AS w
      FROM unnest(%(terms)s::text[], %(mult)s::float8[]) AS q(term, mult)
      JOIN rag.terms t ON t.term = q.term) AS q
JOIN rag.postings p ON p.term = q.term
GROUP BY p.chunk_key
ORDER BY score DESC, p.chunk_key
LIMIT %(k)s
"""


def search_params(terms: Sequence[str], mult: Sequence[int], n_chunks: int, total_terms: int, k: int) -> dict:
    return {"terms": list(terms), "mult": [float(m) for m in mult], "n": float(n_chunks), "k1": K1, "b": B,
            "avgdl": max(total_terms / max(n_chunks, 1), 1e-9), "k": int(k)}
