"""One scale point of `rag bench`, run in its own process so peak RSS is that workload's: build the index of
the synthetic corpus through `rag index`'s code path, serve it through `rag ask`'s, time queries.

The index embeds sentences (rag.store.sentence_table); their vectors come from a disk cache keyed by the sentence's
text (bench cache dir), so each distinct sentence is embedded once across runs and sizes. The synthetic corpus
recombines a few thousand real sentences, so the 100k build embeds almost nothing live: every vector is the
real model's, and *index s* is the cost of everything but the embedding (the ingest figure of `rag bench`
times real embedding). Query vectors are always computed live. `python -m bench.scale SIZE ...` prints one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from pathlib import Path

import numpy as np

from bench.cache import CachedEmbedder, consolidate


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms, dtype=float)
    return {"p50": round(float(np.percentile(arr, 50)), 2), "p95": round(float(np.percentile(arr, 95)), 2),
            "n": int(arr.size)}


def time_steps(steps: dict, questions: list[str]) -> dict[str, dict[str, float]]:
    """Wall and CPU percentiles of each step over the questions, the steps interleaved per question so that
    a busy machine slows them alike: ``{name}_ms`` and ``{name}_cpu_ms``."""
    wall: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    for q in questions:
        for name, step in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            step(q)
            wall[name].append((time.perf_counter() - t0) * 1000)
            cpu[name].append((time.process_time() - c0) * 1000)
    out = {f"{name}_ms": percentiles(wall[name]) for name in steps}
    out.update({f"{name}_cpu_ms": percentiles(cpu[name]) for name in steps})
    return out


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def ann_recall(view, queries: np.ndarray, k: int = 10) -> dict:
    """recall@k of the store's dense search (HNSW from RAG_FAISS_HNSW_THRESHOLD chunks, exact below; always HNSW
    on PostgreSQL) against exact search by numpy over the same stored vectors, with the time of each."""
    keys = np.asarray([key for key, _ in view.iter_chunks()], np.int64)  # positions for FAISS, row keys for PG
    vectors = np.ascontiguousarray(view.chunk_vectors(keys.tolist()), np.float32)
    times_exact, times_store, hits = [], [], 0
    for query in queries:
        t0 = time.perf_counter()
        scores = vectors @ query
        top = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
        truth = set(keys[top].tolist())
        t1 = time.perf_counter()
        got = {key for key, _ in view.dense_search(query, k)}
        t2 = time.perf_counter()
        times_exact.append((t1 - t0) * 1000)
        times_store.append((t2 - t1) * 1000)
        hits += len(got & truth)
    return {"recall@10": round(hits / (min(k, len(vectors)) * len(queries)), 4),
            "dense_index": view.stats().get("dense_index"), "exact_ms": percentiles(times_exact),
            "store_ms": percentiles(times_store)}


def vector_cache(settings, cache_dir: Path):
    from rag.embedding import make_embedder

    inner = make_embedder(settings)
    return inner, cache_dir / "vectors" / re.sub(r"[^\w.+-]", "_", inner.model_id) / "sentences"


def prepare_point(size: int, settings, datasets_dir: Path, cache_dir: Path) -> dict:
    """Before a measured run (in its own process): build the synthetic corpus and put every sentence the index
    will embed into the vector cache, so the measured process neither embeds nor holds new vectors."""
    from bench.corpus import synthetic_corpus
    from rag.ingest.chunking import chunk_document, make_splitter
    from rag.ingest.loaders import iter_files, load
    from rag.store.sentence_table import document_spans

    corpus = synthetic_corpus(datasets_dir, cache_dir, size, settings.chunk_size, settings.chunk_overlap)
    inner, folder = vector_cache(settings, cache_dir)
    consolidate(folder, inner.dim)
    embedder = CachedEmbedder(inner, folder)
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    pending: list[str] = []
    for path in iter_files([corpus.folder]):
        if isinstance(path, Path):
            doc = load(path)
            spans = document_spans(chunk_document(doc, settings.chunk_size, settings.chunk_overlap, splitter))
            pending.extend(doc.text[a:b] for a, b in spans)
        if len(pending) >= 4096:
            embedder.embed_array(pending)
            pending = []
    embedder.embed_array(pending)
    stored = consolidate(folder, inner.dim)
    return {"sentences_looked_up": embedder.hits + embedder.misses, "embedded": embedder.misses, "cached": stored}


def run_point(size: int, settings, datasets_dir: Path, cache_dir: Path, questions: list[str],
              store_url: str | None = None, questions_file: Path | None = None) -> dict:
    """With ``store_url`` the point runs on PostgreSQL, in a scratch database created on that server."""
    if store_url:
        from bench.pg import scratch_database

        with scratch_database(store_url, f"rag_bench_{size}") as url:
            from pydantic import SecretStr

            out = _run_point(size, settings.model_copy(update={"store_url": SecretStr(url)}), datasets_dir,
                             cache_dir, questions, questions_file)
        out["store"] = "postgres"
        return out
    settings = settings.model_copy(update={"store_url": None})  # never the RAG_STORE_URL of the environment
    return dict(_run_point(size, settings, datasets_dir, cache_dir, questions, questions_file), store="faiss")


def _run_point(size: int, settings, datasets_dir: Path, cache_dir: Path, questions: list[str],
               questions_file: Path | None) -> dict:
    from bench.corpus import synthetic_corpus
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    out: dict = {"chunks_requested": size}
    started = time.perf_counter()
    corpus = synthetic_corpus(datasets_dir, cache_dir, size, settings.chunk_size, settings.chunk_overlap)
    out["corpus_s"] = round(time.perf_counter() - started, 2)
    inner, folder = vector_cache(settings, cache_dir)
    embedder = CachedEmbedder(inner, folder)
    out["vectors"] = "real (sentence vectors cached by text across runs)"

    index_dir = cache_dir / "indexes" / f"scale-{size}-{uuid.uuid4().hex[:6]}"
    run_settings = settings.model_copy(update={"index_dir": index_dir})
    started, cpu = time.perf_counter(), time.process_time()
    report = index_paths([corpus.folder], run_settings, embedder=embedder, rebuild=True)
    out["index_s"] = round(time.perf_counter() - started, 2)
    out["index_cpu_s"] = round(time.process_time() - cpu, 2)
    out["chunks"] = report.n_chunks
    out["embedded_live"] = embedder.misses
    out["sentences"] = embedder.hits + embedder.misses
    out["rss_after_index_mb"] = round(peak_rss_mb(), 1)

    services = build_services(run_settings, inner)
    snapshot = services.view()
    out["dense_index"] = snapshot.stats().get("dense_index")
    out["index_mb"] = round(store_size_mb(services.store, run_settings.index_dir), 1)
    assistant = services.assistant
    for q in questions[:3]:  # warm: model loaded, caches filled
        assistant.ask(q)
    out.update(time_steps({"retrieve": assistant.retrieve, "ask": assistant.ask}, questions))
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    query_vectors = inner.embed_array(questions)
    out["ann"] = ann_recall(snapshot, query_vectors)
    if questions_file is not None:
        out["serve"] = serve_process(size, run_settings, questions_file)
    import shutil

    shutil.rmtree(index_dir, ignore_errors=True)
    return out


def store_size_mb(store, index_dir: Path) -> float:
    """The index folder's size, or the PostgreSQL database's (tables and indexes)."""
    if getattr(store, "url", None):
        from bench.pg import database_size_mb

        return database_size_mb(store.url)
    return dir_size_mb(index_dir)


def serve_process(size: int, settings, questions_file: Path) -> dict:
    """Peak RSS and query times of a fresh process that only serves the built store (as `rag serve` does): the
    memory a chat replica needs, without the build's."""
    import os
    import subprocess

    cmd = [sys.executable, "-m", "bench.scale", str(size), "--serve", "--questions", str(questions_file),
           "--index-dir", str(settings.index_dir)]
    env = {k: v for k, v in os.environ.items() if k != "RAG_STORE_URL"}
    if settings.store_url:
        env["RAG_STORE_URL"] = settings.store_url.get_secret_value()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON "):])
    return {"error": (done.stderr or done.stdout).strip()[-500:]}


