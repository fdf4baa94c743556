"""One scored record per gold question: what was asked, retrieved and answered, and every metric for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eval import metrics
from eval.citation_checks import answer_support, citation_valid
from eval.gold_io import GoldItem
from eval.judge import EvidenceJudge
from rag.types import Answer, Passage

Embed = Callable[[list[str]], list[list[float]]]


def _passage_json(passage: Passage, relevant: bool) -> dict[str, Any]:
    chunk = passage.chunk
    return {
        "rank": passage.rank,
        "chunk_id": chunk.chunk_id,
        "source": chunk.source,
        "start": chunk.start,
        "end": chunk.end,
        "score": round(float(passage.score), 6),
        "relevant": relevant,
        "text": chunk.text,
    }


def score_question(
    item: GoldItem,
    answer: Answer | None,
    retrieved: Sequence[Passage],
    judge: EvidenceJudge,
    latency_ms: float | None,
    embed: Embed | None = None,
    depth: int = 10,
    error: str | None = None,
) -> dict[str, Any]:
    """Score one question. ``retrieved`` is the depth-``depth`` ranking used for the retrieval metrics; the
    answer's own ``passages`` are what its citations must point into. ``answer`` is None when asking failed."""
    flags = [judge.is_relevant(p.chunk, item.evidence) for p in retrieved[:depth]]
    record: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "split": item.split,
        "type": item.extra.get("type"),
        "answerable": item.answerable,
        "gold_answers": item.answers,
        "gold_evidence": item.evidence,
        "gold_source": item.source,
        "answer": answer.answer if answer else "",
        "short_answer": answer.short_answer.to_json() if answer and answer.short_answer else None,
        "abstained": bool(answer and answer.abstained),
        "mode": answer.mode if answer else None,
        "confidence": round(float(answer.confidence), 4) if answer else None,
        "notice": answer.notice if answer else None,
        "error": error,
        "latency_ms": latency_ms,
        "timings_ms": dict(answer.timings_ms) if answer else {},
        "retrieved": [_passage_json(p, rel) for p, rel in zip(retrieved[:depth], flags)],
        "metrics": {},
    }
    scores: dict[str, Any] = record["metrics"]
    if item.answerable:
        if item.evidence:  # without evidence there is nothing to judge retrieval by
            n_relevant = len(judge.relevant_chunk_ids(item.evidence))
            record["n_relevant"] = n_relevant
            scores.update(metrics.retrieval_scores(flags, n_relevant, depth))
        prediction = "" if record["abstained"] else metrics.strip_citation_markers(record["answer"])
        short = record["short_answer"]["text"] if record["short_answer"] and not record["abstained"] else None
        scores.update(metrics.answer_scores(item.answers, prediction, short))

    citations, sentences = _check_citations(answer, judge, embed) if answer else ([], [])
    record["citations"] = citations
    record["sentences"] = sentences
    scores["citations_total"] = len(citations)
    scores["citations_valid"] = sum(c["valid"] for c in citations)
    scored = [s for s in sentences if s["supported"] is not None]
    scores["sentences_scored"] = len(scored)
    scores["sentences_supported"] = sum(bool(s["supported"]) for s in scored)
    return record


def _check_citations(answer: Answer, judge: EvidenceJudge, embed: Embed | None) -> tuple[list[dict], list[dict]]:
    passage_ids = {p.chunk.chunk_id for p in answer.passages}
    citations = []
    for citation in answer.citations:
        data = citation.to_json()
        doc_text = judge.documents.get(citation.source)
        data["valid"] = citation_valid(
            citation.quote, citation.start, citation.end, doc_text, passage_ids, citation.chunk_id
        )
        citations.append(data)
    if answer.abstained:
        return citations, []
    quotes = {c.n: c.quote for c in answer.citations}
    sentences = [s.to_json() for s in answer_support(answer.answer, quotes, embed)]
    return citations, sentences
