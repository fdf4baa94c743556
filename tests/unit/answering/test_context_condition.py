"""A question that sets its circumstances before it asks ("I set X: false and left Y unset. How many ...?") cites
the unit whose own if / when clause states them (rag.answering.conditions.context_condition, on a real index)."""

from __future__ import annotations

import pytest

from rag.answering.conditions import context_condition
from rag.answering.short_answer import shown_as_short_answer
from tests.support.pages import index_page, ranked_below_top

PAGE = """# Image pulls

By default the agent pulls one image at a time.

## Parallel image pulls

With `maxParallelPulls` set to _n_, only _n_ images can be pulled at the same time, and any image pull beyond _n_
has to wait until at least one ongoing image pull is complete.
To pull images in parallel, set `serialPulls` to false in the agent's configuration file.
When `serialPulls` is set to false, the agent defaults to no limit on the maximum number of images being pulled at
the same time.
"""
QUESTION = ("I set serialPulls: false and left maxParallelPulls unset. How many images will the agent pull at the "
            "same time?")
OTHERS = {
    "agent.md": "# Agent\n\nThe agent runs on every node. It pulls images, starts containers and reports their "
                "status. Its settings are set in a file; a setting left unset takes its default.\n",
}


@pytest.mark.parametrize(
    ("question", "amount", "terms"),
    [
        (QUESTION, True, {"serialpull", "false", "left", "maxparallelpull", "unset", "set"}),
        # a what-happens question: its circumstances count whatever it asks
        ("We have two default classes. What happens when a claim names none?", False, {"two", "default", "class"}),
        # a sentence after the question objects, it sets no circumstance
        ("Why is a committed manifest risky? The values are encoded anyway.", False, set()),
        # a question for a name states a goal, not a circumstance
        ("I want pods on failed nodes reported. Which flag do I turn on?", False, set()),
        # one sentence: nothing before it
        ("How many images are pulled at the same time?", True, set()),
    ],
)
def test_the_circumstances_are_the_sentences_before_the_question(question, amount, terms):
    assert context_condition(question, amount) == terms


def test_a_count_is_shown_only_as_an_amount():
    assert shown_as_short_answer("How many replicas run?", "3")
    assert shown_as_short_answer("How many replicas run?", "three replicas")
    assert not shown_as_short_answer("How many images are pulled at once?", "maximum number")
    assert shown_as_short_answer("Which agent pulls images?", "the agent")


@pytest.fixture(scope="module")
def services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "image-pulls.md", PAGE, OTHERS)[0]


@pytest.mark.slow
def test_the_unit_stating_the_circumstances_is_cited(services):
    decision, stating = ranked_below_top(services, QUESTION, "When `serialPulls` is set to false")
    assert decision.best is stating and decision.veto is None

    answer = services.assistant.ask(QUESTION)
    assert not answer.abstained
    assert "defaults to no limit" in answer.answer and answer.citations[0].quote in PAGE
    assert answer.short_answer is None or any(ch.isdigit() for ch in answer.short_answer.text)
