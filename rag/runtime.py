"""Process-wide setup, in one place: the entry points (`rag` commands, `rag serve`, eval, bench, the test
session) call ``configure`` once; library code never changes process state on import or when it loads an object.
"""

from __future__ import annotations

import os
import re

# pysbd builds a few thousand distinct regular expressions (one per abbreviation and rule) through the `re`
# module's compile cache, which holds 512 in Python 3.11; cycling through more recompiles them on every call and
# was two thirds of the chunking time (4.8 s of 7.2 s for 1,000 chunks, `rag bench` ingest). A larger cache is
# the only lever pysbd leaves us.
RE_CACHE_SIZE = 8192


def configure(settings=None, *, index: bool = True) -> None:
    """Offline model loading, the regex cache, and (with ``index``) single-threaded FAISS search.

    Why one FAISS thread: one query vector at a time gains nothing from OpenMP, and its spin-waiting threads made a
    flat search 20-40x slower on a busy 2-core machine (10k chunks: 20 ms with 2 threads vs 0.5 ms with 1;
    `rag bench`). ``settings.torch_threads`` (when set) applies to the torch embedding backend."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)
    if getattr(re, "_MAXCACHE", RE_CACHE_SIZE) < RE_CACHE_SIZE:
        re._MAXCACHE = RE_CACHE_SIZE  # type: ignore[attr-defined]
    if index:
        import faiss

        faiss.omp_set_num_threads(1)
    threads = getattr(settings, "torch_threads", 0)
    if threads and getattr(settings, "embed_backend", None) == "torch":
        import torch

        torch.set_num_threads(threads)
