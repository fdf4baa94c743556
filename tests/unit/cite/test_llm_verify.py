"""Citation parsing and verification on hand-written answers (HashEmbedder; no LLM involved)."""

from __future__ import annotations

import pytest

from rag.answering.extractive import ABSTAIN_TEXT
from rag.answering.prompt import trim_passages
from rag.cite.verify import (
    MarkerRenumberer,
    is_abstention,
    key_terms,
    parse_citations,
    verify,
    verify_answer,
    windows_for,
)
from rag.types import Citation


def test_parse_citations_numbers_per_sentence():
    parsed = parse_citations("Kim welcomed Putin [1]. Japan gave aid [2][3]. The bridge is long [1, 3]. No cite.")
    assert [p.numbers for p in parsed] == [[1], [2, 3], [1, 3], []]
    assert [p.text for p in parsed] == ["Kim welcomed Putin.", "Japan gave aid.", "The bridge is long.", "No cite."]


def test_parse_citations_marker_after_the_full_stop_belongs_to_the_sentence_before():
    parsed = parse_citations("Kim welcomed Putin. [1] Japan gave aid. [2]")
    assert [(p.text, p.numbers) for p in parsed] == [("Kim welcomed Putin.", [1]), ("Japan gave aid.", [2])]


def test_key_terms_are_numbers_and_names_not_the_opening_word():
    assert key_terms("Kim welcomed Putin in Moscow in 2024.") == ["putin", "moscow", "2024"]


def check(text, passages, services):
    return verify(text, windows_for(passages), services.embedder, services.view())


def test_right_citation_is_supported_and_points_at_the_supporting_sentence(passages, hash_services):
    [verdict] = check("Kim welcomed Putin in Pyongyang [1].", passages, hash_services)
    assert verdict.supported and verdict.cited == [1]
    match = verdict.matches[0]
    doc = hash_services.view().document(match.passage.chunk.source)
    assert doc.text[match.start:match.end] == (
        "Kim Jong Un welcomed Vladimir Putin with fanfare in Pyongyang in June.")


def test_wrong_citation_is_unsupported(passages, hash_services):
    [verdict] = check("Kim welcomed Putin in Pyongyang [2].", passages, hash_services)
    assert verdict.cited == [2] and not verdict.supported
    assert verdict.support_score < 0.3


def test_out_of_range_citation_is_dropped_and_unsupported(passages, hash_services):
    [verdict] = check("Kim welcomed Putin in Pyongyang [7].", passages, hash_services)
    assert verdict.cited == [] and verdict.dropped == [7]
    assert not verdict.supported and verdict.support_score == 0.0


def test_sentence_without_citation_is_unsupported(passages, hash_services):
    first, second = check("Kim welcomed Putin in Pyongyang [1]. The bridge opened in 1932.", passages,
                          hash_services)
    assert first.supported
    assert second.cited == [] and not second.supported


def test_two_citations_support_a_sentence_combining_two_passages(passages, hash_services):
    [verdict] = check("Kim welcomed Putin in Pyongyang and Japan gave Ukraine $12 billion in aid [1][2].",
                      passages, hash_services)
    assert verdict.cited == [1, 2] and verdict.supported
    assert {m.n for m in verdict.matches} == {1, 2}


@pytest.mark.parametrize("claim", [
    "Kim welcomed Putin in Moscow [1].",  # a place the passage never names
    "Japan has provided Ukraine with $40 billion of humanitarian aid [2].",  # a changed number
    "The bridge is made of wood and was painted red [3].",  # words the passage does not contain
])
def test_fabricated_claims_are_unsupported(claim, passages, hash_services):
    [verdict] = check(claim, passages, hash_services)
    assert not verdict.supported


def test_verify_answer_maps_markers_through_citations(passages, hash_services):
    target = passages[2]
    citation = Citation(1, target.chunk.source, target.chunk.chunk_id, target.chunk.start, target.chunk.end,
                        target.chunk.text, 1.0)
    [check_] = verify_answer("The bridge opened in 1932 and is 1,149 metres long [1].", passages, {1: citation},
                             hash_services.embedder, hash_services.view())
    assert check_.supported and check_.citations == [1]
    assert check_.to_json()["supported"] is True


