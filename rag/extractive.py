"""The default answerer: no LLM. It picks the sentence(s) of the retrieved passages that answer the question.

Each candidate sentence (whole sentences of the top passages, taken verbatim from the document) is scored by
  - semantic similarity: cosine of question and sentence embeddings;
  - lexical coverage: share of the question's content terms found in the sentence;
  - the passage's retrieval rank.
The best sentence is the answer; a neighbouring sentence is added only when it also scores close to the best
(it carries the answer too). Confidence is a fixed blend of the best sentence's signals; below the fitted
threshold (settings.abstain_threshold) the answerer abstains.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from rag.citations import cite
from rag.embedding import Embedder
from rag.store import IndexSnapshot
from rag.text import content_terms
from rag.types import Answer, Passage

ABSTAIN_TEXT = "The documents don't contain an answer to this."

# Blend weights of the sentence score and of the confidence. Fitted by `rag calibrate`; see docs/EVAL.md.
W_DENSE, W_LEXICAL, W_RANK = 0.55, 0.35, 0.10


@dataclass
class Candidate:
    passage: Passage
    start: int
    end: int
    text: str
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0


def lexical_coverage(question_terms: list[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    present = set(content_terms(sentence))
    unique = set(question_terms)
    return len(unique & present) / len(unique)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, snapshot_getter: Callable[[], IndexSnapshot], threshold: float,
                 max_sentences: int = 2):
        self.embedder = embedder
        self.snapshot_getter = snapshot_getter
        self.threshold = threshold
        self.max_sentences = max_sentences

    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        snapshot = self.snapshot_getter()
        seen: set[tuple[str, int, int]] = set()
        out: list[Candidate] = []
        for passage in passages:
            doc = snapshot.document(passage.chunk.source)
            spans = passage.chunk.sentences or ((passage.chunk.start, passage.chunk.end),)
            for start, end in spans:
                key = (doc.source, start, end)
                if key in seen:
                    continue
                seen.add(key)
                out.append(Candidate(passage, start, end, doc.text[start:end]))
        return out

    def score(self, question: str, candidates: list[Candidate], question_vector: np.ndarray | None = None) -> None:
        if not candidates:
            return
        terms = content_terms(question)
        qv = question_vector if question_vector is not None else self.embedder.embed_array([question])[0]
        vectors = self.embedder.embed_array([c.text for c in candidates])
        dense = vectors @ qv
        for cand, sim in zip(candidates, dense):
            cand.dense = float(sim)
            cand.lexical = lexical_coverage(terms, cand.text)
            rank_prior = 1.0 / math.sqrt(cand.passage.rank)
            cand.score = W_DENSE * cand.dense + W_LEXICAL * cand.lexical + W_RANK * rank_prior

    def answer(self, question: str, passages: list[Passage], question_vector: np.ndarray | None = None) -> Answer:
        candidates = self.candidates(question, passages)
        self.score(question, candidates, question_vector)
        if not candidates:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True, passages=passages)
        ranked = sorted(candidates, key=lambda c: -c.score)
        best = ranked[0]
        confidence = best.score
        if confidence < self.threshold:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True, passages=passages,
                          confidence=confidence)
        chosen = [best]
        for other in ranked[1:]:
            if len(chosen) >= self.max_sentences:
                break
            adjacent = other.passage.chunk.source == best.passage.chunk.source and (
                _gap(best, other) <= 2
            )
            if adjacent and other.score >= 0.9 * best.score and other.lexical > 0:
                chosen.append(other)
        chosen.sort(key=lambda c: (c.passage.chunk.source, c.start))
        snapshot = self.snapshot_getter()
        citations = []
        parts = []
        for n, cand in enumerate(chosen, start=1):
            citations.append(cite(n, cand.passage, cand.start, cand.end, cand.score, snapshot))
            parts.append(f"{cand.text} [{n}]")
        return Answer(question=question, answer=" ".join(parts), abstained=False, citations=citations,
                      passages=passages, confidence=confidence)

    def stream(self, question: str, passages: list[Passage], question_vector=None) -> Iterator[str | Answer]:
        answer = self.answer(question, passages, question_vector)
        yield answer.answer
        yield answer


def _gap(a: Candidate, b: Candidate) -> int:
    """Characters between two spans of the same document (0 when touching or overlapping)."""
    return max(0, max(a.start, b.start) - min(a.end, b.end))
