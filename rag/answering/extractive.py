"""The default answerer: no LLM. It picks the sentence(s) of the retrieved passages that answer the question.

Every whole sentence of the top passages (verbatim from the document) is a candidate, described by a few
features (``FEATURES``): semantic similarity to the question, IDF-weighted and plain coverage of the question's
content terms, whether it holds a token of the expected answer type (rag.answering.answer_type), the passage's retrieval
rank and dense score. A logistic model over them scores each sentence (settings ``answer_weights``); the
abstention threshold (``abstain_threshold``) is fitted on a development split by `rag calibrate`, which can also
fit the weights and an abstention model (``abstain_weights``); eval/calibration.json records which fits were
kept. The best sentence is the answer, with a neighbour added only when it also scores close to the best; below
the threshold the answerer abstains. Sentence vectors come from the index (rag.store.sentence_table), so answering
needs no model call beyond the question's embedding, which the retrieval step already made.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.answering.answer_type import has_answer_type, question_type
from rag.cite.citations import cite
from rag.embedding import Embedder
from rag.retrieval.followup import contextual_query
from rag.store import StoreView
from rag.text import content_terms
from rag.types import Answer, Passage

ABSTAIN_TEXT = "The documents don't contain an answer to this."
FEATURES = ("dense", "idf_coverage", "coverage", "type_match", "rank_prior", "passage_dense")
# The abstention model sees the best sentence: its probability, and its features that say "on topic, but does it
# hold the kind of answer asked for, and does its passage mention every rare word of the question?" (Unanswerable
# questions often hinge on one word the text never uses: a swapped entity, a negation, a detail it never gives.)
ABSTAIN_FEATURES = ("best_probability", "type_match", "idf_coverage", "dense", "passage_dense",
                    "passage_coverage", "missing_idf")


@dataclass
class Candidate:
    passage: Passage
    start: int
    end: int
    text: str
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0

    def vector(self) -> list[float]:
        return [self.features[name] for name in FEATURES]


class TermWeights:
    """IDF of content terms over the store's chunks (the keyword index's document frequencies)."""

    _cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, snapshot: StoreView):
        self.stats = snapshot.term_stats()
        self.n = max(1, self.stats.n_chunks)

    @classmethod
    def of(cls, snapshot: StoreView) -> TermWeights:
        weights = cls._cache.get(snapshot)
        if weights is None:
            weights = cls._cache[snapshot] = cls(snapshot)
        return weights

    def idf(self, term: str) -> float:
        df = self.stats.document_frequency(term)
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, snapshot_getter: Callable[[], StoreView], threshold: float,
                 max_sentences: int = 2, weights: Sequence[float] | None = None,
                 abstain_weights: Sequence[float] | None = None):
        self.embedder = embedder
        self.snapshot_getter = snapshot_getter
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.weights = list(weights) if weights is not None else None
        self.abstain_weights = list(abstain_weights) if abstain_weights else None  # [] = no model
        for values, names in ((self.weights, FEATURES), (self.abstain_weights, ABSTAIN_FEATURES)):
            if values is not None and len(values) != len(names) + 1:
                raise ValueError(f"weights need {len(names) + 1} numbers (bias + {', '.join(names)}), not {values}")

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

    def sentence_vectors(self, candidates: list[Candidate]) -> np.ndarray:
        """Unit embeddings, stored at index time, so answering costs no model call."""
        snapshot = self.snapshot_getter()
        out = np.empty((len(candidates), self.embedder.dim), np.float32)
        by_source: dict[str, list[int]] = {}
        for i, c in enumerate(candidates):
            by_source.setdefault(c.passage.chunk.source, []).append(i)
        for source, rows in by_source.items():
            out[rows] = snapshot.unit_vectors(source, [(candidates[i].start, candidates[i].end) for i in rows])
        return out

    def featurize(self, question: str, candidates: list[Candidate], question_vector: np.ndarray | None = None) -> None:
        if not candidates:
            return
        weights = TermWeights.of(self.snapshot_getter())
        terms = list(dict.fromkeys(content_terms(question)))
        idf = {t: weights.idf(t) for t in terms}
        idf_total = sum(idf.values()) or 1.0
        kind = question_type(question)
        qv = question_vector if question_vector is not None else self.embedder.embed_array([question])[0]
        dense = self.sentence_vectors(candidates) @ qv
        max_idf = max(idf.values(), default=1.0) or 1.0
        by_passage: dict[str, tuple[float, float]] = {}
        for cand in candidates:
            chunk = cand.passage.chunk
            if chunk.chunk_id not in by_passage:
                in_passage = set(content_terms(chunk.text))
                missing = [idf[t] for t in terms if t not in in_passage]
                by_passage[chunk.chunk_id] = (
                    sum(idf[t] for t in terms if t in in_passage) / idf_total,
                    max(missing, default=0.0) / max_idf,
                )
        for cand, sim in zip(candidates, dense):
            present = set(content_terms(cand.text))
            hits = [t for t in terms if t in present]
            passage_coverage, missing_idf = by_passage[cand.passage.chunk.chunk_id]
            cand.features = {
                "dense": float(sim),
                "idf_coverage": sum(idf[t] for t in hits) / idf_total,
                "coverage": len(hits) / len(terms) if terms else 0.0,
                "type_match": 1.0 if has_answer_type(kind, cand.text, question) else 0.0,
                "rank_prior": 1.0 / math.sqrt(cand.passage.rank),
                "passage_dense": float(cand.passage.dense_score or 0.0),
                "passage_coverage": passage_coverage,
                "missing_idf": missing_idf,
            }
            cand.score = self.probability(cand.vector())

    def probability(self, vector: list[float]) -> float:
        """P(this sentence answers the question) under the sentence model."""
        return _logistic(self.weights, vector)

    @staticmethod
    def abstain_vector(best: Candidate) -> list[float]:
        f = best.features
        return [best.score, *(f[name] for name in ABSTAIN_FEATURES[1:])]

    def confidence(self, best: Candidate) -> float:
        """P(the question is answerable from these passages), from the best sentence; compared to the threshold."""
        if self.abstain_weights is None:
            return best.score
        return _logistic(self.abstain_weights, self.abstain_vector(best))

    def answer(self, question: str, passages: list[Passage], question_vector: np.ndarray | None = None) -> Answer:
        candidates = self.candidates(question, passages)
        self.featurize(question, candidates, question_vector)
        if not candidates:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True, passages=passages)
        ranked = sorted(candidates, key=lambda c: -c.score)
        best = ranked[0]
        confidence = self.confidence(best)
        if confidence < self.threshold:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True, passages=passages,
                          confidence=confidence)
        chosen = [best]
        for other in ranked[1:]:
            if len(chosen) >= self.max_sentences:
                break
            same_doc = other.passage.chunk.source == best.passage.chunk.source
            if same_doc and _gap(best, other) <= 2 and other.score >= max(self.threshold, 0.8 * best.score):
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

    def condense(self, question: str, history: list[dict] | None) -> str:
        """A follow-up gets the previous question's terms by the keyword heuristic (no model here)."""
        return contextual_query(question, history)

    def stream(self, question: str, passages: list[Passage], question_vector=None) -> Iterator[str | Answer]:
        answer = self.answer(question, passages, question_vector)
        yield answer.answer
        yield answer


def _logistic(weights: list[float] | None, vector: list[float]) -> float:
    if weights is None:
        return 0.0
    bias, *w = weights
    return sigmoid(bias + sum(a * b for a, b in zip(w, vector)))


def _gap(a: Candidate, b: Candidate) -> int:
    """Characters between two spans of the same document (0 when touching or overlapping)."""
    return max(0, max(a.start, b.start) - min(a.end, b.end))
