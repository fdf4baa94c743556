"""Citation validity and sentence support, computed independently of the answerer's own checks.

valid: the citation's quote equals ``document.text[start:end]`` (non-empty, in bounds) and its chunk_id is one of
the passages the answer was built from.
supported: an answer sentence is supported when the content-word recall of the sentence against the union of
its cited quotes is >= SUPPORT_RECALL, or the cosine between the sentence and its best cited quote is
>= SUPPORT_COSINE (embedding check, only when an embedder is given and the lexical check failed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from eval.squad import normalize_answer
from rag.cite import markers

SUPPORT_RECALL = 0.5
SUPPORT_COSINE = 0.6

_MARKER = markers.GROUP
_LEADING_MARKERS = markers.LEADING
_MARKER_BOUNDARY = markers.BOUNDARY


def _stop_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN  # the Lucene English list, shipped with the BM25 library we keep

    return frozenset(STOPWORDS_EN)


STOP_WORDS = _stop_words()


@dataclass
class AnswerSentence:
    text: str  # without citation markers
    citations: list[int]


@dataclass
class SentenceSupport:
    text: str
    citations: list[int]
    recall: float | None  # None when the sentence has no content word
    cosine: float | None  # None when not computed
    supported: bool | None  # None when the sentence is not scored (no content word)

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "citations": self.citations,
            "recall": None if self.recall is None else round(self.recall, 4),
            "cosine": None if self.cosine is None else round(self.cosine, 4),
            "supported": self.supported,
        }


_numbers = markers.numbers


def _pieces(text: str) -> list[str]:
    """Cut the answer after every marker run that is followed by the start of a new sentence."""
    cuts = [m.end() for m in _MARKER_BOUNDARY.finditer(text)]
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)]) if text[a:b].strip()]


def split_answer(text: str) -> list[AnswerSentence]:
    """Split an answer into sentences with the ``[n]`` numbers each one cites.

    A marker run followed by a capitalised word ends a sentence even without punctuation (extractive answers
    join quoted title lines and sentences as "Title [1] Sentence. [2]"); the rest is split by pysbd. Markers
    that open a segment ("France. [1] They ...") belong to the sentence before them.
    """
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    sentences: list[AnswerSentence] = []
    for piece in _pieces(text):
        for span in segmenter.segment(piece):
            # pysbd is unannotated, so segment() reads as str | TextSpan; with char_span=True it gives TextSpans.
            segment = span.sent  # pyright: ignore[reportAttributeAccessIssue]
            leading = _LEADING_MARKERS.match(segment)
            if leading and sentences:
                for body in _MARKER.findall(leading.group(0)):
                    sentences[-1].citations.extend(_numbers(body))
                segment = segment[leading.end() :]
            cited = [n for body in _MARKER.findall(segment) for n in _numbers(body)]
            clean = " ".join(_MARKER.sub(" ", segment).split())
            clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
            if clean:
                sentences.append(AnswerSentence(clean, cited))
            elif sentences:
                sentences[-1].citations.extend(cited)
    for sentence in sentences:
        sentence.citations = list(dict.fromkeys(sentence.citations))
    return sentences


def content_words(text: str) -> set[str]:
    """Distinct SQuAD-normalised tokens of ``text`` that are not stop words."""
    return {tok for tok in normalize_answer(text).split() if tok not in STOP_WORDS}


def content_recall(sentence: str, quotes: Sequence[str]) -> float | None:
    """Share of the sentence's content words that occur in the cited quotes; None if it has none."""
    words = content_words(sentence)
    if not words:
        return None
    quoted: set[str] = set().union(*(content_words(q) for q in quotes)) if quotes else set()
    return len(words & quoted) / len(words)


def _cosines(embed: Callable[[list[str]], list[list[float]]], sentence: str, quotes: Sequence[str]) -> float:
    vectors = np.asarray(embed([sentence, *quotes]), dtype=float)
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    vectors = vectors / norms[:, None]
    return float(np.max(vectors[1:] @ vectors[0]))


def sentence_support(
    sentence: AnswerSentence, quotes_by_n: dict[int, str], embed: Callable[[list[str]], list[list[float]]] | None
) -> SentenceSupport:
    quotes = [quotes_by_n[n] for n in sentence.citations if n in quotes_by_n]
    recall = content_recall(sentence.text, quotes)
    if recall is None:
        return SentenceSupport(sentence.text, sentence.citations, None, None, None)
    if recall >= SUPPORT_RECALL:
        return SentenceSupport(sentence.text, sentence.citations, recall, None, True)
    if not quotes or embed is None:
        return SentenceSupport(sentence.text, sentence.citations, recall, None, False)
    cosine = _cosines(embed, sentence.text, quotes)
    return SentenceSupport(sentence.text, sentence.citations, recall, cosine, cosine >= SUPPORT_COSINE)


def answer_support(
    answer_text: str, quotes_by_n: dict[int, str], embed: Callable[[list[str]], list[list[float]]] | None = None
) -> list[SentenceSupport]:
    return [sentence_support(s, quotes_by_n, embed) for s in split_answer(answer_text)]


def citation_valid(
    quote: str, start: int, end: int, doc_text: str | None, retrieved_ids: set[str], chunk_id: str
) -> bool:
    """The quote is the exact non-empty document span and the cited chunk was among the answer's passages."""
    if doc_text is None or not (0 <= start < end <= len(doc_text)):
        return False
    return doc_text[start:end] == quote and chunk_id in retrieved_ids
