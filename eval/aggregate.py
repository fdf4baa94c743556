"""Per-question records -> the `rag eval --json` summary object (DESIGN.md), plus a few extras.

Rates are in 0..1. A figure with nothing to average (no answerable questions, no citations, ...) is None
(JSON null), never 0. Retrieval and answer figures are means over answerable questions; citation figures pool
all citations / scored sentences of the run; latency is over every question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics import mean, percentile, share

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
ANSWER_KEYS = ("exact_match", "f1", "contains", "text_f1")


def summarize(records: Sequence[dict[str, Any]], depth: int = 10) -> dict[str, Any]:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]

    def avg(key: str, group: Sequence[dict[str, Any]]) -> float | None:
        return mean([r["metrics"][key] for r in group if key in r["metrics"]])

    totals = {
        key: sum(r["metrics"][key] for r in records)
        for key in ("citations_total", "citations_valid", "sentences_scored", "sentences_supported")
    }
    latencies = [r["latency_ms"] for r in records if r["latency_ms"] is not None]
    return {
        "n": len(records),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "retrieval": {key: avg(key, answerable) for key in RETRIEVAL_KEYS},
        "answer": {key: avg(key, answerable) for key in ANSWER_KEYS},
        "citations": {
            "valid": share(totals["citations_valid"], totals["citations_total"]),
            "supported": share(totals["sentences_supported"], totals["sentences_scored"]),
        },
        "abstention": {
            "correct_refusal": share(sum(r["abstained"] for r in unanswerable), len(unanswerable)),
            "false_refusal": share(sum(r["abstained"] for r in answerable), len(answerable)),
        },
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "recall_curve": {str(k): avg(f"recall@{k}", answerable) for k in range(1, depth + 1)},
        "counts": {
            "citations": totals["citations_total"],
            "citations_valid": totals["citations_valid"],
            "sentences_scored": totals["sentences_scored"],
            "sentences_supported": totals["sentences_supported"],
            "abstained": sum(r["abstained"] for r in records),
            "errors": sum(r["error"] is not None for r in records),
        },
    }


def by_group(records: Sequence[dict[str, Any]], field: str) -> dict[str, dict[str, Any]]:
    """The headline figures per value of ``field`` (e.g. "type" or "split") for the report."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(str(record.get(field)), []).append(record)
    return {name: summarize(group) for name, group in sorted(groups.items())}