def test_renumberer_rewrites_markers_split_across_pieces():
    renumber = MarkerRenumberer(k=3)
    pieces = ["Bridge [", "3", "]. Fake [7", "]. Both [1", ", 3]. Not a [marker] [[2]]"]
    text = "".join(renumber.feed(p) for p in pieces) + renumber.flush()
    assert text == "Bridge [1]. Fake. Both [2][1]. Not a [marker] [[3]]"
    assert renumber.mapping == {3: 1, 1: 2, 2: 3}


def test_renumberer_flushes_an_unfinished_bracket():
    renumber = MarkerRenumberer(k=2)
    assert renumber.feed("ends with [1") == "ends with"  # the space waits: a dropped marker may follow
    assert renumber.flush() == " [1"


@pytest.mark.parametrize(("pieces", "expected"), [
    (["Kim met Putin [9]."], "Kim met Putin."),
    (["Kim met Putin [", "9]", ", then left [2]."], "Kim met Putin, then left [1]."),
    (["Kim met Putin [9] in Pyongyang [1]!"], "Kim met Putin in Pyongyang [1]!"),
    (["Kim met Putin [1][9]. Japan [8] gave aid [2]."], "Kim met Putin [1]. Japan gave aid [2]."),
])
def test_a_dropped_marker_leaves_no_stray_space(pieces, expected):
    renumber = MarkerRenumberer(k=2)
    assert "".join(renumber.feed(p) for p in pieces) + renumber.flush() == expected


def test_parsed_sentences_keep_dotted_names_and_lose_the_space_before_a_full_stop():
    [first, second] = parse_citations("The .spec.replicas field is optional [1]. Kim met Putin .")
    assert (first.text, first.numbers) == ("The .spec.replicas field is optional.", [1])
    assert second.text == "Kim met Putin."


def test_abstention_is_recognised_with_or_without_markers():
    assert is_abstention(ABSTAIN_TEXT, ABSTAIN_TEXT)
    assert is_abstention("The documents don’t contain an answer to this [1]", ABSTAIN_TEXT)
    assert not is_abstention("The documents don't contain an answer to this. But Kim did.", ABSTAIN_TEXT)


def test_build_answer_numbers_citations_like_the_markers(passages, hash_services):
    from rag.answering.llm import LLMAnswerer

    llm = LLMAnswerer(hash_services.settings, hash_services.embedder, hash_services.view,
                      fallback=hash_services.assistant.answerers["extractive"])
    shown = trim_passages(passages, 6000)
    renumber = MarkerRenumberer(len(shown))
    text = renumber.feed("The bridge opened in 1932 [3]. Kim welcomed Putin in Pyongyang [1]. "
                         "Japan sent tanks to Moscow [2].")
    answer = llm.build_answer("q", text, passages, shown, renumber.mapping)
    assert answer.answer.startswith("The bridge opened in 1932 [1]. Kim welcomed Putin in Pyongyang [2].")
    assert [c.n for c in answer.citations] == [1, 2, 3]
    assert [c.source.rsplit("/", 1)[-1] for c in answer.citations] == ["c.txt", "a.txt", "b.txt"]
    for citation in answer.citations:
        assert hash_services.view().document(citation.source).text[citation.start:citation.end] == citation.quote
    assert answer.citations[0].quote == "The Sydney Harbour Bridge opened in 1932."
    assert [s.supported for s in answer.sentences] == [True, True, False]
    assert [s.citations for s in answer.sentences] == [[1], [2], [3]]
    assert answer.mode == "llm" and not answer.abstained


def test_a_fabricated_claim_is_flagged_and_a_true_one_is_not(passages, hash_services):
    from rag.answering.llm import LLMAnswerer

    llm = LLMAnswerer(hash_services.settings, hash_services.embedder, hash_services.view,
                      fallback=hash_services.assistant.answerers["extractive"])
    shown = trim_passages(passages, llm.settings.llm_context_chars)
    renumber = MarkerRenumberer(len(shown))
    text = renumber.feed("Kim Jong Un welcomed Vladimir Putin in Pyongyang [1]. "
                         "Japan sent 300 tanks to Ukraine [2].")
    answer = llm.build_answer("Where did Kim Jong Un welcome Vladimir Putin?", text, passages, shown,
                              renumber.mapping)
    assert [s.supported for s in answer.sentences] == [True, False]
    assert answer.citations[0].quote == "Kim Jong Un welcomed Vladimir Putin with fanfare in Pyongyang in June."
