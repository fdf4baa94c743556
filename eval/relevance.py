"""Which retrieved chunks carry a question's gold evidence.

A chunk is relevant when its text contains an evidence quote after whitespace normalisation, or when its span
``[start, end)`` overlaps an occurrence of the quote in the chunk's own document text. Quotes are located
whitespace-insensitively (any run of whitespace in the quote matches any run in the document).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


def normalize_ws(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def _quote_pattern(quote: str) -> re.Pattern[str] | None:
    words = quote.split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(w) for w in words))


def quote_spans(doc_text: str, quote: str) -> list[tuple[int, int]]:
    """Every (start, end) where ``quote`` occurs in ``doc_text``, whitespace-insensitively (non-overlapping)."""
    pattern = _quote_pattern(quote)
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(doc_text)]


def contains_quote(text: str, quote: str) -> bool:
    """True when ``quote`` occurs in ``text`` after whitespace normalisation of both."""
    needle = normalize_ws(quote)
    return bool(needle) and needle in normalize_ws(text)


def overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    """True when the half-open span [start, end) shares at least one character with one of ``spans``."""
    return any(s < end and start < e for s, e in spans)


def is_relevant(chunk_text: str, start: int, end: int, doc_text: str | None, quotes: Sequence[str]) -> bool:
    """The relevance judgement for one retrieved chunk against a question's evidence quotes."""
    for quote in quotes:
        if contains_quote(chunk_text, quote):
            return True
        if doc_text is not None and overlaps(start, end, quote_spans(doc_text, quote)):
            return True
    return False


class CorpusText:
    """Whitespace-normalised concatenation of corpus texts, to check that evidence occurs somewhere."""

    def __init__(self, texts: Sequence[str]):
        self._joined = "\x00".join(normalize_ws(t) for t in texts)

    def __contains__(self, quote: object) -> bool:
        needle = normalize_ws(str(quote))
        return bool(needle) and needle in self._joined
