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
