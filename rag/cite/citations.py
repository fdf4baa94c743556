"""Citations: verbatim spans of the loaded document text, checked before they leave the core."""

from __future__ import annotations

import re

from rag.store.snapshot import IndexSnapshot
from rag.types import Citation, Passage

MARKER = re.compile(r"\[(\d{1,3})\]")


def cite(n: int, passage: Passage, start: int, end: int, score: float, snapshot: IndexSnapshot) -> Citation:
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


def is_verbatim(citation: Citation, snapshot: IndexSnapshot) -> bool:
    doc = snapshot.docs.get(citation.source)
    return doc is not None and doc.text[citation.start:citation.end] == citation.quote


def strip_markers(text: str) -> str:
    """The answer text without its ``[n]`` markers (for scoring and for reading aloud)."""
    previous = None
    while previous != text:  # removing "[1]" from "[[1]1]" leaves a new marker
        previous, text = text, MARKER.sub("", text)
    return re.sub(r"\s+", " ", text).strip()
