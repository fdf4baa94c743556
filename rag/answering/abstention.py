"""Abstention: is the best unit an answer, or only the nearest text to an unanswerable question?

One logistic model (settings ``abstain_weights``: bias, then one weight per ``ABSTAIN_FEATURES``) over signals
chosen because they mean the same thing on any corpus, fitted jointly on the dev splits of several corpora by
`rag calibrate` (eval/calibration.json), with one threshold (``abstain_threshold``):
- the unit scorer's view of the best unit: its probability, its cosine with the question, the share of the
  question's IDF mass it covers, and its margin over the runner-up unit;
- the passage's view: the IDF mass of the question it covers and the rarest question term it lacks (unanswerable
  questions often hinge on one word the text never uses), and whether it contains the question's identifiers;
- the section path's overlap with the question (0 before ingestion records sections);
- retrieval agreement: where the top passage ranks in the dense and in the BM25 list;
- for factoid questions, the reader's view (rag.answering.short_answer): is a span of the expected type that the
  question does not already contain in the unit, and how probable is the best span;
- cheaper views of the same question on the unit itself (regular expressions, rag.answering.short_answer.
  unit_has_type): the best unit lacks anything of the expected type ("What is the default of X?" answered by a
  sentence that names X but no value), whether any of the three best units has it, and the rarest question term
  the best unit itself lacks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rag.answering.short_answer import FACTOID, Reading
from rag.retrieval.identifiers import identifier_coverage, question_identifiers
from rag.text import content_terms
from rag.types import Passage

ABSTAIN_FEATURES = ("best_probability", "dense", "idf_coverage", "margin", "passage_coverage", "missing_idf",
                    "identifiers", "section_match", "agreement", "factoid", "type_present", "span_probability",
                    "unit_type_absent", "unit_missing_idf", "top_units_typed")


def abstain_signals(question: str, best_features: dict[str, float], best_score: float, runner_up: float,
                    passage: Passage, top: Passage, reading: Reading | None,
                    top_units_typed: bool | None = None, identifiers: tuple[str, ...] | None = None) -> list[float]:
    """The abstention features of one question's best unit (see ABSTAIN_FEATURES). ``identifiers``: the
    question's identifiers that count (rag.retrieval.identifiers.distinctive_identifiers), by default all."""
    factoid = reading is not None and reading.kind in FACTOID
    section = getattr(passage.chunk, "section", None) or ""
    terms = set(content_terms(question))
    section_terms = set(content_terms(section))
    values = {
        "best_probability": best_score,
        "dense": best_features["dense"],
        "idf_coverage": best_features["idf_coverage"],
        "margin": best_score - runner_up,
        "passage_coverage": best_features["passage_coverage"],
        "missing_idf": best_features["missing_idf"],
        "identifiers": identifier_coverage(passage.chunk.text, question_identifiers(question)
                                           if identifiers is None else identifiers),
        "section_match": len(terms & section_terms) / len(terms) if terms and section_terms else 0.0,
        "agreement": 0.5 * (_inverse(top.dense_rank) + _inverse(top.bm25_rank)),
        "factoid": 1.0 if factoid else 0.0,
        "type_present": 1.0 if factoid and reading is not None and reading.type_present else 0.0,
        "span_probability": reading.probability if factoid and reading is not None else 0.0,
        "unit_type_absent": best_features.get("type_absent", 0.0),
        "unit_missing_idf": best_features.get("unit_missing_idf", 0.0),
        "top_units_typed": 1.0 if top_units_typed else 0.0,
    }
    return [values[name] for name in ABSTAIN_FEATURES]


def _inverse(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def logistic(weights: Sequence[float] | None, vector: Sequence[float]) -> float:
    if weights is None:
        return 0.0
    bias, *w = weights
    x = bias + sum(a * b for a, b in zip(w, vector))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))
