"""Word-level text helpers shared by BM25, the answerer and the citation verifier."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)

# A compact English stop list (function words only, so content words like "missile" or "Japan" survive).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves also may might must
    shall s t d ll m o re ve y ain isn aren wasn weren hasn haven hadn doesn don didn won wouldn shan shouldn
    mustn mightn couldn needn did does according""".split()
)


def fold(text: str) -> str:
    """Lower-case, strip accents and unify apostrophes, so "Russia’s" and "russia's" compare equal."""
    text = text.replace("’", "'").replace("‘", "'")
    if text.isascii():  # nothing to decompose (most text): the same result without the per-character pass
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=65536)  # a pure function of the word; the verifier stems the same words over and over
def stem(word: str) -> str:
    """A deliberately light suffix stripper (plural/possessive/-ing/-ed) so "missiles" matches "missile", and a
    verb in -y matches its other forms ("married", "marries", "marrying" -> "marry"; "specified" -> "specify")."""
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (("ies", 3), ("ied", 3), ("ing", 5), ("ed", 4), ("es", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) >= keep + len(suffix) - 1:
            if suffix in ("ies", "ied"):
                return word[:-3] + "y"
            if suffix == "es" and not word.endswith(("ses", "xes", "zes", "ches", "shes")):
                return word[:-1]
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def content_terms(text: str) -> list[str]:
    """Stemmed words that are not stop words ("what's" and "it's" are): the tokens of BM25 and of the lexical
    overlap signals."""
    return list(_content_terms(text))


@lru_cache(maxsize=4096)  # the answer step asks for the same unit, chunk and section texts many times per question
def _content_terms(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text)
                 if w not in STOPWORDS and not (w.endswith("'s") and w[:-2] in STOPWORDS))


def clear_term_cache() -> None:
    """Forget the cached content terms (the verifier's cold-cache timing starts without them)."""
    _content_terms.cache_clear()


def index_text(section: str | None, text: str) -> str:
    """What is embedded or keyword-indexed for a unit or a chunk: its section path prepended (contextual chunk
    headers, rag.ingest.structure), so a question naming the section finds the text under it. Citations never
    include it."""
    return f"{section}: {text}" if section else text
