"""Scoring one question and aggregating records, on hand-built cases with hand-computed figures."""

from __future__ import annotations

import pytest

from eval.aggregate import summarize
from eval.gold_io import GoldItem
from eval.judge import EvidenceJudge
from eval.records import score_question
from rag.types import Answer, Chunk, Citation, Passage

DOC = "Rollo was a Viking. He founded Normandy in 911. The duchy lasted long. Paris is far away."
SRC = "/corpus/normans.txt"
OTHER = "/corpus/other.txt"
OTHER_TEXT = "Unrelated text about rivers. The Rhine is long."


def _chunk(cid, start, end, source=SRC, text=DOC):
    return Chunk(cid, source, "sha", start, end, text[start:end])


CHUNKS = [
    _chunk("c0", 0, 20),  # "Rollo was a Viking. "
    _chunk("c1", 20, 48),  # "He founded Normandy in 911."
    _chunk("c2", 40, 71),  # overlaps the end of the evidence sentence
    _chunk("c3", 71, len(DOC)),
    _chunk("o0", 0, len(OTHER_TEXT), OTHER, OTHER_TEXT),
]
JUDGE = EvidenceJudge({SRC: DOC, OTHER: OTHER_TEXT}, CHUNKS)
ITEM = GoldItem("q1", "When was Normandy founded?", ["911", "in 911"], ["He founded Normandy in 911."], "normans.txt")


def _passages(ids):
    by_id = {c.chunk_id: c for c in CHUNKS}
    return [Passage(by_id[cid], score=1.0 / r, rank=r) for r, cid in enumerate(ids, start=1)]


def test_collection_relevant_chunks_use_containment_or_overlap():
    assert JUDGE.relevant_chunk_ids(ITEM.evidence) == {"c1", "c2"}


def test_score_question_retrieval_answer_and_citations():
    retrieved = _passages(["o0", "c0", "c2", "c3", "c1"])  # relevant at ranks 3 and 5, 2 relevant in collection
    answer_passages = _passages(["c1", "c0"])
    good = Citation(1, SRC, "c1", 20, 47, DOC[20:47], 0.9)
    wrong_quote = Citation(2, SRC, "c0", 0, 19, "Rollo was a viking.", 0.5)
    not_retrieved = Citation(3, SRC, "c3", 71, 91, DOC[71:91], 0.4)
    answer = Answer(
        ITEM.question,
        "He founded Normandy in 911. [1] Rollo was a Viking. [2] Paris is far away. [3]",
        False,
        citations=[good, wrong_quote, not_retrieved],
        passages=answer_passages,
    )
    record = score_question(ITEM, answer, retrieved, JUDGE, latency_ms=12.5)
    m = record["metrics"]
    assert [p["relevant"] for p in record["retrieved"]] == [False, False, True, False, True]
    assert record["n_relevant"] == 2
    assert (m["recall@1"], m["recall@3"], m["recall@5"], m["recall@10"]) == (0.0, 1.0, 1.0, 1.0)
    assert m["mrr@10"] == pytest.approx(1 / 3)
    # DCG = 1/log2(4) + 1/log2(6); IDCG = 1 + 1/log2(3)
    assert m["ndcg@10"] == pytest.approx((0.5 + 0.38685280723454163) / (1 + 0.6309297535714575))
    # The answer text, markers stripped, contains "911" but is not equal to a gold answer.
    assert (m["exact_match"], m["contains"]) == (0.0, 1.0)
    # 12 normalised tokens ("a" dropped); best gold "in 911" shares 2: p = 2/12, r = 1, F1 = 2/7.
    assert m["f1"] == pytest.approx(2 / 7)
    assert [c["valid"] for c in record["citations"]] == [True, False, False]
    assert (m["citations_total"], m["citations_valid"]) == (3, 1)
    # Each sentence repeats its own quote verbatim (the wrong-case quote still holds the same words).
    assert (m["sentences_scored"], m["sentences_supported"]) == (3, 3)
    assert record["latency_ms"] == 12.5


def test_abstention_scores_as_empty_answer():
    answer = Answer(ITEM.question, "I could not find this in the documents.", True, passages=_passages(["c1"]))
    record = score_question(ITEM, answer, _passages(["c1"]), JUDGE, latency_ms=1.0)
    assert record["abstained"]
    assert record["metrics"]["f1"] == 0.0 and record["metrics"]["recall@1"] == 1.0
    assert record["sentences"] == []


def test_unanswerable_question_has_no_retrieval_or_answer_scores():
    item = GoldItem("q2", "Who won in 2030?", [], [], None)
    answer = Answer(item.question, "Nobody knows.", True)
    record = score_question(item, answer, _passages(["c0"]), JUDGE, latency_ms=3.0)
    assert "recall@1" not in record["metrics"] and "f1" not in record["metrics"]
    assert record["retrieved"][0]["relevant"] is False


def test_answerable_without_evidence_has_answer_but_no_retrieval_scores():
    item = GoldItem("q3", "When?", ["911"], [], None)
    record = score_question(item, Answer(item.question, "911 [1]", False), _passages(["c1"]), JUDGE, 1.0)
    assert "recall@1" not in record["metrics"] and record["metrics"]["exact_match"] == 1.0
    assert summarize([record])["retrieval"]["recall@1"] is None


def _record(answerable, abstained, latency, **metrics):
    base = {"citations_total": 0, "citations_valid": 0, "sentences_scored": 0, "sentences_supported": 0}
    return {"answerable": answerable, "abstained": abstained, "latency_ms": latency, "error": None,
            "metrics": {**base, **metrics}}


def test_summarize_hand_computed():
    ranks = {f"recall@{k}": 1.0 for k in range(1, 11)}
    miss = {f"recall@{k}": 0.0 for k in range(1, 11)}
    records = [
        _record(True, False, 10.0, **ranks, **{"mrr@10": 1.0, "ndcg@10": 1.0, "exact_match": 1.0, "f1": 1.0,
                                                "contains": 1.0, "citations_total": 2, "citations_valid": 2,
                                                "sentences_scored": 2, "sentences_supported": 1}),
        _record(True, True, 20.0, **miss, **{"mrr@10": 0.0, "ndcg@10": 0.0, "exact_match": 0.0, "f1": 0.0,
                                              "contains": 0.0}),
        _record(False, True, 30.0),
        _record(False, False, 40.0, citations_total=1, citations_valid=0, sentences_scored=1),
    ]
    s = summarize(records)
    assert (s["n"], s["n_answerable"], s["n_unanswerable"]) == (4, 2, 2)
    assert s["retrieval"] == {"recall@1": 0.5, "recall@5": 0.5, "recall@10": 0.5, "mrr@10": 0.5, "ndcg@10": 0.5}
    assert s["answer"] == {"exact_match": 0.5, "f1": 0.5, "contains": 0.5, "text_f1": None}  # no text_f1 given
    assert s["citations"] == {"valid": 2 / 3, "supported": 1 / 3}
    assert s["abstention"] == {"correct_refusal": 0.5, "false_refusal": 0.5}
    assert s["latency_ms"] == {"p50": 25.0, "p95": pytest.approx(38.5)}
    assert s["recall_curve"]["10"] == 0.5


def test_summarize_reports_null_when_undefined():
    s = summarize([_record(False, True, 5.0)])
    assert s["retrieval"]["recall@1"] is None and s["answer"]["f1"] is None
    assert s["citations"] == {"valid": None, "supported": None}
    assert s["abstention"] == {"correct_refusal": 1.0, "false_refusal": None}
