"""Answer units: what an extractive answer may quote, and a sentence extended by the one that continues it."""

from __future__ import annotations

from rag.answering.units import answer_spans, continuation
from rag.ingest.chunking import chunk_document
from rag.types import Document

MARKDOWN = """---
title: Rolling updates
weight: 20
---

## Rolling update settings {#rolling}

{{< note >}}
Rolling updates replace Pods gradually.
{{< /note >}}

- `surgeLimit` - Sets how many extra Pods may run during an update. Defaults to `25%`.
- `pauseSeconds` - Sets how long to wait between batches.

The controller keeps the old Pods until the new ones are ready.
It checks them every 10 seconds.

Other text. It has 3 parts.
"""


def _doc(text: str) -> Document:
    return Document("guide.md", text, "sha")


def _spans(text: str):
    doc = _doc(text)
    chunks = chunk_document(doc, 2000, 0)
    return doc, chunks, [doc.text[s:e] for c in chunks for s, e in answer_spans(c, doc)]


def test_headings_front_matter_and_shortcodes_are_never_units():
    _doc_, _chunks, texts = _spans(MARKDOWN)
    assert not any(t.startswith(("#", "{{", "---", "title:", "weight:")) for t in texts)
    assert "Rolling updates replace Pods gradually." in texts
    assert any(t.startswith("`surgeLimit` - Sets") for t in texts)  # the list item, without its marker


def _unit(doc, text):
    start = doc.text.index(text)
    return start, start + len(text)


def test_the_sentence_that_holds_the_default_continues_the_unit():
    doc, chunks, _texts = _spans(MARKDOWN)
    first = _unit(doc, "- `surgeLimit` - Sets how many extra Pods may run during an update.")
    after = _unit(doc, "Defaults to `25%`.")
    question = "What is the default surgeLimit?"
    start, end = continuation(question, doc, first, after)
    assert doc.text[start:end] == ("- `surgeLimit` - Sets how many extra Pods may run during an update. "
                                   "Defaults to `25%`.")
    # a question that asks for no value keeps the one sentence
    assert continuation("Why are extra Pods allowed?", doc, first, after) == first


def test_no_continuation_across_list_items_or_paragraphs():
    doc, _chunks, _texts = _spans(MARKDOWN)
    last_item = _unit(doc, "- `pauseSeconds` - Sets how long to wait between batches.")
    paragraph = _unit(doc, "The controller keeps the old Pods until the new ones are ready.")
    same_paragraph = _unit(doc, "It checks them every 10 seconds.")
    next_paragraph = _unit(doc, "Other text.")
    question = "How long is the default wait?"
    assert continuation(question, doc, last_item, paragraph) == last_item  # blank line between
    assert continuation(question, doc, paragraph, same_paragraph) == (paragraph[0], same_paragraph[1])
    assert continuation(question, doc, same_paragraph, next_paragraph) == same_paragraph


def test_structure_aware_units_are_kept_whole():
    doc, _chunks, _texts = _spans(MARKDOWN)
    first = _unit(doc, "The controller keeps the old Pods until the new ones are ready.")
    after = _unit(doc, "It checks them every 10 seconds.")
    question = "How often are the Pods checked by default?"
    assert continuation(question, doc, first, after, ("list_item", "sentence")) == first
    assert continuation(question, doc, first, after, ("sentence", "sentence")) == (first[0], after[1])


WRAPPED = """# Probes

By default, the probe sends a request every
`10` seconds to the container's port and gives up
after three failures.
- An item that is
  wrapped over two lines.
- Another item.
"""


def test_a_hard_wrapped_sentence_is_one_unit_and_list_items_stay_apart():
    _doc_, _chunks, texts = _spans(WRAPPED)
    assert texts[0] == ("By default, the probe sends a request every\n`10` seconds to the container's port and gives "
                        "up\nafter three failures.")
    assert "An item that is\n  wrapped over two lines." in texts
    assert "Another item." in texts  # list items without their markers (rag.ingest.structure)


