"""Split Documents into Chunks with LangChain's recursive splitter, keeping exact char offsets."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from rag.ingest.sentences import sentence_spans
from rag.types import Chunk, Document, chunk_id


def make_splitter(chunk_size: int, chunk_overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True, strip_whitespace=True
    )


def chunk_document(doc: Document, chunk_size: int, chunk_overlap: int, splitter=None) -> list[Chunk]:
    """Chunks of ``doc`` such that ``doc.text[c.start:c.end] == c.text``, with their sentence spans."""
    splitter = splitter or make_splitter(chunk_size, chunk_overlap)
    sentences = sentence_spans(doc.text)
    starts = [s for s, _ in sentences]
    ends = [e for _, e in sentences]
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.create_documents([doc.text]):
        text = piece.page_content
        start = piece.metadata.get("start_index", -1)
        if start < 0 or doc.text[start:start + len(text)] != text:
            start = doc.text.find(text, cursor)
            if start < 0:  # cannot happen for a splitter that only cuts; guard the invariant anyway
                raise ValueError(f"chunk text not found in {doc.source}")
        end = start + len(text)
        cursor = start + 1
        first = bisect_right(ends, start)
        last = bisect_left(starts, end)
        spans = tuple(sentences[first:last])  # whole sentences overlapping the chunk (may run past its edges)
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
            )
        )
    return chunks
