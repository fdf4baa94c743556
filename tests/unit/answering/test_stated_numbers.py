"""A number the question pins its subject to must be stated by the cited text (rag.answering.stated_numbers), in
whatever form the text uses; a question whose number the text never states is refused with that number named."""

from __future__ import annotations

import pytest

from rag.answering.stated_numbers import pinned_numbers, unstated_number
from tests.support.pages import decide, index_page, ranked_below_top


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


def test_each_number_of_the_question_and_whether_the_text_states_it():
    question = "Since which release does the proxy answer with 401 instead of 403?"
    assert pinned_numbers(question, "It used to answer with `403 Forbidden`.") == [("401", False), ("403", True)]
    assert pinned_numbers("Which release added quotas?", "Release 3 added quotas.") == []


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


@pytest.mark.slow
def test_the_refusal_says_the_passages_mention_a_number_when_one_does(tmp_path_factory, real_embedder):
    """The unit chosen for "What did the 2011 release add?" never states 2011, and another passage found does (on
    something else): the refusal does not claim that no passage mentions it."""
    events = "# Events\n\nThe platform team met in Berlin in 2011 to plan the next steps.\n"
    services, _ = index_page(tmp_path_factory, real_embedder, "history.md", PAGE, {"events.md": events})
    question = "What did the 2011 release add?"
    refused = decide(services, question)
    assert "2011" not in refused.best.text and any("2011" in c.text for c in refused.ranked)  # premise
    assert refused.veto == ('The passages found mention "2011", but none of them reads as an answer to the '
                            'question.')
    assert services.assistant.ask(question).abstained


AUTH_PAGE = """# Authentication errors

## Status codes

Before release `2.4.0`, the token middleware answered a failed login to the client with the status code
`403 Forbidden`.
Starting with release `2.4.0`, it uses `401 Unauthorized` and sends a `WWW-Authenticate` header.

## Sessions

Sessions expire after 30 minutes without a request, and the token middleware then asks for a new login.
"""


@pytest.mark.slow
def test_a_question_pinned_to_two_numbers_cites_the_unit_next_to_the_one_that_states_only_one(
        tmp_path_factory, real_embedder):
    """The unit that shares the question's words states 403 only; the one after it, on the same thing, states 401:
    it is cited rather than the question refused. A number neither states is still refused."""
    services, _ = index_page(tmp_path_factory, real_embedder, "auth.md", AUTH_PAGE)
    question = "Since which release does the token middleware answer a failed login with 401 instead of 403?"
    decision, unit = ranked_below_top(services, question, "Starting with release")
    assert unstated_number(question, decision.ranked[0].text) == "401"  # premise: the top unit lacks 401
    assert decision.veto is None and decision.best is unit
    answer = services.assistant.ask(question)
    assert not answer.abstained and "2.4.0" in answer.answer and "401" in answer.answer
    refused = decide(services, question.replace("401", "418"))
    assert refused.veto == 'The passages found don\'t mention "418", which the question asks about.'
