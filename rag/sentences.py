"""Sentence boundaries as char spans, with pysbd (rule-based: survives "U.S.", quotes; needs no download)."""

from __future__ import annotations

import re
from functools import lru_cache

_BLOCK = re.compile(r"[^\n]+")
MAX_BLOCK = 20_000  # pysbd is quadratic-ish on huge unbroken lines; longer blocks are cut first


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in ``text``, stripped of surrounding white space."""
    spans: list[tuple[int, int]] = []
    for block in _BLOCK.finditer(text):
        base = block.start()
        line = block.group()
        for piece_start in range(0, len(line), MAX_BLOCK):
            piece = line[piece_start:piece_start + MAX_BLOCK]
            spans.extend(_segment_piece(piece, base + piece_start))
    return spans


def _segment_piece(piece: str, base: int) -> list[tuple[int, int]]:
    if not piece.strip():
        return []
    cursor = 0
    out: list[tuple[int, int]] = []
    for sentence in _segmenter().segment(piece):
        stripped = sentence.strip()
        if not stripped:
            continue
        found = piece.find(stripped, cursor)
        if found < 0:  # pysbd altered the text; fall back to the rest of the piece as one sentence
            rest = piece[cursor:]
            lead = len(rest) - len(rest.lstrip())
            out.append((base + cursor + lead, base + len(piece.rstrip())))
            return out
        out.append((base + found, base + found + len(stripped)))
        cursor = found + len(stripped)
    return out
