"""Plain data passed between the stages: documents, chunks, retrieved passages, citations and answers."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any


def chunk_id(doc_sha256: str, start: int, end: int) -> str:
    """The stable id of the span [start, end) of one version of a document."""
    return hashlib.sha256(f"{doc_sha256}:{start}:{end}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Document:
    """A loaded source file. ``text`` is the text every offset refers to.

    ``sections``: (char offset where a section starts, its path "Title > Heading > Subheading"), sorted by
    offset, from the front-matter/HTML title and the headings (Markdown, HTML, .docx heading styles, PDF
    outline); empty for plain text and for documents stored by an index format without sections.
    ``units``: the answer units the loader found, (start, end, kind) with ``text[start:end]`` the unit
    (rag.ingest.structure); held in memory while indexing only, never stored (the chunks keep them).
    ``note``: one line when the structure could not be read and the file was indexed as plain text.
    ``ocr_pages``: the page numbers whose text is Tesseract's reading of a scanned page or image (the text there
    is the OCR output, which every offset refers to); an image file is page 1.
    ``parent``: for a document found inside another file (an e-mail attachment, source ``mail.eml#name``), the
    source of that file; it is indexed, updated and removed with it.
    """

    source: str
    text: str
    sha256: str
    # (char offset where the page starts, 1-based page number), for PDFs; empty otherwise.
    pages: tuple[tuple[int, int], ...] = ()
    sections: tuple[tuple[int, str], ...] = ()
    units: tuple[tuple[int, int, str], ...] = field(default=(), compare=False, repr=False)
    note: str | None = field(default=None, compare=False)
    ocr_pages: tuple[int, ...] = ()
    parent: str | None = None

    def page_at(self, offset: int) -> int | None:
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page

    def ocr_at(self, offset: int) -> bool:
        """Whether the text at ``offset`` was read by OCR."""
        return bool(self.ocr_pages) and self.page_at(offset) in self.ocr_pages

    def section_at(self, offset: int) -> str | None:
        """The path of the section holding ``offset`` (None before the first section or without sections)."""
        i = bisect_right(self.sections, offset, key=lambda s: s[0])
        return (self.sections[i - 1][1] or None) if i else None


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
    # The answer units overlapping the chunk (they may run past its edges), as absolute (start, end) offsets into
    # the document text, sorted and disjoint; ``text[start:end]`` is the unit, verbatim. A unit is a sentence of
    # a prose paragraph, a whole list item (a definition-style bullet with its continuation sentences; a long
    # item gives its sentences instead), a table row, or a code block (whole, or groups of its lines when long).
    # Headings, front matter, heading anchors, HTML comments, shortcode and directive lines and link reference
    # definitions are never inside a unit. See rag.ingest.structure.
    sentences: tuple[tuple[int, int], ...] = ()
    # Parallel to ``sentences``: "sentence", "list_item", "table_row", "code", or "text" (a sentence of plain
    # text, .txt/.pdf, split by pysbd line by line). Empty for chunks stored before units existed.
    unit_kinds: tuple[str, ...] = ()
    # The section path ("Guide > Configuration > Timeouts") at the chunk's start, or at its first unit when that
    # starts later (a chunk opening with a heading is in that heading's section); None when there is none.
    section: str | None = None

    def metadata(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("text")
        data["sentences"] = [list(s) for s in self.sentences]
        data["unit_kinds"] = list(self.unit_kinds)
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
            unit_kinds=tuple(meta.get("unit_kinds", ())),
            section=meta.get("section"),
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


@dataclass(frozen=True)
class PromptPassage:
    """Passage ``n`` as shown to the model: ``text`` is ``doc.text[start:end]`` (a prefix of the chunk)."""

    n: int
    passage: Passage
    start: int
    end: int
    text: str


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
    section: str | None = None  # the section path at ``start`` (Document.section_at)
    ocr: bool = False  # the quote is OCR output of a scanned page or image (Document.ocr_at)

    def to_json(self) -> dict[str, Any]:
        data = {
            "n": self.n,
            "source": self.source,
            "chunk_id": self.chunk_id,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "score": round(float(self.score), 6),
            "section": self.section,
        }
        if self.page is not None:
            data["page"] = self.page
        if self.ocr:
            data["ocr"] = True
        return data


@dataclass
class ClaimCheck:
    """One claim of an answer sentence (a clause or predicate) and the span of a cited passage it was checked on."""

    text: str
    supported: bool
    support_score: float
    unsupported_reason: str | None = None
    citation: int | None = None  # the marker number of the passage holding the span
    start: int | None = None  # the span, as offsets into that passage's document text
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "supported": self.supported,
            "support_score": round(float(self.support_score), 4),
            "unsupported_reason": self.unsupported_reason,
            "citation": self.citation,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class SentenceCheck:
    """One answer sentence and whether its cited spans support it (and if not, why)."""

    text: str
    citations: list[int]
    supported: bool
    support_score: float
    unsupported_reason: str | None = None  # e.g. "negation differs", "number 6 not in the cited text"
    claims: list[ClaimCheck] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = {
            "text": self.text,
            "citations": self.citations,
            "supported": self.supported,
            "support_score": round(float(self.support_score), 4),
            "unsupported_reason": self.unsupported_reason,
        }
        if self.claims:
            data["claims"] = [c.to_json() for c in self.claims]
        return data


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
