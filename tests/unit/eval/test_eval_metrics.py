"""Metric definitions on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from eval import metrics
from eval.relevance import contains_quote, is_relevant, quote_spans

# Toy ranking: relevant at ranks 2 and 5; the collection holds 3 relevant items.
RANKING = [False, True, False, False, True, False, False, False, False, False]


def test_recall_at_k_is_hit_rate():
    assert metrics.recall_at_k(RANKING, 1) == 0.0
    assert metrics.recall_at_k(RANKING, 2) == 1.0
    assert metrics.recall_at_k(RANKING, 10) == 1.0
    assert metrics.recall_at_k([False] * 10, 10) == 0.0
    assert metrics.recall_at_k([], 5) == 0.0


def test_mrr_uses_first_relevant_rank_within_10():
    assert metrics.mrr_at_k(RANKING) == 0.5
    assert metrics.mrr_at_k([True]) == 1.0
    assert metrics.mrr_at_k([False] * 10 + [True]) == 0.0


def test_ndcg_binary_with_collection_relevant_count():
    dcg = 1 / math.log2(3) + 1 / math.log2(6)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg_at_k(RANKING, n_relevant=3) == pytest.approx(dcg / idcg, abs=1e-15)
    # Hand value: (0.6309297535714575 + 0.38685280723454163) / (1 + 0.6309297535714575 + 0.5)
    assert metrics.ndcg_at_k(RANKING, n_relevant=3) == pytest.approx(0.4776, abs=1e-4)


def test_ndcg_edge_cases():
    assert metrics.ndcg_at_k([True], n_relevant=1) == 1.0
    assert metrics.ndcg_at_k([False] * 10, n_relevant=2) == 0.0
    assert metrics.ndcg_at_k([False] * 10, n_relevant=0) == 0.0
    # n_relevant given too small is raised to the retrieved relevant count: two hits at 1, 2 is ideal.
    assert metrics.ndcg_at_k([True, True], n_relevant=1) == 1.0
    # More than 10 relevant: IDCG is capped at 10 positions, so 10 hits in 10 is perfect.
    assert metrics.ndcg_at_k([True] * 10, n_relevant=25) == pytest.approx(1.0)


def test_retrieval_scores_bundle():
    scores = metrics.retrieval_scores(RANKING, n_relevant=3)
    assert [scores[f"recall@{k}"] for k in range(1, 11)] == [0.0] + [1.0] * 9
    assert scores["mrr@10"] == 0.5


@pytest.mark.parametrize(
    ("gold", "pred", "em", "f1"),
    [
        ("France", "France", 1.0, 1.0),
        ("the France", "France.", 1.0, 1.0),
        ("10th and 11th centuries", "in the 10th and 11th centuries", 0.0, 2 * 1.0 * 0.8 / 1.8),
        ("Richard I of Normandy", "Richard", 0.0, 2 * 1.0 * 0.25 / 1.25),
        ("France", "Norway", 0.0, 0.0),
        ("France", "", 0.0, 0.0),
    ],
)
def test_exact_and_f1_on_known_pairs(gold, pred, em, f1):
    scores = metrics.answer_scores([gold], pred)
    assert scores["exact_match"] == em
    assert scores["f1"] == pytest.approx(f1, abs=1e-12)


def test_f1_is_max_over_gold_answers():
    scores = metrics.answer_scores(["Rollo", "Rollo, a Viking leader"], "a Viking leader")
    # vs "rollo viking leader": p = 2/2, r = 2/3 -> 0.8; vs "rollo": 0.
    assert scores["f1"] == pytest.approx(0.8)
    assert scores["exact_match"] == 0.0


def test_contains_on_token_boundaries():
    assert metrics.contains_answer("France", "It is in France, in Europe.")
    assert metrics.contains_answer("the 10th century", "During 10th century!")
    assert not metrics.contains_answer("France", "Frances is a name")
    assert not metrics.contains_answer("an", "an apple")  # normalises to nothing
    assert metrics.answer_scores(["Rhine", "Rhein"], "the Rhein river")["contains"] == 1.0


def test_strip_citation_markers():
    assert metrics.strip_citation_markers("It is France [1]. Also Norway [2, 3].") == "It is France. Also Norway."
    assert metrics.strip_citation_markers("No markers.") == "No markers."
    assert metrics.answer_scores(["France"], metrics.strip_citation_markers("France [1]"))["exact_match"] == 1.0


def test_aggregates():
    assert metrics.mean([]) is None
    assert metrics.mean([1.0, 0.0, 0.5]) == 0.5
    assert metrics.share(1, 4) == 0.25
    assert metrics.share(0, 0) is None
    assert metrics.percentile([10, 20, 30, 40], 50) == 25.0
    assert metrics.percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert metrics.percentile([], 50) is None


DOC = "Alpha beta.  Gamma\ndelta epsilon. Zeta eta."


def test_quote_spans_are_whitespace_insensitive():
    assert quote_spans(DOC, "Gamma delta") == [(13, 24)]
    assert DOC[13:24] == "Gamma\ndelta"
    assert quote_spans(DOC, "missing") == []
    assert contains_quote("x Gamma   delta y", "Gamma\tdelta")


def test_relevance_by_containment_or_overlap():
    quotes = ["Gamma delta epsilon."]
    start = DOC.index("Gamma")
    # Chunk holding the whole quote.
    assert is_relevant(DOC[0:40], 0, 40, DOC, quotes)
    # Chunk overlapping the quote by one character only (ends just after "G").
    assert is_relevant(DOC[0 : start + 1], 0, start + 1, DOC, quotes)
    # Chunk ending exactly where the quote starts: half-open spans do not overlap.
    assert not is_relevant(DOC[0:start], 0, start, DOC, quotes)
    # Chunk of another document with the same sentence: contained, so relevant.
    assert is_relevant("Other text. Gamma delta epsilon. More.", 0, 38, None, quotes)
    zeta = DOC.index("Zeta")
    assert not is_relevant(DOC[zeta:], zeta, len(DOC), DOC, quotes)


def test_em_and_f1_score_the_short_answer_and_contains_the_answer_text():
    text = "Rollo, a Viking leader, founded the duchy in 911."
    scores = metrics.answer_scores(["Rollo"], text, short="Rollo")
    assert scores["exact_match"] == 1.0 and scores["f1"] == 1.0 and scores["contains"] == 1.0
    assert scores["text_f1"] == metrics.answer_scores(["Rollo"], text)["f1"] < 0.5
    wrong = metrics.answer_scores(["Rollo"], text, short="911")
    assert wrong["exact_match"] == 0.0 and wrong["f1"] == 0.0 and wrong["contains"] == 1.0
