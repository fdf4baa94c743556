"""Per-question metrics and their aggregation. Every definition here is restated in docs/EVAL.md.

Retrieval uses binary relevance with the BEIR (pytrec_eval) formulas; recall@k is the "hit rate" used for
single-evidence QA. Answer scores reuse the official SQuAD v2 normalisation from ``eval.squad``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from eval.squad import compute_exact, compute_f1, normalize_answer
from rag.cite import markers

# A citation marker as the answerers write it: "[1]", "[2, 3]", "[1; 4]".
CITATION_MARKER = markers.WITH_SPACE


# ---------------------------------------------------------------- retrieval


def recall_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when at least one of the first ``k`` retrieved items is relevant, else 0.0 (hit rate)."""
    return 1.0 if any(relevant[:k]) else 0.0


def mrr_at_k(relevant: Sequence[bool], k: int = 10) -> float:
    """Reciprocal of the 1-based rank of the first relevant item within the first ``k``; 0.0 if none."""
    for rank, rel in enumerate(relevant[:k], start=1):
        if rel:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(relevant: Sequence[bool], n_relevant: int, k: int = 10) -> float:
    """Binary nDCG@k: DCG = sum over ranks i<=k of rel_i / log2(i + 1); IDCG puts min(n_relevant, k) hits on top.

    ``n_relevant`` is the number of relevant items in the whole collection (as in a qrels file); it is raised to
    the number of relevant items actually retrieved if it was given too small. 0.0 when nothing is relevant.
    """
    hits = [i for i, rel in enumerate(relevant[:k], start=1) if rel]
    n_ideal = min(max(n_relevant, sum(1 for r in relevant if r)), k)
    if n_ideal == 0:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i in hits)
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, n_ideal + 1))
    return dcg / idcg


def retrieval_scores(relevant: Sequence[bool], n_relevant: int, depth: int = 10) -> dict[str, float]:
    """recall@1..depth, mrr@10 and ndcg@10 for one question's ranked relevance flags."""
    scores = {f"recall@{k}": recall_at_k(relevant, k) for k in range(1, depth + 1)}
    scores["mrr@10"] = mrr_at_k(relevant, 10)
    scores["ndcg@10"] = ndcg_at_k(relevant, n_relevant, 10)
    return scores


# ---------------------------------------------------------------- answers


def strip_citation_markers(text: str) -> str:
    """Remove ``[n]`` markers (and the space before them) from an answer."""
    return CITATION_MARKER.sub("", text).strip()


def contains_answer(gold: str, prediction: str) -> bool:
    """True when normalised ``gold`` occurs in normalised ``prediction`` on token boundaries."""
    gold_norm = normalize_answer(gold)
    if not gold_norm:
        return False
    return f" {gold_norm} " in f" {normalize_answer(prediction)} "


def answer_scores(golds: Sequence[str], prediction: str, short: str | None = None) -> dict[str, float]:
    """exact_match, f1 (max over gold answers, SQuAD v2) and contains for one answerable question.

    ``prediction`` is the answer text with citation markers already stripped; an abstention is scored as "".
    ``short`` is the short answer when there is one: exact_match and f1 are computed on it (DESIGN.md), contains
    on the answer text; ``text_f1`` is always the F1 of the answer text.
    Gold answers that normalise to nothing are dropped, as in the official script.
    """
    usable = [g for g in golds if normalize_answer(g)] or [""]
    scored = prediction if short is None else short
    return {
        "exact_match": float(max(compute_exact(g, scored) for g in usable)),
        "f1": float(max(compute_f1(g, scored) for g in usable)),
        "contains": 1.0 if any(contains_answer(g, prediction) for g in usable) else 0.0,
        "text_f1": float(max(compute_f1(g, prediction) for g in usable)),
    }


# ---------------------------------------------------------------- aggregation


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, or None when there is nothing to average (reported as null, never as 0)."""
    return float(sum(values) / len(values)) if values else None


def share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile with linear interpolation between order statistics (numpy's default)."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None
