"""Chunking keeps exact offsets, stable ids and whole-sentence spans."""

from __future__ import annotations

from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import load
from rag.ingest.sentences import sentence_spans
from tests.conftest import SEED_FILE


def test_offsets_invariant_and_stable_ids():
    doc = load(SEED_FILE)
    chunks = chunk_document(doc, 400, 60)
    assert len(chunks) > 5
    for chunk in chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert chunk.doc_sha256 == doc.sha256
        for start, end in chunk.sentences:
            assert start < chunk.end and end > chunk.start
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in chunk_document(doc, 400, 60)]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_sentence_splitter_survives_abbreviations_and_quotes():
    text = ("Kishida met U.S. officials in Washington. He said Japan will remain “vigilant.” "
            "The U.K. agreed. Dr. Smith left at 5 p.m. on Friday.")
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Kishida met U.S. officials in Washington.",
        "He said Japan will remain “vigilant.”",
        "The U.K. agreed.",
        "Dr. Smith left at 5 p.m. on Friday.",
    ]


def test_seed_sentence_with_us_abbreviation_is_whole():
    doc = load(SEED_FILE)
    sentences = [doc.text[s:e] for s, e in sentence_spans(doc.text)]
    first = sentences[0]
    assert first.startswith("As NATO gathered") and "U.S. President Joe Biden" in first
    assert first.endswith("aggression in Ukraine.")


class _CountingText(str):
    """Document text that counts the searches made in it (find and rfind, the chunker's and the splitter's)."""

    searches = 0

    def find(self, *args):
        _CountingText.searches += 1
        return super().find(*args)

    def rfind(self, *args):
        _CountingText.searches += 1
        return super().rfind(*args)


def test_repeated_text_is_chunked_with_a_bounded_number_of_searches_per_chunk():
    # A one-line log or data file that repeats the same words: each piece's text occurs at every word, and the
    # chunker once stepped through those occurrences one search at a time (quadratic: a 5 MB file of one repeated
    # word took over 15 minutes to index). It now finds the piece's place in a bounded number of searches.
    from rag.types import Document

    text = _CountingText("word " * 20_000)
    doc = Document("/docs/log.txt", text, "f" * 64)
    _CountingText.searches = 0
    chunks = chunk_document(doc, 800, 120)
    assert len(chunks) > 100
    assert _CountingText.searches <= 3 * len(chunks)
    # and the offsets still tile the whole text: nothing is lost at the end
    assert all(str(text)[c.start:c.end] == c.text for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len("word " * 20_000) - 1
    assert all(b.start <= a.end for a, b in zip(chunks, chunks[1:]))
