"""Citation validity, answer sentence splitting and the support measure."""

from __future__ import annotations

import pytest

from eval.citation_checks import (
    SUPPORT_COSINE,
    AnswerSentence,
    answer_support,
    citation_valid,
    content_recall,
    content_words,
    sentence_support,
    split_answer,
)

DOC = "The Normans were in France. They came from Norway and Denmark."


def test_citation_valid_needs_exact_span_and_retrieved_chunk():
    assert citation_valid("The Normans were in France.", 0, 27, DOC, {"c1"}, "c1")
    assert not citation_valid("The Normans were in France.", 0, 27, DOC, {"c2"}, "c1")  # chunk not retrieved
    assert not citation_valid("The Normans were in France", 0, 27, DOC, {"c1"}, "c1")  # quote differs
    assert not citation_valid("", 3, 3, DOC, {"c1"}, "c1")  # empty span
    assert not citation_valid("x", 0, 999, DOC, {"c1"}, "c1")  # out of bounds
    assert not citation_valid("The", 0, 3, None, {"c1"}, "c1")  # document unknown


def test_split_answer_attaches_markers_to_their_sentence():
    got = split_answer("The Normans were in France. [1] They came from Norway [2][3]. Unsupported claim.")
    assert [(s.text, s.citations) for s in got] == [
        ("The Normans were in France.", [1]),
        ("They came from Norway.", [2, 3]),
        ("Unsupported claim.", []),
    ]
    assert [(s.text, s.citations) for s in split_answer("It is in France [1, 2].")] == [("It is in France.", [1, 2])]


def test_content_words_drop_stop_words_and_punctuation():
    assert content_words("The Normans were in France.") == {"normans", "were", "france"}


def test_content_recall():
    # Content words (Lucene stop list): normans, came, from, norway; the quote holds normans, from, norway -> 3/4.
    assert content_recall("The Normans came from Norway.", ["Normans sailed from Norway"]) == 0.75
    assert content_recall("The Normans came from Norway.", []) == 0.0
    assert content_recall("It is.", ["x"]) is None  # only stop words / articles


def test_verbatim_quote_sentence_is_supported():
    quotes = {1: "The Normans were in France."}
    (result,) = answer_support("The Normans were in France. [1]", quotes)
    assert result.supported is True and result.recall == 1.0


def test_sentence_without_citation_is_unsupported():
    (result,) = answer_support("The Normans were in France.", {1: "The Normans were in France."})
    assert result.supported is False and result.citations == []


def test_embedding_check_rescues_a_paraphrase():
    sentence = AnswerSentence("Rollo led Vikings", [1])
    quotes = {1: "The Norse chieftain commanded raiders"}

    def embed_same(texts):
        return [[1.0, 0.0]] * len(texts)

    def embed_orthogonal(texts):
        return [[1.0, 0.0]] + [[0.0, 1.0]] * (len(texts) - 1)

    assert sentence_support(sentence, quotes, None).supported is False
    rescued = sentence_support(sentence, quotes, embed_same)
    assert rescued.supported is True and rescued.cosine == pytest.approx(1.0)
    assert rescued.cosine >= SUPPORT_COSINE
    assert sentence_support(sentence, quotes, embed_orthogonal).supported is False


def test_marker_before_a_capitalised_word_ends_a_sentence():
    got = split_answer("Prime Minister of Canada [1] Because the prime minister is powerful , he leads . [2]")
    assert [(s.text, s.citations) for s in got] == [
        ("Prime Minister of Canada", [1]),
        ("Because the prime minister is powerful, he leads.", [2]),
    ]
    got = split_answer("Mr. Black [1] `` Mr. Black '' is a song . [2]")
    assert [(s.text, s.citations) for s in got] == [("Mr. Black", [1]), ("`` Mr. Black '' is a song.", [2])]
    # A marker inside a sentence, before a lower-case word, does not cut it.
    got = split_answer("Paris [1] and Lyon [2] are cities in France.")
    assert [(s.text, s.citations) for s in got] == [("Paris and Lyon are cities in France.", [1, 2])]
