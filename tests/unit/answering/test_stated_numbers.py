"""A number the question pins its subject to must be stated by the cited text (rag.answering.stated_numbers), in
whatever form the text uses; a question whose number the text never states is refused with that number named."""

from __future__ import annotations

import pytest

from rag.answering.stated_numbers import unstated_number
from tests.support.pages import decide, index_page


@pytest.mark.parametrize("question, text, missing", [
    # a century, said as the ordinal or as a year inside it
    ("What treaty was established in the 9th century?", "The duchy began in 911 as a fiefdom.", "9th"),
    ("What treaty was established in the 10th century?", "The duchy began in 911 as a fiefdom.", None),
    ("Who invaded Scotland in the 11th century?", "William invaded Scotland in 1072.", None),
    ("Who invaded Scotland in the 12th century?", "In the 12th century the king invaded Scotland.", None),
    # a century said as "the 1100s", a decade as "the 1980s" or "the 80s"
    ("What was a centre of ivorywork in the 1100s?", "Salerno was a centre of ivorywork in the 11th century.",
     "1100s"),
    ("What was a centre of ivorywork in the 1100s?", "Salerno was a centre of ivorywork in the 12th century.", None),
    ("Who gave their name to Normandy in the 1000's and 1100's?", "In the 10th and 11th centuries they gave ...",
     "1100's"),
    ("Who sang Step by Step in the 80s?", "The 1989 single reached number one.", None),
    ("Who sang Step by Step in the 80s?", "The 1996 single reached number one.", "80s"),
    ("Which album came out in the 1980s?", "It was released in 1984.", None),
    # a count in digits or in words, a number with a thousands separator, a status code, a port in a URL
    ("Who has priority at a 4 way stop?", "At a four-way stop the first to arrive goes first.", None),
    ("How large was the army of 30,000 men?", "He led an army of 30,000 men in 300 ships.", None),
    ("Which response has status 201?", "The endpoint returns 200 OK.", "201"),
    ("What is served on port 8080?", "Open http://localhost:8080/docs in a browser.", None),
    # numbers that are part of a name or an identifier are the words' business, not this check's
    ("Since when has Arch Linux shipped with cgroup v2 enabled?", "Arch Linux (since April 2021)", None),
    ("Does it support HTTP/2?", "Only HTTP/1.1 is served.", None),
    ("What does the k8s-1 label mean?", "The label marks the zone.", None),
    # only the sentence that asks: a number in the context before it is not what is asked about
    ("My cluster has 3 nodes. Which flag turns the watcher on?", "Set --enable-node-watcher.", None),
    ("What did the Normans do?", "They settled in 911.", None),
])
def test_a_number_the_question_states_must_be_stated_by_the_text(question, text, missing):
    assert unstated_number(question, text) == missing


PAGE = """# Release history

## Early releases

The scheduler was rewritten in the 1990s by the platform team.
Version 3 added quota support, released in 1998 after a long beta.

## Later releases

The 2004 release added the audit log, which records every change to the cluster.
"""


@pytest.mark.slow
def test_a_question_about_a_number_the_documents_never_state_is_refused(tmp_path_factory, real_embedder):
    services, _ = index_page(tmp_path_factory, real_embedder, "history.md", PAGE)
    refused = decide(services, "What did the 2011 release add?")
    assert refused.veto == 'The passages found don\'t mention "2011", which the question asks about.'
    assert services.assistant.ask("What did the 2011 release add?").abstained
    answered = services.assistant.ask("What did the 2004 release add?")
    assert decide(services, "What did the 2004 release add?").veto is None
    assert not answered.abstained and "audit log" in answered.answer
    in_the_decade = services.assistant.ask("What was rewritten in the 1990s?")
    assert not in_the_decade.abstained and "scheduler" in in_the_decade.answer
