"""A question asking what happens under a condition, on a real index (ExtractiveAnswerer._on_condition): the unit
that states the condition is cited, not the one that shares more of the question's words without stating it."""

from __future__ import annotations

import pytest

from tests.support.pages import decide, index_page, ranked_below_top

PAGE = """---
title: Gateway classes
---

# Gateway classes

A GatewayClass names the controller that implements Gateways of that class.

## Default gateway class

You mark a GatewayClass as default by setting the `gateway.example.io/is-default-class` annotation to `true`.
Setting the `gateway.example.io/is-default-class` annotation on a GatewayClass makes new Gateways without a
`gatewayClassName` use that class.

If you have more than one GatewayClass marked as the default, the admission webhook rejects new Gateways that
don't name a class. Keep at most one GatewayClass marked as default.
"""
QUESTION = "What goes wrong if more than one GatewayClass has the is-default-class annotation set to true?"
# Other pages give the common words (default, set, true, annotation, class) their real rarity.
OTHERS = {
    "annotations.md": "# Annotations\n\nAn annotation is set on an object to attach metadata. Set the value to "
                      "`true` or `false`; the default is unset. A class of objects may share annotations.\n",
    "defaults.md": "# Defaults\n\nEvery field has a default. When a field is not set, the default is used. A "
                   "storage class can be marked default, and one class of storage is set as the default.\n",
}


@pytest.fixture(scope="module")
def services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "gateway-classes.md", PAGE, OTHERS)[0]


@pytest.mark.slow
def test_the_unit_stating_the_condition_is_cited(services):
    from rag.answering.extractive import CONDITION_MARGIN

    decision, stating = ranked_below_top(services, QUESTION, "If you have more than one GatewayClass")
    top = decision.ranked[0]
    # the unit scorer alone would cite a sentence that restates the annotation, not what goes wrong
    assert "If" not in top.text
    assert stating.score >= CONDITION_MARGIN * top.score
    assert decision.best is stating

    answer = services.assistant.ask(QUESTION)
    assert not answer.abstained
    assert "the admission webhook rejects new Gateways" in answer.answer
    assert answer.citations[0].quote in PAGE


@pytest.mark.slow
def test_a_question_asking_no_consequence_keeps_the_unit_scorers_choice(services):
    question = "Which annotation marks a GatewayClass as the default?"
    decision = decide(services, question)
    assert decision.best is decision.ranked[0]