def test_units_recorded_by_ingestion_are_used_as_they_are():
    from types import SimpleNamespace

    from rag.answering.units import answer_units

    doc = _doc("Intro line\n- item one\n| a | b |")
    chunk = SimpleNamespace(sentences=((0, 10), (11, 21), (22, 31)), unit_kinds=("text", "list_item", "table_row"),
                            start=0, end=31)
    units = answer_units(chunk, doc)
    assert [(u.start, u.end, u.kind) for u in units] == [(0, 10, "text"), (11, 21, "list_item"), (22, 31, "table_row")]


def test_answer_text_of_a_unit_reads_as_one_line_with_a_marker_per_sentence():
    from rag.answering.extractive import cited_text

    quote = "The probe sends a request every\n`10` seconds. Defaults to `3`\nfailures."
    assert cited_text(quote, 2) == "The probe sends a request every `10` seconds. [2] Defaults to `3` failures. [2]"
    assert cited_text("One sentence only.", 1) == "One sentence only. [1]"
    # an abbreviation's full stop before a capital ends no sentence (a regex had put a marker after "U.S.")
    assert cited_text("On July 11, U.S. President Joe Biden met the IP4 leaders. They talked.", 1) == \
        "On July 11, U.S. President Joe Biden met the IP4 leaders. [1] They talked. [1]"
    assert cited_text("Like the model's `.model_dump()` method. Same.", 1) == \
        "Like the model's `.model_dump()` method. [1] Same. [1]"  # nor inside a code span


def test_answer_text_marks_the_sentences_the_index_cut_not_new_ones():
    """A unit of one indexed sentence, or one extended over the sentence continuing it, is marked by the index's
    own cuts (no second pysbd pass, which read alone can cut where the paragraph did not); a list item is cut
    at answer time."""
    from rag.answering.extractive import Candidate, _indexed_sentences, cited_text
    from rag.types import Chunk, Passage

    text = "The kubelet waits 10 s. Mr. Smith said so.\n- `x`: one. Two."
    chunk = Chunk("c1", "doc.md", "sha", 0, len(text), text, sentences=((0, 23), (24, 42), (43, len(text))))
    passage = Passage(chunk, 1.0, 1)
    first = Candidate(passage, 0, 23, text[0:23], next_span=(24, 42), kinds=("sentence", "sentence"),
                      kind="sentence")
    assert _indexed_sentences(first, 0, 23) == [(0, 23)]
    assert _indexed_sentences(first, 0, 42) == [(0, 23), (24, 42)]  # extended over its continuation
    assert _indexed_sentences(first, 0, 30) is None  # not the unit's bounds: cut at answer time
    item = Candidate(passage, 43, len(text), text[43:], kind="list_item")
    assert _indexed_sentences(item, 43, len(text)) is None
    assert cited_text(text[0:42], 1, sentences=_indexed_sentences(first, 0, 42)) == \
        "The kubelet waits 10 s. [1] Mr. Smith said so. [1]"
    # the index's cut wins where a second pass would differ: one indexed sentence gets one marker
    assert cited_text("Joe met them. They talked.", 1, sentences=[(0, 26)]) == "Joe met them. They talked. [1]"


YES_NO = """# Workspaces

The `wsctl` tool creates a workspace folder for every project automatically. You don't need to create or mount one
yourself.
The folder is kept until you delete the project.

Old workspaces are removed after 30 days.
"""


def test_a_yes_no_unit_continues_into_the_sentence_that_says_no():
    doc = _doc(YES_NO)
    first = _unit(doc, "The `wsctl` tool creates a workspace folder for every project automatically.")
    denial = _unit(doc, "You don't need to create or mount one\nyourself.")
    kept = _unit(doc, "The folder is kept until you delete the project.")
    question = "I use wsctl for my projects. Do I have to create the workspace folder myself?"
    assert continuation(question, doc, first, denial) == (first[0], denial[1])
    # a next sentence that denies nothing asked, or a unit that already says no, stays as it is
    assert continuation(question, doc, denial, kept) == denial
    assert continuation("Is the folder kept after the project is deleted?", doc, first, denial) == first


def test_a_yes_no_question_that_asks_a_default_still_gets_the_sentence_that_states_it():
    doc, _chunks, _texts = _spans(MARKDOWN)
    first = _unit(doc, "- `surgeLimit` - Sets how many extra Pods may run during an update.")
    after = _unit(doc, "Defaults to `25%`.")
    assert continuation("Does surgeLimit have a default value?", doc, first, after) == (first[0], after[1])
