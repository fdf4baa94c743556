"""Sentence boundaries as char spans, with pysbd (rule-based: survives "U.S.", quotes; needs no download)."""

from __future__ import annotations

import re
from functools import lru_cache

_BLOCK = re.compile(r"[^\n]+")
# pysbd's cost grows faster than linearly with the length of what it is given (a 5 MB single line took
# minutes), so longer lines are cut first, preferably after a sentence end, else at a space.
MAX_BLOCK = 2_000
_TERMINATOR = re.compile(r"[.!?\u2026\u3002\uff01\uff1f]")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
# An inline code span (CommonMark: a run of backticks closed by a run of the same length)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


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
        for piece_start, piece in _pieces(line):
            spans.extend(_segment_piece(piece, base + piece_start))
    return spans


def _pieces(line: str):
    start = 0
    while len(line) - start > MAX_BLOCK:
        window = line[start:start + MAX_BLOCK]
        cut = 0
        for match in _SENTENCE_END.finditer(window, MAX_BLOCK // 2):
            cut = match.end()
        if not cut:
            cut = window.rfind(" ", MAX_BLOCK // 2) + 1 or MAX_BLOCK
        yield start, line[start:start + cut]
        start += cut
    yield start, line[start:]


def _segment_piece(piece: str, base: int) -> list[tuple[int, int]]:
    if not piece.strip():
        return []
    if not _TERMINATOR.search(piece):  # nothing pysbd could split on: one span, without its cost
        lead = len(piece) - len(piece.lstrip())
        return [(base + lead, base + len(piece.rstrip()))]
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


def paragraph_sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of the paragraph ``text[start:end]`` as absolute offsets: its line breaks are read as spaces
    (same length, so offsets hold), so a sentence wrapped over several lines of a Markdown file stays whole."""
    piece = text[start:end].replace("\n", " ")
    return [(a + start, b + start) for a, b in _join_code(piece, sentence_spans(piece))]


def _join_code(piece: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences split inside an inline code span joined again: pysbd reads "`?`", "`os.path`" or "`...`" in
    "go after the `?` in a URL" as a sentence end; what is inside backticks is one token of its sentence."""
    if len(spans) < 2 or "`" not in piece:
        return spans
    codes = [(m.start(), m.end()) for m in _CODE_SPAN.finditer(piece)]
    out = [spans[0]]
    for a, b in spans[1:]:
        end = out[-1][1]
        if any(s < end and a < e for s, e in codes):  # a code span straddles the boundary
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
