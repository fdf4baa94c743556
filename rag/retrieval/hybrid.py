"""Hybrid retrieval: FAISS dense + BM25, fused by reciprocal-rank fusion, as a LangChain retriever."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.embedding import Embedder
from rag.retrieval.abbreviations import asked_abbreviation, definition
from rag.retrieval.definitions import asked_subject, defines, titled
from rag.retrieval.identifiers import EXACT_SHARE, boosted_query, distinctive_identifiers, exact_matches, selective
from rag.store import StoreView
from rag.types import Passage


def rrf_fuse(rankings: list[list[int]], rrf_k: int, weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion (Cormack et al. 2009): score(d) = sum over lists of weight / (rrf_k + rank)."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (rrf_k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def mmr_order(candidates: list[int], vectors: np.ndarray, query: np.ndarray, k: int, lam: float) -> list[int]:
    """Maximal marginal relevance over ``candidates`` (rows of ``vectors``), keeping k."""
    chosen: list[int] = []
    relevance = vectors @ query
    remaining = list(range(len(candidates)))
    while remaining and len(chosen) < k:
        if chosen:
            redundancy = (vectors[remaining] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(remaining))
        scores = lam * relevance[remaining] - (1 - lam) * redundancy
        best = remaining[int(np.argmax(scores))]
        chosen.append(best)
        remaining.remove(best)
    return [candidates[i] for i in chosen]


def sentence_rescore(snapshot: StoreView, query_vector: np.ndarray, dense: list[tuple[int, float]],
                     sparse: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The dense ranking of the candidate pool (dense and BM25 hits), ordered by chunk cosine + best-sentence
    cosine. Chunk vectors are means of sentence vectors (rag.store.sentence_table), which blur a chunk's single
    answering sentence; adding that sentence's own similarity recovers it: dense recall@5 on the SQuAD slice
    0.837 (chunk mean alone) -> 0.907, against 0.894 for embedding whole chunks; hybrid 0.948 vs 0.953.
    Returns (position, chunk cosine) pairs in the new order."""
    cosine = dict(dense)
    pool = list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in sparse]))
    missing = [i for i in pool if i not in cosine]
    if missing:
        for i, score in zip(missing, snapshot.chunk_vectors(missing) @ query_vector):
            cosine[i] = float(score)
    best = snapshot.best_unit_scores(pool, query_vector)
    order = sorted(zip(pool, best), key=lambda item: -(cosine[item[0]] + float(item[1])))
    return [(i, cosine[i]) for i, _ in order]


# How many passages BM25 finds for the thing a "What is X?" question asks about (rag.retrieval.definitions) are
# looked at for one that says what it is: "Pydantic" is in 300 of the FastAPI pages' chunks, and the chunk saying
# what it is is BM25's 10th for it ("OpenAPI": 7th, "etcd" 13th, "middleware" 11th). On the dev questions every
# definition that was cited was within the first 50; each passage read costs a few microseconds (3 ms for 100).
SUBJECT_DEPTH = 100


def defining_first(snapshot: StoreView, order: list[int], query: str, depth: int) -> list[int]:
    """For "What does CRI stand for?": the fused candidates that define the abbreviation ("Container Runtime
    Interface (CRI)") first, in their fused order, then the others; the ``depth`` passages BM25 finds for the
    abbreviation alone are looked at too. The same for "What is a DaemonSet?" / "What does the kube-scheduler do?"
    and the passages that say what it is or does (rag.retrieval.definitions). The passage that defines it shares one
    rare word with the question, the abbreviation, as does every passage that merely uses it, and the answerer reads
    only the first k."""
    abbr = asked_abbreviation(query)
    defining: list[int] = []
    if abbr is not None:
        # the passages richest in the abbreviation itself, beside those the whole question found: a definition may
        # share no other word with the question ("... when talking about the API server")
        pool = list(dict.fromkeys(order + [i for i, _ in snapshot.keyword_search(abbr, depth)]))
        defining = [i for i in pool if definition(snapshot.chunk(i).text, abbr) is not None]
    subject = asked_subject(query) if not defining else None  # "What is OpenAPI?" names no abbreviation after all
    if subject is not None:  # a thing is named far more often than an abbreviation is spelled out: BM25 reads deeper
        pool = list(dict.fromkeys(order + [i for i, _ in snapshot.keyword_search(subject, SUBJECT_DEPTH)]))
        strength = {i: defines(snapshot.chunk(i).text, subject) for i in pool}
        # the page about it first (its title names it), then what says what it is, then what says what it does
        defining = sorted((i for i in pool if strength[i]),
                          key=lambda i: (not titled(snapshot.chunk(i).section, subject),
                                         -strength[i]))
    first = set(defining)
    return defining + [i for i in order if i not in first]


