"""`rag bench`: our index/ask paths against the plain LangChain recipe, same corpus, same model, one run.

Baseline = what a LangChain user writes: HuggingFaceEmbeddings(bundled model folder, normalised) +
RecursiveCharacterTextSplitter(our chunk size/overlap) + FAISS.from_documents + similarity_search.
Ours = rag.ingest.indexer.index_paths (`rag index`) and the services' Assistant (`rag ask`).
Scale points run in subprocesses (bench.scale) so each peak RSS belongs to that workload.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.corpus import Corpus, GoldQuestion, seeds_corpus, squad_corpus, synthetic_corpus
from bench.scale import peak_rss_mb, time_steps
from rag.settings import Settings

if TYPE_CHECKING:
    from langchain_community.vectorstores import FAISS

REPO = Path(__file__).resolve().parent.parent
Echo = Callable[[str], None]


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "load_avg_start": [round(x, 2) for x in os.getloadavg()]}


def baseline_embeddings():
    from langchain_huggingface import HuggingFaceEmbeddings

    from rag.embedding import bundled_model_path

    return HuggingFaceEmbeddings(model_name=str(bundled_model_path()), encode_kwargs={"normalize_embeddings": True},
                                 model_kwargs={"device": "cpu", "local_files_only": True})


def baseline_chunks(folder: Path, settings: Settings) -> list:
    """The recipe's chunks: the files' text through LangChain's RecursiveCharacterTextSplitter."""
    from langchain_core.documents import Document as LCDocument
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bench.corpus import corpus_texts

    splitter = RecursiveCharacterTextSplitter(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
    return splitter.split_documents([LCDocument(page_content=text, metadata={"source": src})
                                     for src, text in corpus_texts(folder)])


def baseline_store(folder: Path, embeddings, settings: Settings):
    """The recipe: split the files' text, embed, FAISS.from_documents. Returns (store, n_chunks)."""
    from langchain_community.vectorstores import FAISS

    docs = baseline_chunks(folder, settings)
    return FAISS.from_documents(docs, embeddings), len(docs)


class RecordingEmbedder:
    """Our embedder, keeping the batches it is given (their texts only: counting tokens waits until the clock
    has stopped, so the count costs the timed build nothing)."""

    def __init__(self, inner):
        self.inner = inner
        self.batches: list[list[str]] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_array(self, texts):
        self.batches.append(list(texts))
        return self.inner.embed_array(texts)


def token_counts(embedder, batches: list[list[str]]) -> dict:
    """Tokens the model ran on: ``real`` (each text's own, special tokens included, after truncation) and
    ``padded`` (every batch padded to its longest text, as the ONNX embedder's tokenizer pads)."""
    real = padded = 0
    for batch in batches:
        lengths = embedder.text_lengths(batch)
        real += sum(lengths)
        padded += len(lengths) * max(lengths, default=0)
    return {"real": real, "padded": padded}


def is_relevant(text: str, source: str | None, gold: GoldQuestion) -> bool:
    if gold.source and source and Path(source).resolve() != Path(gold.source).resolve():
        return False
    return any(e in text for e in gold.evidence)


def recall_at(results: Sequence[Sequence[tuple[str, str | None]]], questions: list[GoldQuestion]) -> float:
    hits = sum(any(is_relevant(t, s, g) for t, s in r) for r, g in zip(results, questions))
    return round(hits / max(len(questions), 1), 4)


def our_index(folder: Path, settings: Settings, embedder, root: Path, name: str):
    from rag.ingest.indexer import index_paths

    run = settings.model_copy(update={"index_dir": root / name})
    started = time.perf_counter()
    report = index_paths([folder], run, embedder=embedder, rebuild=True)
    return run, report, time.perf_counter() - started


def quality(corpus: Corpus, settings: Settings, embedders: dict, baseline, root: Path, k: int = 5,
            limit: int | None = None) -> dict:
    """Retrieval recall@k on a gold set for the baseline and each of our embedders (int8 decision rests here)."""
    from rag.services import build_services

    questions = corpus.questions[:limit]
    out: dict = {"questions": len(questions)}
    if baseline is not None:
        store, _ = baseline_store(corpus.folder, baseline, settings)
        results = [[(d.page_content, d.metadata.get("source")) for d in store.similarity_search(g.question, k=k)]
                   for g in questions]
        out["baseline"] = recall_at(results, questions)
    for label, embedder in embedders.items():
        run, _, _ = our_index(corpus.folder, settings, embedder, root, f"{corpus.name}-{label}")
        assistant = build_services(run, embedder).assistant
        results = [[(p.chunk.text, p.chunk.source) for p in assistant.retrieve(g.question, k=k)]
                   for g in questions]
        out[label] = recall_at(results, questions)
    return out


def _cpu_with_workers() -> float:
    """CPU seconds of this process plus its finished child processes (the indexer's parsing workers)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def ingest(corpus: Corpus, settings: Settings, embedder, baseline, root: Path) -> tuple[dict, FAISS]:
    """chunks/s of the whole build (split + embed + FAISS [+ sentences, BM25, atomic write for ours]), and the
    baseline's store (query_latency reuses it)."""
    started, cpu = time.perf_counter(), time.process_time()
    store, n_base = baseline_store(corpus.folder, baseline, settings)
    base_s, base_cpu = time.perf_counter() - started, time.process_time() - cpu
    cpu = _cpu_with_workers()
    recording = RecordingEmbedder(embedder)
    _, report, ours_s = our_index(corpus.folder, settings, recording, root, "ingest")
    ours_cpu = _cpu_with_workers() - cpu
    ours_cps, base_cps = report.n_chunks / ours_s, n_base / base_s
    ours_tokens = token_counts(embedder, recording.batches)
    # The recipe embeds each chunk once (sentence-transformers sorts a call's texts by length and pads each batch
    # of 32 to its longest): counted with the same tokenizer, which is the same model's.
    chunks = [d.page_content for d in baseline_chunks(corpus.folder, settings)]
    chunks.sort(key=len)
    base_tokens = token_counts(embedder, [chunks[i:i + 32] for i in range(0, len(chunks), 32)])
    return {"chunks": report.n_chunks, "baseline_chunks": n_base, "ours_s": round(ours_s, 2),
            "baseline_s": round(base_s, 2), "ours_chunks_per_s": round(ours_cps, 2),
            "baseline_chunks_per_s": round(base_cps, 2), "ratio": round(ours_cps / base_cps, 2),
            "ours_cpu_s": round(ours_cpu, 2), "baseline_cpu_s": round(base_cpu, 2),
            "cpu_ratio": round((base_cpu / n_base) / (ours_cpu / report.n_chunks), 2),
            "ours_embed_s": round(report.embed_seconds, 2), "ours_tokens": ours_tokens,
            "ours_real_tokens_per_embed_s": round(ours_tokens["real"] / max(report.embed_seconds, 1e-9), 1),
            "ours_padded_tokens_per_embed_s": round(ours_tokens["padded"] / max(report.embed_seconds, 1e-9), 1),
            "baseline_tokens": base_tokens,
            "baseline_padded_tokens_per_s": round(base_tokens["padded"] / base_s, 1)}, store


def query_latency(run: Settings, embedder, store, questions: list[str]) -> dict:
    from rag.services import build_services

    assistant = build_services(run, embedder).assistant
    for q in questions[:3]:
        assistant.ask(q)
        store.similarity_search(q, k=5)
    return time_steps({"ours_retrieve": assistant.retrieve, "ours_ask": assistant.ask,
                       "baseline_search": lambda q: store.similarity_search(q, k=5)}, questions)


def cold_start(index_dir: Path, question: str, env_overrides: dict[str, str], runs: int = 5) -> dict:
    """Wall time of `rag ask --json` as a fresh process (interpreter start, imports, model and index load)."""
    rag = Path(sys.executable).with_name("rag")
    cmd = [str(rag), "ask", question, "--index-dir", str(index_dir), "--json"]
    env = dict({k: v for k, v in os.environ.items() if k != "RAG_STORE_URL"}, HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", **env_overrides)
    import resource

    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-300:]}
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times],
            "median_cpu_s": round(statistics.median(cpu), 3)}


