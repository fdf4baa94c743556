"""Questions asking what an abbreviation stands for (rag.retrieval.abbreviations): the question forms, the long
forms a text defines letter by letter, and, on a real index, the defining passage retrieved first and cited with
its long form as the short answer."""

from __future__ import annotations

import pytest

from rag.retrieval.abbreviations import asked_abbreviation, definition


@pytest.mark.parametrize(("question", "abbr"), [
    ("What does WAL stand for?", "WAL"),
    ("what does wal stand for", "wal"),
    ("What's MVCC short for?", "MVCC"),
    ("What is the full name of the GC?", "GC"),
    ("What does the acronym TOAST mean?", "TOAST"),
    ("What's LSN an abbreviation for?", "LSN"),
    ("In PostgreSQL, what does SP-GiST stand for?", None),  # a hyphenated name is not read as one abbreviation
    ("What does vacuuming mean?", None),  # a meaning, not a long form
    ("What does it stand for?", None),
    ("Who maintains the WAL?", None),
    ("What is a WAL?", "WAL"),
    ("What are LSNs?", "LSN"),
    ("What's the MVCC in PostgreSQL?", "MVCC"),
    ("What is Postgres?", None),  # a name, not an abbreviation
    ("What is a BackupManifest?", None),  # a kind of object written in camel case
    ("What is the WAL level for logical decoding?", None),  # asks about something else
])
def test_the_questions_that_ask_for_a_long_form(question, abbr):
    assert asked_abbreviation(question) == abbr


@pytest.mark.parametrize(("text", "abbr", "long_form"), [
    ("Changes are first written to the write-ahead log (WAL) and then to the data files.", "WAL", "write-ahead log"),
    ("PostgreSQL uses Multiversion Concurrency Control (MVCC) to isolate transactions.", "MVCC",
     "Multiversion Concurrency Control"),
    ("Large values are moved out of line by TOAST (The Oversized-Attribute Storage Technique).", "TOAST",
     "The Oversized-Attribute Storage Technique"),
    ("An LSN stands for Log Sequence Number, a position in the WAL.", "LSN", "Log Sequence Number"),
    ("The Generic Search Tree feature (GiST) supports many index types.", "GiST", "Generic Search Tree"),
    ("A BackupManifest (BM) lists every file of a base backup.", "BM", "BackupManifest"),
    ("The Three Phase Commit (3PC) protocol is not used.", "3PC", "Three Phase Commit"),
    ("write-ahead log (wal) segments", "wal", "write-ahead log"),
    ('Each change goes to the <abbr title="write-ahead log: a file of changes">WAL</abbr> first.', "WAL",
     "write-ahead log"),
    ("*[MVCC]: Multiversion Concurrency Control\n", "MVCC", "Multiversion Concurrency Control"),
    ('kept in <abbr title="Write-Ahead Logs">**WALs**</abbr> on disk', "WAL", "Write-Ahead Logs"),
])
def test_long_forms_are_matched_letter_by_letter(text, abbr, long_form):
    found = definition(text, abbr)
    assert found is not None and text[found[0]:found[1]] == long_form


@pytest.mark.parametrize(("text", "abbr"), [
    ("The checkpointer (see below) writes dirty pages.", "CP"),  # a parenthesis that defines nothing
    ("Every WAL record has a header.", "WAL"),  # used, never defined
    ("The write-ahead log (WAL) is flushed.", "LSN"),  # another abbreviation's definition
    ("Tuning the shared buffers (SB) and the work memory matters.", "WM"),  # no "(WM)"
    ("It is Written As Lowercase (wal)", "WAL"),  # the question's capitals are kept: "wal" is another word
    ('The <abbr title="a log of changes">WAL</abbr> is flushed.', "WAL"),  # a title that is no long form
])
def test_text_that_does_not_define_the_abbreviation(text, abbr):
    assert definition(text, abbr) is None


PAGE = """# Storage

## Durability

Every change is appended to the WAL before the data files are touched, and the WAL is replayed after a crash.
Archiving copies finished WAL segments to another machine. The WAL is flushed at commit.

## Glossary

Terms used on this site:

- The write-ahead log (WAL) records every change made to the database files.
- A checkpoint is a point in the log by which all data files have been updated.
"""

OTHERS = {
    "replication.md": "# Replication\n\nStandby servers replay the WAL they receive from the primary. The WAL "
                      "sender process streams it, and a standby can lag behind when the WAL volume is high.\n",
    "tuning.md": "# Tuning\n\nA larger WAL buffer helps write-heavy loads. Compressing full-page images in the WAL "
                 "saves space.\n",
}


@pytest.mark.slow
def test_the_defining_passage_is_retrieved_first_and_its_long_form_is_the_short_answer(tmp_path_factory,
                                                                                       real_embedder):
    from tests.support.pages import index_page

    services, _ = index_page(tmp_path_factory, real_embedder, "storage.md", PAGE, OTHERS)
    answer = services.assistant.ask("What does WAL stand for?")
    assert not answer.abstained
    assert answer.short_answer is not None and answer.short_answer.text == "write-ahead log"
    doc = services.view().document(answer.short_answer.source).text
    assert doc[answer.short_answer.start:answer.short_answer.end] == "write-ahead log"
    [citation] = answer.citations
    assert "The write-ahead log (WAL) records" in citation.quote
    assert doc[citation.start:citation.end] == citation.quote
    assert answer.passages[0].chunk.source.endswith("storage.md")
    # a question that is not about a long form is answered as before, from the words it shares
    other = services.assistant.ask("When is the WAL flushed?")
    assert other.short_answer is None or other.short_answer.text != "write-ahead log"


DEFINED_TWICE = """# Archiving

WAL archiving copies each WAL segment away: set the write-ahead log (WAL) archive command for the WAL first.

## Concepts

The write-ahead log (WAL) is the file every change is written to before the data files are.
"""


@pytest.mark.slow
def test_what_is_an_abbreviation_cites_the_unit_that_says_what_it_is(tmp_path_factory, real_embedder):
    from tests.support.pages import index_page

    services, _ = index_page(tmp_path_factory, real_embedder, "archiving.md", DEFINED_TWICE, OTHERS)
    answer = services.assistant.ask("What is the WAL?")
    assert not answer.abstained
    assert answer.short_answer is not None and answer.short_answer.text == "write-ahead log"
    assert answer.citations[0].quote.startswith("The write-ahead log (WAL) is the file")