class HybridRetriever(BaseRetriever):
    """Dense + BM25 over one index snapshot. ``retrieve`` returns Passages; LangChain calls return Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    snapshot_getter: Callable[[], StoreView]
    embedder: Embedder
    k: int = 5
    fetch_k: int = 30
    rrf_k: int = 60
    mode: str = "hybrid"
    mmr: bool = False
    mmr_lambda: float = 0.7
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # fusion: dense, BM25, exact identifier matches
    identifier_boost: int = 0  # extra BM25 weight of the question's identifier terms

    def retrieve(self, query: str, k: int | None = None, query_vector: np.ndarray | None = None) -> list[Passage]:
        k = k or self.k
        snapshot = self.snapshot_getter()
        if snapshot.n_chunks == 0:
            return []
        depth = max(self.fetch_k, k)
        dense: list[tuple[int, float]] = []
        if self.mode in ("hybrid", "dense"):
            if query_vector is None:
                query_vector = cast(np.ndarray, self.embedder.embed_array([query])[0])  # a row: numpy types it Any
            dense = snapshot.dense_search(query_vector, depth)
        stats = snapshot.term_stats()
        identifiers = distinctive_identifiers(query, stats)
        sparse = (snapshot.keyword_search(boosted_query(query, self.identifier_boost, identifiers), depth)
                  if self.mode in ("hybrid", "bm25") else [])
        if dense:
            assert query_vector is not None  # dense results come from the dense branch above, which set it
            dense = sentence_rescore(snapshot, query_vector, dense, sparse)
        dense_scores = dict(dense)
        sparse_scores = dict(sparse)
        rankings = [[i for i, _ in dense], [i for i, _ in sparse]]
        if identifiers and self.mode == "hybrid":
            rankings.append(exact_matches(snapshot, rankings, selective(identifiers, stats, EXACT_SHARE)))
        fused = rrf_fuse(rankings, self.rrf_k, list(self.weights) if self.mode == "hybrid" else None)
        dense_rank = {i: r for r, i in enumerate(rankings[0], start=1)}
        bm25_rank = {i: r for r, i in enumerate(rankings[1], start=1)}
        order = defining_first(snapshot, [i for i, _ in fused], query, depth)
        if self.mmr and query_vector is not None and len(order) > k:
            pool = order[: max(k * 3, k)]
            order = mmr_order(pool, snapshot.chunk_vectors(pool), query_vector, k, self.mmr_lambda)
        fused_score = dict(fused)
        floor = min(fused_score.values(), default=0.0)
        return [
            Passage(
                chunk=snapshot.chunk(i),
                score=fused_score.get(i, floor),  # floor: a defining passage only BM25 of the abbreviation found
                rank=rank,
                dense_score=dense_scores.get(i),
                bm25_score=sparse_scores.get(i),
                dense_rank=dense_rank.get(i),
                bm25_rank=bm25_rank.get(i),
            )
            for rank, i in enumerate(order[:k], start=1)
        ]

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [
            LCDocument(
                page_content=p.chunk.text,
                metadata=dict(p.chunk.metadata(), score=p.score, rank=p.rank, dense_score=p.dense_score,
                              bm25_score=p.bm25_score),
            )
            for p in self.retrieve(query)
        ]
