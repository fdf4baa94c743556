"""A yes/no question whose cited unit denies what it asks is answered "No: ..." (rag.answering.yes_no), with the
real spaCy model and, end to end, the real embedding model over an index on disk."""

from __future__ import annotations

import pytest

from rag.answering.yes_no import NO_PREFIX, asks_yes_or_no, denies
from tests.support.pages import index_page

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("Can I store a list as a label value?", "You cannot store lists, maps or numbers as label values."),
        ("Is the v1beta2 API deprecated?", "The v1beta2 API is not deprecated yet, but it will be removed in 1.40."),
        ("Does the gateway support gRPC?", "The gateway does not support gRPC on Windows nodes."),
        ("We run 1.31. Does a job restart when its sidecar exits?", "The controller does not restart the job; it "
                                                                    "restarts the sidecar."),
    ],
)
def test_a_unit_that_negates_the_asked_predicate_denies_it(question, unit):
    assert denies(question, unit)


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        # a condition is no "yes" either, and only "no" is ever said
        ("Can I mark two classes as default?", "If you mark two classes as default, the newest one is used."),
        # the negation is on the question's condition, not on what it asks
        ("Does a job restart when its sidecar exits?", "In that case the sidecar does not exit."),
        # the negation is on another verb
        ("Does the scheduler weigh priority?", "The scheduler does weigh priority, and it does not evict lightly."),
        # a negated question: its "no" would be ambiguous
        ("Can't I store a list as a label value?", "You cannot store lists as label values."),
        # not a yes/no question
        ("Which values can I store in a label?", "You cannot store lists as label values."),
        ("Can you tell me which port is used?", "Port 80 is not used."),
    ],
)
def test_no_denial_is_read_where_the_unit_does_not_negate_what_is_asked(question, unit):
    assert not denies(question, unit)


def test_the_asking_sentence_decides_whether_a_question_is_yes_or_no():
    assert asks_yes_or_no("We pinned 2.1 last week. Should I also pin the client library?")
    assert not asks_yes_or_no("Is it true? Which flag turns the cache off?")


PAGE = ("# Labels\n\nLabels are key/value pairs attached to objects such as Pods.\n\n"
        "## Syntax\n\nLabel values must be strings. In other words, you cannot use numeric, boolean or list "
        "types for label values.\n\n## Selectors\n\nA selector picks the objects whose labels match it.\n")


def test_the_answer_says_no_and_cites_the_denying_sentence_verbatim(tmp_path_factory, real_embedder):
    services = index_page(tmp_path_factory, real_embedder, "labels.md", PAGE)[0]

    answer = services.assistant.ask("Can I use a boolean as a label value?", mode="extractive")
    assert not answer.abstained, answer.answer
    assert answer.answer.startswith(NO_PREFIX) and "you cannot use numeric, boolean" in answer.answer
    for citation in answer.citations:
        assert PAGE[citation.start:citation.end] == citation.quote
    assert any("you cannot use numeric, boolean" in c.quote for c in answer.citations)

    other = services.assistant.ask("What does a selector pick?", mode="extractive")
    assert not other.answer.startswith(NO_PREFIX)


WORKSPACES = ("# Workspaces\n\nThe `wsctl` tool creates a workspace folder for every project automatically. "
              "You don't need to create or mount one yourself.\n\n## Cleanup\n\nOld workspaces are removed after 30 "
              "days, and their logs are archived.\n")


def test_the_answer_says_no_when_the_next_sentence_of_the_unit_denies_the_question(tmp_path_factory, real_embedder):
    services = index_page(tmp_path_factory, real_embedder, "workspaces.md", WORKSPACES)[0]

    answer = services.assistant.ask("I use wsctl for my projects. Do I have to create the workspace folder and "
                                    "mount it manually?", mode="extractive")
    assert not answer.abstained, answer.answer
    assert answer.answer.startswith(NO_PREFIX), answer.answer
    quotes = [WORKSPACES[c.start:c.end] for c in answer.citations]
    assert quotes == [c.quote for c in answer.citations]
    assert any("creates a workspace folder" in q and "You don't need to create or mount one yourself." in q
               for q in quotes), quotes
