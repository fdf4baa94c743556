"""One scale point of `rag bench`, run in its own process so peak RSS is that workload's: build the index of
the synthetic corpus through `rag index`'s code path, serve it through `rag ask`'s, time queries.

Chunk vectors come from a disk cache (bench cache dir) so a size is embedded once across runs. Above
``embed_limit`` chunks the vectors are approximated (normalised mean of the real embeddings of the chunk's whole
sentences), because embedding 100k chunks with MiniLM on 2 shared cores takes hours; query and answer
vectors are always computed live by the real model. `python -m rag.bench_scale SIZE ...` prints one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import uuid
from pathlib import Path

import numpy as np

from rag.embedding import Embedder

_SENTENCE_CUT = re.compile(r"(?<=[.!?])\s+|\n\n")


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class CachedEmbedder(Embedder):
    """Wraps the real embedder; remembers vectors on disk by text hash. Misses are embedded (or approximated)."""

    def __init__(self, inner: Embedder, folder: Path, approx: dict[bytes, np.ndarray] | None = None):
        self.inner = inner
        self.model_id = inner.model_id
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.approx = approx
        self.hits = self.misses = 0
        self._known: dict[bytes, np.ndarray] = {}
        for part in sorted(self.folder.glob("part-*.npz")):
            data = np.load(part)
            self._known.update(zip((bytes(k) for k in data["keys"]), data["vectors"]))

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self.inner.dim

    def embed_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        keys = [_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._known]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = (self._approximate([texts[i] for i in missing]) if self.approx is not None
                     else self.inner.embed_array([texts[i] for i in missing]))
            new_keys = [keys[i] for i in missing]
            self._known.update(zip(new_keys, fresh))
            np.savez(self.folder / f"part-{uuid.uuid4().hex}.npz",
                     keys=np.frombuffer(b"".join(new_keys), dtype="S16"), vectors=fresh)
        return np.vstack([self._known[k] for k in keys]).astype(np.float32) if texts else \
            np.zeros((0, self.dim), np.float32)

    def _approximate(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            parts = [self.approx[k] for k in (_key(p.strip()) for p in _SENTENCE_CUT.split(text)) if k in self.approx]
            vector = np.mean(parts, axis=0) if parts else self.inner.embed_array([text])[0]
            out[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return out


def sentence_vectors(inner: Embedder, pool: list[str], folder: Path) -> dict[bytes, np.ndarray]:
    cached = CachedEmbedder(inner, folder)
    vectors = cached.embed_array(pool)
    return dict(zip((_key(s) for s in pool), vectors))


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


def ann_recall(vectors: np.ndarray, queries: np.ndarray, settings, k: int = 10) -> dict:
    """recall@k of an HNSW index (the settings' M / efSearch) against exact search on the same vectors."""
    import faiss

    from rag.store import make_dense_index

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    forced = settings.model_copy(update={"faiss_hnsw_threshold": 1})
    started = time.perf_counter()
    hnsw, info = make_dense_index(vectors.shape[1], len(vectors), forced)
    hnsw.add(vectors)
    build_s = time.perf_counter() - started
    _, truth = exact.search(queries, k)
    times_exact, times_hnsw, hits = [], [], 0
    for q in range(len(queries)):
        t0 = time.perf_counter()
        exact.search(queries[q:q + 1], k)
        t1 = time.perf_counter()
        _, got = hnsw.search(queries[q:q + 1], k)
        t2 = time.perf_counter()
        times_exact.append((t1 - t0) * 1000)
        times_hnsw.append((t2 - t1) * 1000)
        hits += len(set(got[0]) & set(truth[q]))
    return {"recall@10": round(hits / (k * len(queries)), 4), "hnsw": info, "build_s": round(build_s, 2),
            "flat_ms": percentiles(times_exact), "hnsw_ms": percentiles(times_hnsw)}


def run_point(size: int, settings, datasets_dir: Path, cache_dir: Path, questions: list[str],
              embed_limit: int) -> dict:
    from rag.bench_corpus import sentence_pool, synthetic_corpus
    from rag.embedding import make_embedder
    from rag.indexer import index_paths
    from rag.services import build_services

    out: dict = {"chunks_requested": size}
    started = time.perf_counter()
    corpus = synthetic_corpus(datasets_dir, cache_dir, size, settings.chunk_size, settings.chunk_overlap)
    out["corpus_s"] = round(time.perf_counter() - started, 2)
    inner = make_embedder(settings)
    vec_dir = cache_dir / "vectors" / re.sub(r"[^\w.+-]", "_", inner.model_id)
    approx = None
    if size > embed_limit:
        approx = sentence_vectors(inner, sentence_pool(datasets_dir), vec_dir / "sentences")
    embedder = CachedEmbedder(inner, vec_dir / ("approx" if approx is not None else "chunks"), approx)
    out["vectors"] = "approximate (mean of real sentence vectors)" if approx is not None else "real"

    index_dir = cache_dir / "indexes" / f"scale-{size}-{uuid.uuid4().hex[:6]}"
    run_settings = settings.model_copy(update={"index_dir": index_dir})
    started, cpu = time.perf_counter(), time.process_time()
    report = index_paths([corpus.folder], run_settings, embedder=embedder, rebuild=True)
    out["index_s"] = round(time.perf_counter() - started, 2)
    out["index_cpu_s"] = round(time.process_time() - cpu, 2)
    out["chunks"] = report.n_chunks
    out["embedded_live"] = embedder.misses
    out["rss_after_index_mb"] = round(peak_rss_mb(), 1)

    services = build_services(run_settings, inner)
    snapshot = services.store
    out["dense_index"] = snapshot.manifest.get("dense_index", {"type": "flat"})
    out["index_mb"] = round(dir_size_mb(snapshot.path), 1)
    assistant = services.assistant
    for q in questions[:3]:  # warm: model loaded, caches filled
        assistant.ask(q)
    out.update(time_steps({"retrieve": assistant.retrieve, "ask": assistant.ask}, questions))
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    query_vectors = inner.embed_array(questions)
    out["ann"] = ann_recall(np.ascontiguousarray(snapshot.vectors(), np.float32), query_vectors, settings)
    import shutil

    shutil.rmtree(index_dir, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> None:
    from rag.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", type=int)
    parser.add_argument("--datasets", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True, help="JSON list of query strings")
    parser.add_argument("--embed-limit", type=int, default=2000)
    args = parser.parse_args(argv)
    questions = json.loads(args.questions.read_text(encoding="utf-8"))
    result = run_point(args.size, Settings(), args.datasets, args.cache, questions, args.embed_limit)
    sys.stdout.write("BENCH-JSON " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
