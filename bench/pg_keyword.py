"""Why the PostgreSQL store ranks keywords with BM25 from term tables and not with PostgreSQL full-text search:
both, on the same store, on a gold set, with the same fusion and answerer.

    python -m bench.pg_keyword GOLD --store-url URL [--rank ts_rank_cd|ts_rank]

URL must hold the gold set's corpus, indexed by `rag eval GOLD --store-url URL` (which also prints the BM25
figures). This adds a side table ``bench_fts(chunk_key, tsv)`` with a GIN index (the tsvector of each chunk's
content terms, rag.text.content_terms, with their positions, so stemming and stop words match BM25's) and runs
the evaluation again with keyword search = ``tsv @@ (t1 | t2 | ...)`` ranked by ts_rank_cd (or ts_rank).
The side table is dropped afterwards. One JSON object: recall@k of both runs, and the time of each keyword query.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from rag.store.postgres import PostgresStore
from rag.store.postgres.view import CHUNK_COLUMNS, PostgresView
from rag.text import content_terms


def _quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(text: str) -> str:
    positions: dict[str, list[int]] = defaultdict(list)
    for i, term in enumerate(content_terms(text), start=1):
        positions[term].append(min(i, 16383))
    return " ".join(f"{_quote(t)}:{','.join(map(str, p[:256]))}" for t, p in positions.items())


class FullTextView(PostgresView):
    rank = "ts_rank_cd"
    timings: list[float] = []

    def keyword_search(self, query: str, k: int) -> list[tuple[int, float]]:
        terms = list(dict.fromkeys(content_terms(query)))
        if not terms:
            return []
        started = time.perf_counter()
        rows = self._rows(f"SELECT {CHUNK_COLUMNS}, {self.rank}(f.tsv, q) AS r FROM bench_fts f "
                          "JOIN rag.chunks c ON c.key = f.chunk_key, to_tsquery('simple', %s) q "
                          "WHERE f.tsv @@ q ORDER BY r DESC, c.key LIMIT %s", [" | ".join(map(_quote, terms)), k])
        FullTextView.timings.append((time.perf_counter() - started) * 1000)
        return [(self._chunk_from_row(row[:-1])[0], float(row[-1])) for row in rows if row[-1] > 0]


class FullTextStore(PostgresStore):
    view_class = FullTextView


def build_side_table(store: PostgresStore) -> int:
    conn = store.connect("rag bench")
    try:
        conn.execute("DROP TABLE IF EXISTS bench_fts")
        conn.execute("CREATE TABLE bench_fts (chunk_key bigint PRIMARY KEY, tsv tsvector NOT NULL)")
        rows = conn.execute("SELECT key, text FROM rag.chunks").fetchall()
        with conn.cursor().copy("COPY bench_fts (chunk_key, tsv) FROM STDIN") as copy:
            for key, text in rows:
                copy.write_row((key, tsvector_literal(text)))
        conn.execute("CREATE INDEX bench_fts_gin ON bench_fts USING gin (tsv)")
        conn.execute("ANALYZE bench_fts")
        return len(rows)
    finally:
        conn.close()


def evaluate(gold: Path, store: PostgresStore, settings) -> dict:
    from eval.runner import run_eval
    from eval.session import read_datasets, select
    from rag.services import build_services

    datasets = read_datasets([gold], Path.home() / ".cache" / "rag-eval")
    items = select([i for d in datasets for i in d.items])
    run = run_eval(items, build_services(settings, store=store), progress=False)
    return run.summary["retrieval"]


def main(argv: list[str] | None = None) -> None:
    from rag.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--store-url", required=True)
    parser.add_argument("--rank", choices=["ts_rank_cd", "ts_rank"], default="ts_rank_cd")
    args = parser.parse_args(argv)
    settings = load_settings(store_url=args.store_url)
    FullTextView.rank = args.rank
    plain, full_text = PostgresStore(args.store_url, settings), FullTextStore(args.store_url, settings)
    bm25 = evaluate(args.gold, plain, settings)
    plain.close()
    n = build_side_table(plain)
    try:
        fts = evaluate(args.gold, full_text, settings)
    finally:
        full_text.close()  # its snapshot holds a lock on the side table that DROP waits for
        conn = plain.connect("rag bench")
        conn.execute("DROP TABLE IF EXISTS bench_fts")
        conn.close()
    times = sorted(FullTextView.timings)
    print(json.dumps({"gold": str(args.gold), "chunks": n, "bm25_tables": bm25, f"full_text_{args.rank}": fts,
                      "full_text_query_ms": {"p50": round(times[len(times) // 2], 2),
                                             "p95": round(times[int(len(times) * 0.95)], 2)}}, indent=2))


if __name__ == "__main__":
    main()
