"""The abstention signals (rag.answering.abstention): one vector per question, the same meaning on any corpus."""

from __future__ import annotations

from rag.answering.abstention import ABSTAIN_FEATURES, abstain_signals, logistic
from rag.answering.short_answer import ENTITY, NONE, Reading
from rag.types import Chunk, Passage

FEATURES = {"dense": 0.7, "idf_coverage": 0.8, "passage_coverage": 0.9, "missing_idf": 0.2}


def _passage(text: str, rank: int, dense_rank: int | None, bm25_rank: int | None) -> Passage:
    return Passage(Chunk("c", "doc.md", "h", 0, len(text), text), 0.03, rank, 0.5, 3.0, dense_rank, bm25_rank)


def test_signals_follow_the_feature_names():
    passage = _passage("Set `maxRetries` to 6.", 1, 1, 4)
    reading = Reading(ENTITY, None, 0.8, True)
    values = dict(zip(ABSTAIN_FEATURES, abstain_signals("What is maxRetries set to?", FEATURES, 0.9, 0.6, passage,
                                                        passage, reading)))
    assert values["best_probability"] == 0.9 and abs(values["margin"] - 0.3) < 1e-9
    assert values["identifiers"] == 1.0
    assert values["agreement"] == 0.5 * (1 + 1 / 4)
    assert values["factoid"] == 1.0 and values["type_present"] == 1.0 and values["span_probability"] == 0.8
    assert values["section_match"] == 0.0  # no section path recorded


def test_a_missing_identifier_and_a_non_factoid_question():
    passage = _passage("Retries are counted per job.", 2, None, 1)
    values = dict(zip(ABSTAIN_FEATURES, abstain_signals("Why is maxRetries reset?", FEATURES, 0.9, 0.9, passage,
                                                        passage, Reading(NONE))))
    assert values["identifiers"] == 0.0
    assert values["agreement"] == 0.5
    assert values["factoid"] == values["type_present"] == values["span_probability"] == 0.0


def test_logistic():
    assert logistic([0.0, 1.0], [0.0]) == 0.5
    assert logistic(None, [1.0]) == 0.0
    assert logistic([10.0], []) > 0.99
