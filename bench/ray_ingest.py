"""`rag bench --ray-workers 1,2`: what `rag index --ray` ingestion costs with W Ray workers against the
single-process path (its parse pool, then embedding in this process), on the same folder.

Each measurement is one subprocess that indexes the folder into a fresh FAISS index and prints one JSON line:

    python -m bench.ray_ingest FOLDER --workers W --index-dir DIR

``--workers 0`` is the single-process path (`rag index`, parse pool of RAG_PARSE_WORKERS); ``--workers W`` starts a
local Ray with W CPUs first (not timed: ``cluster_start_s``), so W parse tasks run at a time and W embedding
actors embed, then times `rag index --ray` on it (actors start and load the model inside the timed run, as they do
for a user). The embedding model is loaded once before the clock so its one-time ONNX export is not timed.

Figures: wall seconds and chunks/s of the whole run (list, parse, embed, write), the parse and embed phases, and
the CPU seconds of this process and every process under it (the parse pool, or Ray's raylet, GCS and workers),
sampled from /proc while they run (Linux; ``TreeCpu``), so chunks per CPU second says what the work costs when
the machine is shared. The orchestrator (``run_ray_bench``) then checks that each Ray index has the
single-process index's chunk ids and vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JSON_PREFIX = "BENCH-JSON "


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            data = handle.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, ...


def tree_ticks(root: int) -> dict[tuple[int, int], int]:
    """CPU clock ticks (user + system) of process ``root`` and every live process under it, keyed by (pid, start
    time) so that a reused pid is another process."""
    parents: dict[int, int] = {}
    ticks: dict[tuple[int, int], int] = {}
    keys: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is None:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        keys[pid] = (pid, int(fields[19]))  # starttime
        ticks[keys[pid]] = int(fields[11]) + int(fields[12])  # utime, stime
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return {keys[pid]: ticks[keys[pid]] for pid in tree if pid in keys}


class TreeCpu:
    """CPU seconds that this process and every process under it (the parse pool, or Ray's raylet, GCS and
    workers) use inside the ``with`` block. The tree is sampled every ``interval`` seconds from /proc (Linux):
    a process that exits is counted up to its last sample (Ray's idle workers and actors end without being
    waited for, so the parent's counts of finished children would miss them)."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.seconds = 0.0
        self._start: dict[tuple[int, int], int] = {}
        self._last: dict[tuple[int, int], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-cpu", daemon=True)

    def _sample(self) -> None:
        for key, ticks in tree_ticks(os.getpid()).items():
            self._last[key] = max(ticks, self._last.get(key, 0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeCpu:
        if Path("/proc").is_dir():
            self._start = tree_ticks(os.getpid())
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if not self._thread.is_alive():
            return
        self._stop.set()
        self._thread.join()
        self._sample()
        used = sum(ticks - self._start.get(key, 0) for key, ticks in self._last.items())
        self.seconds = used / os.sysconf("SC_CLK_TCK")


def measure(folder: Path, workers: int, index_dir: Path, model: str | None = None) -> dict:
    """Index ``folder`` into a fresh FAISS index at ``index_dir``, single-process (``workers`` 0) or on a new local
    Ray with ``workers`` CPUs; the figures described in the module docstring."""
    from contextlib import nullcontext

    from rag.embedding import make_embedder
    from rag.ingest.indexer import index_paths
    from rag.runtime import configure
    from rag.settings import load_settings

    overrides: dict = {"index_dir": index_dir}  # a FAISS folder: run_one's environment has no RAG_STORE_URL
    if model:
        overrides["embed_model"] = model
    settings = load_settings(**overrides)
    configure(settings)
    make_embedder(settings).embed_array(["warm up"])  # the one-time ONNX export happens here, not in the timing
    context = nullcontext()
    if workers:
        from rag.ingest.distributed import ray_pipeline

        context = ray_pipeline(None, num_cpus=workers)
    started = time.perf_counter()
    with context as pipeline:
        cluster_start = time.perf_counter() - started
        load_before = os.getloadavg()[0]
        with TreeCpu() as cpu:
            wall = time.perf_counter()
            report = index_paths([folder], settings, rebuild=True, pipeline=pipeline)
            wall = time.perf_counter() - wall
    return {
        "mode": f"ray, {workers} worker(s)" if workers else "single process (parse pool + embedding here)",
        "workers": workers,
        "model": settings.embed_model,
        "files": report.parsed_files,
        "documents": report.n_documents,
        "chunks": report.n_chunks,
        "skipped": len(report.warnings),
        "wall_s": round(wall, 2),
        "chunks_per_s_wall": round(report.n_chunks / max(wall, 1e-9), 1),
        "cpu_s": round(cpu.seconds, 2),
        "chunks_per_cpu_s": round(report.n_chunks / max(cpu.seconds, 1e-9), 1),
        "parse_s": round(report.parse_seconds, 2),
        "embed_and_write_s": round(report.embed_seconds, 2),
        "cluster_start_s": round(cluster_start, 2) if workers else None,
        "load_avg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def compare(reference: Path, other: Path) -> dict:
    """Whether the index at ``other`` has the chunk ids and chunk vectors of the one at ``reference``."""
    import numpy as np

    from rag.store.snapshot import load_snapshot

    a, b = load_snapshot(reference), load_snapshot(other)
    same_ids = [c.chunk_id for c in a.chunks] == [c.chunk_id for c in b.chunks]
    diff = None
    if same_ids and a.n_chunks:
        diff = float(np.max(np.abs(a.chunk_vectors() - b.chunk_vectors())))
    return {"same_chunk_ids": same_ids, "max_abs_vector_diff": diff}


def run_one(folder: Path, workers: int, index_dir: Path, model: str | None, env: dict[str, str]) -> dict:
    """``measure`` in a subprocess (each run's Ray and CPU time are its own)."""
    args = [sys.executable, "-m", "bench.ray_ingest", str(folder), "--workers", str(workers),
            "--index-dir", str(index_dir)] + (["--model", model] if model else [])
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=REPO)
    for line in done.stdout.splitlines():
        if line.startswith(JSON_PREFIX):
            return json.loads(line[len(JSON_PREFIX):])
    return {"workers": workers, "error": (done.stderr or done.stdout).strip()[-800:]}


def run_ray_bench(folder: Path, workers: list[int], model: str | None = None,
                  echo: Callable[[str], None] = lambda s: None) -> dict:
    """The single-process path, then `--ray` with each worker count, on ``folder``; each Ray index compared with
    the single-process one."""
    env = dict({k: v for k, v in os.environ.items() if k != "RAG_STORE_URL"}, HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    with tempfile.TemporaryDirectory(prefix="rag-ray-bench-") as root:
        echo(f"ray ingest: {folder}, single process")
        reference = run_one(folder, 0, Path(root) / "local", model, env)
        runs = [reference]
        for w in workers:
            echo(f"ray ingest: {folder}, Ray with {w} worker(s)")
            run = run_one(folder, w, Path(root) / f"ray-{w}", model, env)
            if "error" not in run and "error" not in reference:
                run.update(compare(Path(root) / "local", Path(root) / f"ray-{w}"))
            runs.append(run)
    return {"folder": str(folder), "cores": os.cpu_count(), "runs": runs}


def ray_summary_table(result: dict) -> str:
    lines = ["| mode | chunks | wall s | chunks/s wall | CPU s | chunks per CPU s | parse s | embed+write s | "
             "same ids / max vector diff |", "|---|---|---|---|---|---|---|---|---|"]
    for run in result["runs"]:
        if "error" in run:
            lines.append(f"| workers {run['workers']} | error: {run['error'].splitlines()[-1]} | | | | | | | |")
            continue
        same = (f"{run['same_chunk_ids']} / {run['max_abs_vector_diff']}" if "same_chunk_ids" in run
                else "reference")
        lines.append(f"| {run['mode']} | {run['chunks']} | {run['wall_s']} | {run['chunks_per_s_wall']} | "
                     f"{run['cpu_s']} | {run['chunks_per_cpu_s']} | {run['parse_s']} | {run['embed_and_write_s']} | "
                     f"{same} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="One measurement of `rag bench --ray-workers` (JSON line).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=0, help="Ray workers (CPUs of a new local Ray); 0: no Ray")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--model", default=None, help="RAG_EMBED_MODEL (default: the settings')")
    args = parser.parse_args(argv)
    print(JSON_PREFIX + json.dumps(measure(args.folder, args.workers, args.index_dir, args.model)), flush=True)


if __name__ == "__main__":
    main()
