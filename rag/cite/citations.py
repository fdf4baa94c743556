"""Citations: verbatim spans of the loaded document text, checked before they leave the core."""

from __future__ import annotations

from rag.cite import markers
from rag.store import StoreView
from rag.types import Citation, Passage


def cite(n: int, passage: Passage, start: int, end: int, score: float, snapshot: StoreView) -> Citation:
    """A citation for ``doc.text[start:end]`` of the passage's document; the quote is read, never retyped."""
    doc = snapshot.document(passage.chunk.source)
    if not (0 <= start < end <= len(doc.text)):
        raise ValueError(f"span {start}:{end} outside {doc.source}")
    return Citation(
        n=n,
        source=doc.source,
        chunk_id=passage.chunk.chunk_id,
        start=start,
        end=end,
        quote=doc.text[start:end],
        score=score,
        page=doc.page_at(start),
        section=doc.section_at(start),
        ocr=doc.ocr_at(start),
    )


def strip_markers(text: str) -> str:
    """The answer text without its ``[n]`` markers (for scoring and for reading aloud)."""
    return markers.strip(text)
