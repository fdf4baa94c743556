"""Split Documents into Chunks with LangChain's recursive splitter, keeping exact char offsets.

Each chunk carries the answer units overlapping it (rag.ingest.structure) and the section path at its start; a
piece of the splitter's that overlaps no unit (front matter, a heading, a shortcode line alone) holds nothing an
answer could cite and is not kept.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from rag.ingest.structure import with_structure
from rag.types import Chunk, Document, chunk_id


def make_splitter(chunk_size: int, chunk_overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True, strip_whitespace=True
    )


def chunk_document(doc: Document, chunk_size: int, chunk_overlap: int, splitter=None) -> list[Chunk]:
    """Chunks of ``doc`` such that ``doc.text[c.start:c.end] == c.text``, with their answer units and section."""
    splitter = splitter or make_splitter(chunk_size, chunk_overlap)
    doc = with_structure(doc)
    units = doc.units
    sentences = [(a, b) for a, b, _ in units]
    starts = [s for s, _ in sentences]
    ends = [e for _, e in sentences]
    chunks: list[Chunk] = []
    cursor = 0
    covered = 0  # the end of the text the pieces so far cover
    for piece in splitter.create_documents([doc.text]):
        text = piece.page_content
        start = piece.metadata.get("start_index", -1)
        if start < 0 or doc.text[start:start + len(text)] != text:
            start = doc.text.find(text, cursor)
            if start < 0:  # cannot happen for a splitter that only cuts; guard the invariant anyway
                raise ValueError(f"chunk text not found in {doc.source}")
        # A piece whose text also occurs later, still touching what the previous chunks cover, is that later
        # occurrence: the splitter's start index finds the first one, so in repeated text ("harbour harbour
        # harbour ...") the last piece would repeat an earlier span and the end of the document be lost.
        # The last such occurrence in one backward search: stepping through them one find at a time is quadratic
        # in a long run of repeated text (a 5 MB one-line log of the same words took over 15 minutes).
        if (later := doc.text.rfind(text, start, covered + len(text))) > start:
            start = later
        end = start + len(text)
        covered = max(covered, end)
        cursor = start + 1
        first = bisect_right(ends, start)
        last = bisect_left(starts, end)
        spans = tuple(sentences[first:last])  # whole units overlapping the chunk (may run past its edges)
        if not spans:
            continue
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc.sha256, start, end),
                source=doc.source,
                doc_sha256=doc.sha256,
                start=start,
                end=end,
                text=text,
                page=doc.page_at(start),
                sentences=spans,
                unit_kinds=tuple(kind for _, _, kind in units[first:last]),
                section=doc.section_at(max(start, spans[0][0])),
            )
        )
    return chunks