def env_for(settings: Settings) -> dict[str, str]:
    return {"RAG_EMBED_BACKEND": settings.embed_backend, "RAG_EMBED_QUANTIZE": str(settings.embed_quantize).lower(),
            "RAG_MODEL_CACHE_DIR": str(settings.model_cache_dir), "RAG_EMBED_MODEL": settings.embed_model,
            "RAG_FAISS_HNSW_THRESHOLD": str(settings.faiss_hnsw_threshold),
            "RAG_CHUNK_SIZE": str(settings.chunk_size), "RAG_CHUNK_OVERLAP": str(settings.chunk_overlap)}


def scale_point(size: int, settings: Settings, datasets: Path, cache: Path, questions: list[str],
                store_url: str | None = None) -> dict:
    """Two subprocesses: one fills the sentence-vector cache for this size, the next one is measured (on
    PostgreSQL, in a scratch database on the server of ``store_url``, when given)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(questions, handle)
    base = [sys.executable, "-m", "bench.scale", str(size), "--datasets", str(datasets), "--cache", str(cache)]
    env = dict({k: v for k, v in os.environ.items() if k != "RAG_STORE_URL"}, HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", **env_for(settings))
    measured = base + ["--questions", handle.name] + (["--store-url", store_url] if store_url else [])
    try:
        prepared = _bench_json(subprocess.run(base + ["--prepare"], env=env, capture_output=True, text=True, cwd=REPO))
        if "error" in prepared:
            return {"chunks_requested": size, **prepared}
        done = subprocess.run(measured, env=env, capture_output=True, text=True, cwd=REPO)
    finally:
        os.unlink(handle.name)
    return {**_bench_json(done), "chunks_requested": size, "prepare": prepared}


def _bench_json(done: subprocess.CompletedProcess) -> dict:
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON "):])
    return {"error": (done.stderr or done.stdout).strip()[-500:]}


def query_pool(datasets: Path, seeds: Corpus, squad: Corpus, n: int) -> list[str]:
    """Real questions (SQuAD, seed gold, ClapNQ) interleaved, so the synthetic corpus gets realistic queries."""
    from itertools import islice

    from bench.corpus import clapnq_records

    clap = [record["input"] for record in islice(clapnq_records(datasets, which=0), n)]
    lists = [[g.question for g in squad.questions], [g.question for g in seeds.questions], clap]
    out: list[str] = []
    for i in range(n):
        for items in lists:
            if i < len(items) and len(out) < n:
                out.append(items[i])
    return out


def bench_folders(datasets: Path | None, cache: Path | None) -> tuple[Path, Path]:
    """The shared datasets folder and the bench cache (created), with their defaults."""
    from bench.corpus import require_datasets

    datasets = require_datasets(Path(datasets or REPO.parent / "shared" / "datasets"))
    cache = Path(cache or Path.home() / ".cache" / "rag-bench").expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    return datasets, cache


def _warm_models(settings: Settings):
    """Our embedder and the recipe's, each loaded and run once (model loading is not what ingest times)."""
    from rag.embedding import make_embedder

    ours = make_embedder(settings)
    baseline = baseline_embeddings()
    baseline.embed_query("warm up")
    ours.embed_array(["warm up"])
    return ours, baseline


