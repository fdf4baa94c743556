"""Retrieval results as JSON, shared by ``POST /api/search`` and the MCP tool ``search_documents``."""

from __future__ import annotations

from rag.types import Passage
from rag.validation import clean_question


def passage_json(passage: Passage) -> dict:
    """One retrieved passage: ``text == document text[start:end]``, its fused score and each retriever's."""
    chunk = passage.chunk

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(float(value), 6)

    return {"rank": passage.rank, "source": chunk.source, "chunk_id": chunk.chunk_id, "start": chunk.start,
            "end": chunk.end, "text": chunk.text, "score": rounded(passage.score),
            "dense_score": rounded(passage.dense_score), "bm25_score": rounded(passage.bm25_score), "page": chunk.page}


def search_json(assistant, query: str, k: int | None) -> dict:
    """The chain's retrieval step alone (the question cleaned and checked as for an answer)."""
    query = clean_question(query, assistant.settings.max_question_chars)
    return {"query": query, "passages": [passage_json(p) for p in assistant.retrieve(query, k=k)]}
