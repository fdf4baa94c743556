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


def configure(settings=None) -> None:
    """Offline model loading, the regex cache, and ``settings.torch_threads`` (when set) for the torch embedding
    backend.

    FAISS's OpenMP thread count is not set here: it is shared with torch when both load the same OpenMP runtime,
    so one FAISS thread for the whole process left torch on one thread too; rag.store.snapshot runs each search on
    one thread and restores the caller's count after it."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)
    if getattr(re, "_MAXCACHE", RE_CACHE_SIZE) < RE_CACHE_SIZE:
        re._MAXCACHE = RE_CACHE_SIZE  # type: ignore[attr-defined]
    threads = getattr(settings, "torch_threads", 0)
    if threads and getattr(settings, "embed_backend", None) == "torch":
        import torch

        torch.set_num_threads(threads)
