"""A question asking what happens under a condition, and the unit that states that condition."""

from __future__ import annotations

import pytest

from rag.answering.conditions import asked_condition, condition_match


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("What goes wrong if more than one gateway class is marked default?", True),
        ("What does the agent do if it cannot reach the registry?", True),
        ("We run two proxies. What happens when both claim the same port?", True),
        # no consequence asked: a time, a value, a yes/no question
        ("When did the registry move to the new domain?", False),
        ("Which port does the proxy use when TLS is off?", False),
        ("Does the agent retry if the registry is down?", False),
        ("What happens during a rolling update?", False),  # no condition
    ],
)
def test_only_a_question_asking_a_consequence_has_a_condition(question, asks):
    assert bool(asked_condition(question)) is asks


def test_the_condition_is_matched_against_the_units_own_if_clause():
    condition = asked_condition("What does the agent do if it can't reach the image registry?")
    assert {"reach", "image", "registry"} <= condition and not any("n't" in t for t in condition)
    idf = {"reach": 4.0, "image": 1.0, "registry": 3.0}
    states_it = "If the agent cannot reach the registry, it gives up and reports the node as not ready."
    restates = "The agent reaches the image registry over HTTPS and pulls images when a Pod starts."
    other = "If the image is missing, the agent tries the registry mirror."
    assert condition_match(condition, states_it, idf) == pytest.approx(7 / 8)
    assert condition_match(condition, restates, idf) == 0.0  # no condition stated, however many words it shares
    assert condition_match(condition, other, idf) == pytest.approx(1 / 8)  # "registry" is outside its if-clause
