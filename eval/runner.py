"""Run gold questions through the assistant exactly as the CLI and the chat do, and score them.

Answers come from ``assistant.ask(question, k=k, history=..., mode=...)`` with the configured k. Retrieval
metrics use a separate ``assistant.retrieve(question, k=depth, history=...)`` call (same query rewriting,
same retriever), so recall@10 is measured at depth 10 whatever k the answerer gets. Latency is the wall time of
the ``ask`` call alone.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.aggregate import summarize
from eval.gold_io import GoldItem
from eval.judge import EvidenceJudge
from eval.records import score_question
from rag.errors import QuestionError

DEPTH = 10


@dataclass
class EvalRun:
    summary: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, per_question: bool = False) -> dict[str, Any]:
        data = dict(self.summary)
        if per_question:
            data["per_question"] = self.records
        return data


def describe(services, k: int | None, mode: str | None, depth: int) -> dict[str, Any]:
    """The configuration the figures were measured with."""
    settings = services.settings
    snapshot = services.view()
    return {
        "k": k or settings.k,
        "retrieval_depth": depth,
        "mode": services.assistant.effective_mode(mode),
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "fetch_k": settings.fetch_k,
        "retrieval_mode": settings.retrieval_mode,
        "mmr": settings.mmr,
        "abstain_threshold": settings.abstain_threshold,
        "embedding_model": snapshot.manifest.get("embedding", {}).get("model"),
        "index_dir": str(settings.index_dir),
        "store": services.store.location,
        "n_documents": len(snapshot.documents()),
        "n_chunks": snapshot.n_chunks,
    }


def run_eval(
    items: Sequence[GoldItem],
    services,
    k: int | None = None,
    mode: str | None = None,
    depth: int = DEPTH,
    progress: bool = True,
    embed_support: bool = True,
) -> EvalRun:
    """Ask every item, score it, and aggregate. ``embed_support`` enables the embedding arm of `supported`."""
    from tqdm import tqdm

    snapshot = services.view()
    judge = EvidenceJudge({source: doc.text for source, doc in snapshot.documents().items()},
                          [chunk for _, chunk in snapshot.iter_chunks()])
    assistant = services.assistant
    embed = services.embedder.embed_documents if embed_support else None
    records = []
    for item in tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress):
        answer, retrieved, latency, error = None, [], None, None
        try:
            retrieved = assistant.retrieve(item.question, k=depth, history=item.history)
            started = time.perf_counter()
            answer = assistant.ask(item.question, k=k, history=item.history, mode=mode)
            latency = (time.perf_counter() - started) * 1000
        except QuestionError as err:  # the question itself is rejected: scored as an empty, non-abstained answer
            error = str(err)
        records.append(score_question(item, answer, retrieved, judge, latency, embed, depth, error))
    summary = summarize(records, depth)
    summary["config"] = describe(services, k, mode, depth)
    return EvalRun(summary, records)
