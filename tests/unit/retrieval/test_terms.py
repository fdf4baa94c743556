"""The keyword terms (rag.text.content_terms): the forms of one word meet in one term, in BM25 as in the overlap
signals."""

from __future__ import annotations

import pytest

from rag.ingest.indexer import index_paths
from rag.store.snapshot import load_snapshot
from rag.text import content_terms, stem


@pytest.mark.parametrize(
    ("forms", "term"),
    [
        (("marry", "married", "marries", "marrying"), "marry"),
        (("specify", "specified", "specifies", "specifying"), "specify"),
        (("apply", "applied", "applies"), "apply"),
        (("try", "tried", "tries"), "try"),
        (("policy", "policies"), "policy"),
        (("missile", "missiles"), "missile"),
    ],
)
def test_the_forms_of_a_word_share_one_term(forms, term):
    assert {stem(form) for form in forms} == {term}


@pytest.mark.parametrize("word", ["died", "tied", "lied", "dies", "ties"])
def test_a_short_word_keeps_its_letters(word):
    """"died" is no form of "dy": a three-letter stem would merge unrelated short words."""
    assert not stem(word).endswith("y")


def test_a_question_in_one_form_finds_the_chunk_in_another_by_keywords(make_settings, fake_embedder, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kings.txt").write_text("Alexander I had married Sybilla of Normandy before he was crowned.\n",
                                      encoding="utf-8")
    (folder / "rivers.txt").write_text("The Rhine flows north into the sea past many old towns.\n", encoding="utf-8")
    settings = make_settings()
    index_paths([folder], settings, embedder=fake_embedder)
    snap = load_snapshot(settings.index_dir, fake_embedder)
    assert "marry" in content_terms("Who did Alexander I marry?")
    hits = snap.keyword_search("Whom does a king marry?", 2)
    assert hits and snap.chunks[hits[0][0]].source.endswith("kings.txt")