def run_ingest_only(settings: Settings, runs: int, datasets: Path | None = None, cache: Path | None = None,
                    ingest_chunks: int = 1000, echo: Echo = lambda s: None) -> dict:
    """`rag bench --ingest-runs N`: the ingest comparison alone, N times on the same corpus and models (each run
    builds both stores from nothing), every run's figures with the load average before it, and the medians."""
    datasets, cache = bench_folders(datasets, cache)
    result: dict = {"machine": machine(), "ingest_chunks": ingest_chunks, "runs": []}
    root = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        ours, baseline = _warm_models(settings)
        synthetic = synthetic_corpus(datasets, cache, ingest_chunks, settings.chunk_size, settings.chunk_overlap)
        for i in range(runs):
            echo(f"ingest run {i + 1} of {runs}: {ingest_chunks} chunks, baseline then ours")
            load = [round(x, 2) for x in os.getloadavg()]
            figures, _ = ingest(synthetic, settings, ours, baseline, root / f"run-{i}")
            result["runs"].append({"load_avg_before": load, **figures})
        numeric = [k for k, v in result["runs"][0].items() if isinstance(v, (int, float))]
        result["median"] = {k: round(statistics.median(r[k] for r in result["runs"]), 2) for k in numeric}
        result["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_bench(settings: Settings, sizes: list[int], quick: bool = False, datasets: Path | None = None,
              cache: Path | None = None, ingest_chunks: int = 1000, compare_int8: bool = True, queries: int = 40,
              echo: Echo = lambda s: None, store_url: str | None = None) -> dict:
    from rag.embedding import make_embedder

    datasets, cache = bench_folders(datasets, cache)
    n_queries = 12 if quick else queries
    result: dict = {"machine": machine(), "settings": {
        "embed_model": settings.embed_model, "embed_backend": settings.embed_backend,
        "embed_quantize": settings.embed_quantize, "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap, "k": settings.k, "faiss_hnsw_threshold": settings.faiss_hnsw_threshold,
        "faiss_hnsw_m": settings.faiss_hnsw_m, "faiss_hnsw_ef_search": settings.faiss_hnsw_ef_search},
        "sizes": sizes, "quick": quick, "ingest_chunks": ingest_chunks}
    root = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        echo(f"loading models ({settings.embed_model} and the LangChain baseline)")
        ours, baseline = _warm_models(settings)
        embedders = {"ours": ours}
        if compare_int8 and not settings.embed_quantize and settings.embed_model.startswith("bundled:"):
            embedders["ours_int8"] = make_embedder(settings.model_copy(update={"embed_quantize": True}))
        if compare_int8 and settings.embed_quantize:
            embedders["ours_fp32"] = make_embedder(settings.model_copy(update={"embed_quantize": False}))
        seeds = seeds_corpus(settings.seeds_dir if Path(settings.seeds_dir).is_dir() else REPO / "seeds",
                             REPO / "eval" / "gold" / "seeds.jsonl")
        squad = squad_corpus(datasets, cache)
        result["quality_recall@5"] = {}
        for corpus in (seeds, squad):
            echo(f"quality: {corpus.name}")
            result["quality_recall@5"][corpus.name] = quality(corpus, settings, embedders, baseline, root,
                                                              limit=30 if quick else None)

        ingest_size = min(sizes) if quick else ingest_chunks
        echo(f"ingest: synthetic corpus of {ingest_size} chunks, baseline then ours")
        synthetic = synthetic_corpus(datasets, cache, ingest_size, settings.chunk_size, settings.chunk_overlap)
        result["ingest"], store = ingest(synthetic, settings, ours, baseline, root)
        questions = query_pool(datasets, seeds, squad, n_queries)
        run = settings.model_copy(update={"index_dir": root / "ingest"})
        echo("warm query latency on the ingest corpus")
        result["query"] = {"chunks": result["ingest"]["chunks"], **query_latency(run, ours, store, questions)}

        echo("cold start of `rag ask` (5 runs each)")
        seeds_run, _, _ = our_index(seeds.folder, settings, ours, root, "cold")
        question = seeds.questions[0].question if seeds.questions else "What is this about?"
        result["cold_start"] = {"ours": cold_start(seeds_run.index_dir, question, env_for(settings),
                                                   3 if quick else 5)}
        if settings.embed_backend != "torch" or settings.embed_quantize:
            torch_env = dict(env_for(settings), RAG_EMBED_BACKEND="torch", RAG_EMBED_QUANTIZE="false")
            our_index(seeds.folder, settings.model_copy(update={"embed_backend": "torch", "embed_quantize": False}),
                      make_embedder(settings.model_copy(update={"embed_backend": "torch", "embed_quantize": False})),
                      root, "cold-torch")
            result["cold_start"]["torch_backend"] = cold_start(root / "cold-torch", question, torch_env,
                                                               3 if quick else 5)
        result["main_process_peak_rss_mb"] = round(peak_rss_mb(), 1)
        result["scale"] = []
        for size in sizes:
            echo(f"scale point: {size} chunks (subprocess)")
            result["scale"].append(scale_point(size, settings, datasets, cache, questions))
            if store_url:
                echo(f"scale point: {size} chunks on PostgreSQL (subprocess, scratch database)")
                result.setdefault("scale_postgres", []).append(
                    scale_point(size, settings, datasets, cache, questions, store_url))
        result["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return result


def summary_table(r: dict) -> str:
    """The headline figures as a Markdown table (docs/BENCHMARKS.md pastes this)."""
    ing, q, cold = r["ingest"], r["query"], r["cold_start"]
    lines = ["| figure | ours | LangChain baseline | ratio / note |", "|---|---|---|---|",
             f"| ingest, chunks/s ({ing['chunks']} chunks) | {ing['ours_chunks_per_s']} | "
             f"{ing['baseline_chunks_per_s']} | {ing['ratio']}x wall, {ing.get('cpu_ratio')}x CPU time |",
             f"| warm retrieval p50 / p95 ms ({q['chunks']} chunks) | {q['ours_retrieve_ms']['p50']} / "
             f"{q['ours_retrieve_ms']['p95']} | {q['baseline_search_ms']['p50']} / {q['baseline_search_ms']['p95']} "
             f"| CPU ms p50/p95: {q['ours_retrieve_cpu_ms']['p50']} / {q['ours_retrieve_cpu_ms']['p95']} vs "
             f"{q['baseline_search_cpu_ms']['p50']} / {q['baseline_search_cpu_ms']['p95']} |",
             f"| warm retrieval + extractive answer p50 / p95 ms | {q['ours_ask_ms']['p50']} / "
             f"{q['ours_ask_ms']['p95']} | - | CPU ms p50/p95: {q['ours_ask_cpu_ms']['p50']} / "
             f"{q['ours_ask_cpu_ms']['p95']} |",
             f"| cold `rag ask` median s | {cold['ours'].get('median_s', cold['ours'].get('error'))} | - | "
             + (f"torch backend: {cold['torch_backend'].get('median_s')} s |" if "torch_backend" in cold else "|")]
    for name, figures in r["quality_recall@5"].items():
        others = ", ".join(f"{k}={v}" for k, v in figures.items() if k not in ("ours", "baseline", "questions"))
        lines.append(f"| recall@5 {name} ({figures['questions']} q) | {figures.get('ours')} | "
                     f"{figures.get('baseline')} | {others} |")
    lines += ["", "| chunks | vectors | dense index | index MB | index s | retrieve p50/p95 ms | ask p50/p95 ms | "
              "ask CPU p50/p95 ms | peak RSS MB | dense recall@10 vs exact | exact / store search p50 ms |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in r["scale"] + r.get("scale_postgres", []):
        if "error" in p:
            lines.append(f"| {p['chunks_requested']} | error: {p['error'][-120:]} |")
            continue
        ann = p["ann"]
        store = "" if p.get("store", "faiss") == "faiss" else f" ({p['store']})"
        lines.append(f"| {p['chunks']}{store} | {p['vectors'].split(' ')[0]} | {p['dense_index']['type']} | "
                     f"{p['index_mb']} "
                     f"| {p['index_s']} | {p['retrieve_ms']['p50']} / {p['retrieve_ms']['p95']} | "
                     f"{p['ask_ms']['p50']} / {p['ask_ms']['p95']} | "
                     f"{p['ask_cpu_ms']['p50']} / {p['ask_cpu_ms']['p95']} | "
                     f"{p['peak_rss_mb']} | {ann['recall@10']} | "
                     f"{ann['exact_ms']['p50']} / {ann['store_ms']['p50']} |")
    return "\n".join(lines)


def plot_scale(result: dict, path: Path) -> Path:
    """PNG of warm latency (retrieval, retrieval + answer) and peak RSS against corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = sorted((p for p in result["scale"] if "error" not in p), key=lambda p: p["chunks"])
    sizes = [p["chunks"] for p in points]
    fig, (lat, mem) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("retrieve", "retrieval"), ("ask", "retrieval + extractive answer")):
        lat.plot(sizes, [p[f"{key}_ms"]["p50"] for p in points], "o-", label=f"{label} p50 (wall)")
        lat.plot(sizes, [p[f"{key}_ms"]["p95"] for p in points], "o--", label=f"{label} p95 (wall)")
        lat.plot(sizes, [p[f"{key}_cpu_ms"]["p50"] for p in points], "x:", label=f"{label} p50 (CPU time)")
    lat.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms", title="warm query latency")
    lat.legend(fontsize=7)
    mem.plot(sizes, [p["peak_rss_mb"] for p in points], "o-", label="peak RSS, index + serve (MB)")
    mem.plot(sizes, [p["index_mb"] for p in points], "s-", label="index on disk (MB)")
    mem.set(xscale="log", xlabel="chunks", ylabel="MB", title="memory and disk")
    mem.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
