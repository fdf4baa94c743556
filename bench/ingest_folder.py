"""Index a folder once into a fresh index and print what it cost, as JSON: files parsed per second (load + chunk,
in the process pool), chunks embedded per second, CPU seconds, and peak RSS of this process and of its parsing
workers.

    python -m bench.ingest_folder DIR [--model hash:256] [--workers 0] [--index-dir DIR]

The folder used in docs/BENCHMARKS.md is made by ``python -m tests.support.mixed_folder DIR 10000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default=None, help="RAG_EMBED_MODEL (default: the bundled model)")
    parser.add_argument("--workers", type=int, default=0, help="RAG_PARSE_WORKERS (0: one per core)")
    parser.add_argument("--index-dir", type=Path, default=None, help="default: a temporary folder, removed after")
    args = parser.parse_args(argv)

    from rag.embedding import make_embedder
    from rag.ingest.indexer import index_paths
    from rag.ingest.parse import default_workers
    from rag.settings import load_settings

    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="rag-ingest-bench-")) / "index"
    overrides = {"index_dir": index_dir, "parse_workers": args.workers}
    if args.model:
        overrides["embed_model"] = args.model
    settings = load_settings(**overrides)
    embedder = make_embedder(settings)
    embedder.embed_array(["warm up"])  # the model is loaded before the clock starts
    cpu = time.process_time()
    try:
        report = index_paths([args.folder], settings, embedder=embedder, rebuild=True)
    finally:
        if args.index_dir is None:
            shutil.rmtree(index_dir.parent, ignore_errors=True)
    cpu = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    kib = 1024
    result = {
        "files": report.parsed_files,
        "documents": report.n_documents,
        "chunks": report.n_chunks,
        "skipped": len(report.warnings),
        "workers": args.workers or default_workers(),
        "model": settings.embed_model,
        "parse_seconds": round(report.parse_seconds, 2),
        "files_per_second": round(report.parsed_files / max(report.parse_seconds, 1e-9), 1),
        "embed_seconds": round(report.embed_seconds, 2),
        "chunks_per_second": round(report.embedded_chunks / max(report.embed_seconds, 1e-9), 1),
        "total_seconds": round(report.seconds, 2),
        # CPU time says what the work costs when the machine is shared (wall figures then mostly measure the load)
        "cpu_seconds_indexer": round(cpu, 2),
        "cpu_seconds_workers": round(children.ru_utime + children.ru_stime, 2),
        "load_average_1min": float(open("/proc/loadavg").read().split()[0]) if Path("/proc/loadavg").exists() else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 2**20, 1),
        "peak_worker_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib / 2**20, 1),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
