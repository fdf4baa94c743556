"""Plain data passed between the stages: documents, chunks, retrieved passages, citations and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A loaded source file. ``text`` is the text every offset refers to."""

    source: str
    text: str
    sha256: str
    # (char offset where the page starts, 1-based page number), for PDFs; empty otherwise.
    pages: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page


@dataclass(frozen=True)
class Chunk:
    """A span of a document: ``doc.text[start:end] == text``."""

    chunk_id: str
    source: str
    doc_sha256: str
    start: int
    end: int
    text: str
    page: int | None = None
    # Whole sentences overlapping the chunk, as absolute (start, end) offsets into the document text.
    sentences: tuple[tuple[int, int], ...] = ()

    def metadata(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("text")
        data["sentences"] = [list(s) for s in self.sentences]
        return data

    @classmethod
    def from_metadata(cls, text: str, meta: dict[str, Any]) -> Chunk:
        return cls(
            chunk_id=meta["chunk_id"],
            source=meta["source"],
            doc_sha256=meta["doc_sha256"],
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=text,
            page=meta.get("page"),
            sentences=tuple(tuple(s) for s in meta.get("sentences", ())),
        )


@dataclass(frozen=True)
class Passage:
    """A chunk as retrieved for one question: its fused score and 1-based rank."""

    chunk: Chunk
    score: float
    rank: int
    dense_score: float | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None  # 1-based rank in each retriever's own list (None: not in it)
    bm25_rank: int | None = None


@dataclass
class Citation:
    n: int
    source: str
    chunk_id: str
    start: int
    end: int
    quote: str
    score: float
    page: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = {
            "n": self.n,
            "source": self.source,
            "chunk_id": self.chunk_id,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "score": round(float(self.score), 6),
        }
        if self.page is not None:
            data["page"] = self.page
        return data


@dataclass
class SentenceCheck:
    """One answer sentence and whether its cited spans support it."""

    text: str
    citations: list[int]
    supported: bool
    support_score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": self.citations,
            "supported": self.supported,
            "support_score": round(float(self.support_score), 4),
        }


@dataclass(frozen=True)
class ShortAnswer:
    """The short answer to a factoid question: ``doc.text[start:end] == text``, inside a cited span."""

    text: str
    start: int
    end: int
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "source": self.source}


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    mode: str = "extractive"
    confidence: float = 0.0
    sentences: list[SentenceCheck] = field(default_factory=list)
    notice: str | None = None
    short_answer: ShortAnswer | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "short_answer": self.short_answer.to_json() if self.short_answer else None,
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(float(v), 3) for k, v in self.timings_ms.items()},
            "mode": self.mode,
            "confidence": round(float(self.confidence), 4),
        }
        if self.sentences:
            data["sentences"] = [s.to_json() for s in self.sentences]
        if self.notice:
            data["notice"] = self.notice
        return data
