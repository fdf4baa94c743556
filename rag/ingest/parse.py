"""Parsing files for the indexer: load (rag.ingest.loaders) and chunk (rag.ingest.chunking), in a process pool when
there are many files.

Parsing is CPU-bound Python (PDF and office parsing, pysbd sentences, the splitter), so a large folder is parsed by
one worker process per core (``RAG_PARSE_WORKERS``); results come back in the order of the files, so the
embedder takes them in a deterministic order and the index does not depend on the number of workers. A small job
(under PARALLEL_FILES files and PARALLEL_BYTES bytes) is parsed in the calling process: a worker's start-up (a new
interpreter importing the parsers, pysbd compiling its rules) costs a few CPU seconds, more than such a job takes
(measured: 10,000 small files took 46 CPU s in two workers, 33 s in one process; docs/BENCHMARKS.md), and
`--watch` updates are a file or two. Workers are started with "spawn", never forked, so
a server's threads (the chat, the ONNX runtime) are not copied into them. A worker that dies (a parser crashing
the interpreter) breaks the pool; the files not yet parsed are then parsed in the calling process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from pathlib import Path

from rag.errors import LoadError
from rag.ingest.chunking import chunk_document, make_splitter
from rag.ingest.loaders import load_all
from rag.ingest.ocr import OcrConfig
from rag.ingest.structure import with_structure
from rag.parse_process import ParseLimits
from rag.types import Chunk, Document

PARALLEL_FILES = 200
PARALLEL_BYTES = 16 * 2**20


@dataclass(frozen=True)
class ParseOptions:
    max_bytes: int
    chunk_size: int
    chunk_overlap: int
    ocr: OcrConfig = OcrConfig()
    limits: ParseLimits = ParseLimits()

    @classmethod
    def from_settings(cls, settings) -> ParseOptions:
        return cls(int(settings.max_file_mb * 2**20), settings.chunk_size, settings.chunk_overlap,
                   OcrConfig.from_settings(settings), ParseLimits.from_settings(settings))


@dataclass
class Parsed:
    """One file's documents (the file's own, then its attachments'), each with its chunks; ``errors`` holds the
    file's LoadError (then ``documents`` is empty) or its unreadable attachments'."""

    path: str
    documents: list[tuple[Document, list[Chunk]]] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)


@lru_cache(maxsize=4)
def _splitter(chunk_size: int, chunk_overlap: int):
    return make_splitter(chunk_size, chunk_overlap)


def parse_file(path: str, options: ParseOptions) -> Parsed:
    try:
        docs, errors = load_all(Path(path), options.max_bytes, options.ocr, options.limits)
    except LoadError as err:
        return Parsed(path, errors=[err])
    splitter = _splitter(options.chunk_size, options.chunk_overlap)
    documents = []
    for doc in map(with_structure, docs):
        documents.append((doc, chunk_document(doc, options.chunk_size, options.chunk_overlap, splitter)))
    return Parsed(path, documents, errors)


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """Pool worker initializer: the worker exits when the process that started the pool is gone. A `rag index`
    killed with SIGKILL (or by the OOM killer) runs no clean-up, and its idle workers would wait on the task queue
    forever: each holds that queue's write end as well, so no end-of-file ever reaches them. Linux's parent-death
    signal is tied to the thread that forked, not to the process, and the standard library offers nothing else,
    so a daemon thread checks the parent id (reparented to init or a subreaper when the parent dies)."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def large_job(paths: Sequence[Path]) -> bool:
    """Whether parsing ``paths`` is worth starting worker processes for."""
    if len(paths) >= PARALLEL_FILES:
        return True
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:
            continue
    return total >= PARALLEL_BYTES


def parse_files(paths: Sequence[Path], options: ParseOptions, workers: int = 0, show_progress: bool = False,
                parallel: bool | None = None) -> Iterator[Parsed]:
    """``parse_file`` for each path, yielded in the order of ``paths``; ``workers`` 0 means one per core, and
    ``parallel`` None uses them for a ``large_job`` only. With ``show_progress`` a bar on stderr shows files
    parsed, files/s and the time left."""
    from tqdm import tqdm

    names = [str(p) for p in paths]
    workers = workers or default_workers()
    if parallel is None:
        parallel = large_job(paths)
    with tqdm(total=len(names), desc="Parsing", unit=" files", disable=not show_progress, leave=False,
              smoothing=0.1) as bar:
        done = 0
        if workers > 1 and len(names) > 1 and parallel:
            import multiprocessing

            chunksize = max(1, min(16, len(names) // (workers * 8)))
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_exit_with_parent, initargs=(os.getpid(),))
            try:
                for parsed in pool.map(parse_file, names, repeat(options), chunksize=chunksize):
                    done += 1
                    bar.update()
                    yield parsed
            except BrokenProcessPool:
                bar.write(f"note: a parsing worker died; parsing the remaining {len(names) - done} file(s) here")
            finally:  # also when the caller stops early: queued files are dropped, not parsed
                pool.shutdown(wait=True, cancel_futures=True)
        for name in names[done:]:
            parsed = parse_file(name, options)
            bar.update()
            yield parsed