def serve_only(settings, questions: list[str]) -> dict:
    from rag.embedding import make_embedder
    from rag.services import build_services

    services = build_services(settings, make_embedder(settings))
    assistant = services.assistant
    for q in questions[:3]:
        assistant.ask(q)
    out: dict[str, object] = dict(time_steps({"ask": assistant.ask}, questions))
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def main(argv: list[str] | None = None) -> None:
    from rag.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", type=int)
    parser.add_argument("--datasets", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--questions", type=Path, help="JSON list of query strings")
    parser.add_argument("--prepare", action="store_true", help="Only fill the vector cache for this size.")
    parser.add_argument("--store-url", help="Run the point on PostgreSQL: a scratch database on this server.")
    parser.add_argument("--serve", action="store_true", help="Only serve an existing store (RAG_STORE_URL or "
                        "--index-dir) and time the questions (run by the measured point itself).")
    parser.add_argument("--index-dir", type=Path)
    args = parser.parse_args(argv)
    if args.serve:
        settings = load_settings(index_dir=args.index_dir) if args.index_dir else load_settings()
        result = serve_only(settings, json.loads(args.questions.read_text(encoding="utf-8")))
    elif args.prepare:
        result = prepare_point(args.size, load_settings(), args.datasets, args.cache)
    else:
        questions = json.loads(args.questions.read_text(encoding="utf-8"))
        result = run_point(args.size, load_settings(), args.datasets, args.cache, questions, args.store_url,
                           args.questions)
    sys.stdout.write("BENCH-JSON " + json.dumps(result) + "\n")


if __name__ == "__main__":
    from rag.runtime import configure

    configure()
    main()
