"""A why-question, on a real index (rag.answering.reasons, ExtractiveAnswerer via _on_reason): the unit that gives a
reason is cited, not the one that shares more of the question's words without giving one."""

from __future__ import annotations

import pytest

from rag.answering.reasons import asks_why, gives_reason
from tests.support.pages import decide, index_page, ranked_below_top

PAGE = """---
title: Cache classes
---

# Cache classes

A CacheClass names the backend that stores the entries of caches of that class.

## Default cache class

You can mark more than one CacheClass as default by setting the `cache.example.io/is-default` annotation.
When more than one CacheClass is marked as default, new caches without a `cacheClassName` use the newest one.
If you don't mark any CacheClass as default, new caches must name their class.

The reason several default classes are allowed is to let you migrate from one backend to another without
downtime.
"""
QUESTION = "Why can I mark more than one CacheClass as default?"
OTHERS = {
    "annotations.md": "# Annotations\n\nAn annotation is set on an object to attach metadata. A class of objects may "
                      "share annotations, and one may be marked as the default.\n",
    "migration.md": "# Migration\n\nMove entries from one store to another with the export command. Plan the move "
                    "for a quiet hour.\n",
}


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("Why can I mark more than one CacheClass as default?", True),
        ("We run two clusters. Why does the second one start slower?", True),
        ("What is the reason the scheduler skips that node?", True),
        ("Which annotation marks a CacheClass as default?", False),
        ("Why? Which annotation marks the default?", False),  # the last sentence asks, not the first
    ],
)
def test_asks_why(question, why):
    assert asks_why(question) is why


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The reason several default classes are allowed is to let you migrate.", True),
        ("Entries are copied twice because the first copy may be lost.", True),
        ("Set a deadline so that stuck jobs are retried.", True),
        ("The controller checks every 10 seconds to avoid load spikes.", True),
        ("Since v1.32 the controller checks every 10 seconds.", False),  # "since" here is a time
        ("You mark a class as default with an annotation.", False),
    ],
)
def test_gives_reason(text, reason):
    assert gives_reason(text) is reason


@pytest.fixture(scope="module")
def services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "cache-classes.md", PAGE, OTHERS)[0]


@pytest.mark.slow
def test_the_unit_giving_the_reason_is_cited(services):
    from rag.answering.extractive import REASON_DEPTH, REASON_MARGIN

    decision, reason = ranked_below_top(services, QUESTION, "The reason several default classes")
    top = decision.ranked[0]
    assert not gives_reason(top.text)  # the unit scorer alone would cite a sentence that gives no reason
    assert decision.ranked.index(reason) < REASON_DEPTH and reason.score >= REASON_MARGIN * top.score
    assert decision.best is reason

    answer = services.assistant.ask(QUESTION)
    assert not answer.abstained
    assert "to let you migrate from one backend to another" in answer.answer
    assert answer.citations[0].quote in PAGE


@pytest.mark.slow
def test_a_question_asking_no_reason_keeps_the_unit_scorers_choice(services):
    decision = decide(services, "Which annotation marks a CacheClass as default?")
    assert decision.best is decision.ranked[0]
