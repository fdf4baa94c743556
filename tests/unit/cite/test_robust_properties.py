"""Property tests (hypothesis): the chunker's offset invariant, the citation parser and renumberer, the text
normalisers. Each property holds for arbitrary text, not just the examples we thought of."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rag.cite.citations import strip_markers
from rag.cite.markers import SINGLE as MARKER
from rag.ingest.chunking import chunk_document, chunk_id, make_splitter
from rag.ingest.sentences import sentence_spans
from rag.text import STOPWORDS, content_terms, fold, words
from rag.types import Document
from tests.support.hostile_corpus import WORDS

# Text with the characters that trip offset bookkeeping: newlines, CRs, tabs, NBSP, combining marks, emoji
# (astral), CJK, RTL, sentence punctuation, brackets and markers.
ALPHABET = st.sampled_from(list("abc XYZ.!?\n\n\t\r,;:'\"()[]0123") + ["\u00a0", "\u0301", "é", "ß", "İ", "😀",
                                                                       "中", "ع", "…", "。", "[1]", "Dr.", "U.S."])
TEXT = st.lists(ALPHABET, max_size=600).map("".join)
PROSE = st.lists(st.sampled_from(WORDS + [".", ". ", "\n", "\n\n", ", ", "? ", "! "]), max_size=400).map(" ".join)
common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(text=st.one_of(TEXT, PROSE), size=st.integers(50, 400), overlap_ratio=st.floats(0, 0.9))
# repeated text: the splitter's start index pointed the last piece at an earlier copy, losing the last word
@example(text="river river harbour harbour harbour harbour harbour", size=50, overlap_ratio=0.625)
def test_chunks_are_exact_spans_of_the_document(text, size, overlap_ratio):
    overlap = int(size * overlap_ratio)
    doc = Document("/docs/x.txt", text, "f" * 64)
    chunks = chunk_document(doc, size, overlap, make_splitter(size, overlap))
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start:chunk.end] == chunk.text
        assert chunk.text.strip()
        assert chunk.chunk_id == chunk_id(doc.sha256, chunk.start, chunk.end)
        for start, end in chunk.sentences:
            assert 0 <= start < end <= len(text)
            assert start < chunk.end and end > chunk.start  # overlaps the chunk
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    # Every non-blank character is covered by some chunk: nothing of the document is lost.
    covered = [False] * len(text)
    for chunk in chunks:
        covered[chunk.start:chunk.end] = [True] * (chunk.end - chunk.start)
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())


@common
@given(text=st.one_of(TEXT, PROSE, st.text(max_size=300)))
def test_sentence_spans_are_ordered_stripped_and_inside(text):
    spans = sentence_spans(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end


@common
@given(text=st.one_of(TEXT, st.text(max_size=200)))
@example(text="[[1]1]")  # found by reasoning, not by hypothesis: removal can create a new marker
def test_strip_markers_leaves_no_marker(text):
    stripped = strip_markers(text)
    assert MARKER.search(stripped) is None
    assert stripped == stripped.strip() and "  " not in stripped


@common
@given(numbers=st.lists(st.integers(1, 999), min_size=1, max_size=12, unique=True), data=st.data())
def test_parse_citations_finds_every_marker_in_order(numbers, data):
    from rag.cite.verify import MARKER as LLM_MARKER
    from rag.cite.verify import parse_citations

    # An answer of sentences, each citing some of ``numbers`` in a few equivalent spellings.
    parts, rest = [], list(numbers)
    while rest:
        take = data.draw(st.integers(1, min(3, len(rest))))
        cited, rest = rest[:take], rest[take:]
        spelling = data.draw(st.sampled_from(["sep", "comma", "semicolon"]))
        if spelling == "sep":
            marks = "".join(f"[{n}]" for n in cited)
        else:
            marks = "[" + (", " if spelling == "comma" else "; ").join(map(str, cited)) + "]"
        sentence = " ".join(data.draw(st.lists(st.sampled_from(WORDS), min_size=3, max_size=8))).capitalize()
        parts.append(f"{sentence} {marks}.")
    answer = " ".join(parts)
    parsed = parse_citations(answer)
    assert [n for s in parsed for n in s.numbers] == numbers
    for sentence in parsed:
        assert LLM_MARKER.search(sentence.text) is None
        assert 0 <= sentence.start < sentence.end <= len(answer)


@common
@given(text=st.one_of(TEXT, st.text(max_size=200)))
def test_parse_citations_never_invents_numbers(text):
    from rag.cite.verify import MARKER as LLM_MARKER
    from rag.cite.verify import marker_numbers, parse_citations

    present = {n for body in LLM_MARKER.findall(text) for n in marker_numbers(body)}
    for sentence in parse_citations(text):
        assert set(sentence.numbers) <= present
        assert len(sentence.numbers) == len(set(sentence.numbers))
        assert LLM_MARKER.search(sentence.text) is None


@common
@given(text=st.one_of(TEXT, st.text(alphabet="ab [],;0123456789", max_size=200)), cuts=st.lists(st.integers(0, 200)),
       k=st.integers(1, 10))
def test_marker_renumbering_does_not_depend_on_how_the_stream_is_cut(text, cuts, k):
    from rag.cite.verify import MarkerRenumberer

    whole = MarkerRenumberer(k)
    expected = whole.feed(text) + whole.flush()
    pieces, last = [], 0
    for cut in sorted(c for c in cuts if c <= len(text)):
        pieces.append(text[last:cut])
        last = cut
    pieces.append(text[last:])
    streamed = MarkerRenumberer(k)
    got = "".join(streamed.feed(p) for p in pieces) + streamed.flush()
    assert got == expected
    assert streamed.mapping == whole.mapping
    # Citation numbers are 1..m in order of first use, and only passages 1..k are cited.
    assert sorted(whole.mapping.values()) == list(range(1, len(whole.mapping) + 1))
    assert all(1 <= n <= k for n in whole.mapping)


@common
@given(text=st.one_of(TEXT, st.text(max_size=200)))
def test_fold_is_idempotent_and_terms_are_stable(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.lower()
    assert content_terms(folded) == content_terms(text)
    for word in words(text):
        assert word and not word.isspace()
    for term in content_terms(text):
        assert term and term == term.lower()
    assert not any(w in STOPWORDS for w in content_terms(" ".join(sorted(STOPWORDS))))
    assert not any(w in STOPWORDS for w in content_terms(" ".join(f"{w}'s {w}’s" for w in sorted(STOPWORDS))))


@common
@given(text=st.one_of(TEXT, st.text(max_size=200)))
def test_squad_normaliser(text):
    from eval.squad import get_tokens, normalize_answer

    normal = normalize_answer(text)
    assert normalize_answer(normal) == normal
    assert normal == normal.lower() and normal == normal.strip() and "  " not in normal
    assert not set(normal) & set(string.punctuation)
    assert not {"a", "an", "the"} & set(normal.split())
    assert get_tokens(text) == normal.split()
