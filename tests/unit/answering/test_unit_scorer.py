"""The unit scorer's features on a real index (the bundled model, a Markdown page indexed on disk): the features the
fitted scorer and the abstention model read are what their names say."""

from __future__ import annotations

import pytest

from rag.answering.abstention import ABSTAIN_FEATURES
from rag.answering.short_answer import expected_type, unit_has_type
from tests.support.pages import decide, index_page

PAGE = """---
title: Rolling updates
---

# Rolling updates

## Max surge

You can specify `maxSurge` to control the rolling update process.

`maxSurge` is an optional field that specifies the maximum number of Pods that can be created over the desired
number of Pods. The value can be an absolute number or a percentage of desired Pods. The default value is 25%.

## Pausing

Pause a rollout before triggering one or more updates:

- `kubectl rollout pause` stops the rollout where it is.
- `kubectl rollout resume` continues it.
"""


def test_unit_has_type_reads_the_expected_answer_type():
    value = "What is the default maxSurge of a Deployment?"
    assert unit_has_type(expected_type(value), "The default value is 25%.", value) is True
    assert unit_has_type(expected_type(value), "You can specify the maxSurge field.", value) is False
    count = "How many replicas does the Deployment keep?"
    assert unit_has_type(expected_type(count), "It keeps 3 replicas.", count) is True
    assert unit_has_type(expected_type(count), "It keeps some replicas.", count) is False
    assert unit_has_type(expected_type("Why does a rollout pause?"), "Anything.", "Why does a rollout pause?") is None


@pytest.fixture(scope="module")
def page_services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "rolling.md", PAGE)[0]


@pytest.mark.slow
def test_unit_features_on_the_real_index(page_services):
    decision = decide(page_services, "What is the default maxSurge for a rolling update?")
    by_text = {c.text.strip(): c for c in decision.ranked}
    valued = by_text["The default value is 25%."]
    naming = by_text["You can specify `maxSurge` to control the rolling update process."]
    assert valued.features["type_present"] == 1.0 and valued.features["type_absent"] == 0.0
    assert naming.features["type_absent"] == 1.0
    assert valued.features["context"] > 0.0  # the sentences before it name maxSurge
    assert max(c.features["rel_dense"] for c in decision.ranked) == 0.0
    intro = by_text["Pause a rollout before triggering one or more updates:"]
    assert intro.features["colon"] == 1.0
    assert by_text["`kubectl rollout pause` stops the rollout where it is."].features["list_item"] == 1.0
    assert len(decision.signals) == len(ABSTAIN_FEATURES)


@pytest.mark.slow
def test_a_unit_that_only_restates_the_question_is_no_candidate(tmp_path_factory, real_embedder):
    """A bare link ("[`gizmo-proxy`](/docs/...)") or a title line says nothing the question does not: it is dropped
    from the ranking (it had scored close to the sentence that answers), except for a yes/no question, which a
    restatement answers."""
    from rag.answering.extractive import _saying_something
    from rag.ingest.markup import plain_text
    from rag.text import content_terms

    page = ("# Tools\n\nThe node agents:\n\n- [`widgetd`](/docs/reference/widgetd/)\n"
            "- [`gizmo-proxy`](/docs/reference/gizmo-proxy/)\n\n## Modes\n\nThe proxy runs in iptables mode unless "
            "told otherwise. Pass `--mode=turbo` on its command line to run it in the faster mode.\n")
    services, _ = index_page(tmp_path_factory, real_embedder, "tools.md", page,
                             {"other.md": "# Other\n\nNodes report their status every ten seconds.\n"})
    question = "How do I switch gizmo-proxy to turbo mode?"
    decision = decide(services, question)
    asked = set(content_terms(question))
    assert decision.ranked and all(set(content_terms(plain_text(c.text))) - asked for c in decision.ranked)
    assert decision.best is not None and "--mode=turbo" in decision.best.text

    restated = decide(services, "Is there a gizmo-proxy?").ranked
    links = [c for c in restated if c.text.startswith("[`gizmo-proxy`]")]
    assert links  # a yes/no question keeps it
    # when every unit only restates the question, the ranking is left as it is (the abstention model decides)
    assert _saying_something("Where is gizmo-proxy?", links) == links
    assert _saying_something("Where is gizmo-proxy?", restated) == [c for c in restated if c not in links]


TYPES_PAGE = """# Extra data types

Besides `int` and `str`, these types can be declared in a model:

* `decimal.Money`:
    * A Python `decimal.Money`.
    * In requests and responses it is represented as a `str` with two decimals.
* `uuid.Tag`:
    * A short universally unique tag.
    * In requests and responses it is represented as a `str`.
"""


@pytest.mark.slow
def test_a_list_item_names_the_identifiers_its_lead_in_names(tmp_path_factory, real_embedder):
    """The sub-items of "* `decimal.Money`:" are about `decimal.Money` as much as the one that repeats the name:
    the identifiers feature counts the lead-in, so "how is it represented?" is answered by the item that says how,
    not by "A Python `decimal.Money`." for holding the name."""
    services, _ = index_page(tmp_path_factory, real_embedder, "types.md", TYPES_PAGE)
    decision = decide(services, "If my response model has a decimal.Money field, how is it represented in the JSON?")
    by_text = {c.text: c for c in decision.ranked}
    said = by_text["In requests and responses it is represented as a `str` with two decimals."]
    assert said.lead == "* `decimal.Money`:"
    assert said.features["identifiers"] == 1.0
    assert decision.best is said


HEALTH_PAGE = """# Volume health monitoring

When the external health monitor detects a node failure event, the controller reports an Event on the
PersistentVolumeClaim to indicate that pods using this claim are on a failed node.

You can enable node failure monitoring by setting the `enable-node-watcher` flag to true.
"""


@pytest.mark.slow
def test_a_question_written_after_its_context_is_answered_by_what_it_asks(tmp_path_factory, real_embedder):
    """"I want the monitor to report when pods using a claim sit on a failed node. Which flag do I turn on?": the
    sentence restating the context holds most of the question's words; the one that names a flag (``names_focus``)
    and holds the asking sentence's words (``asked``) answers. Without those two features the restatement won."""
    services, _ = index_page(tmp_path_factory, real_embedder, "health.md", HEALTH_PAGE,
                             {"other.md": "# Nodes\n\nNodes report their status every ten seconds.\n"})
    question = ("I want the external health monitor to also report when pods using a claim are sitting on a failed "
                "node. Which flag do I turn on?")
    decision = decide(services, question)
    by_text = {" ".join(c.text.split()): c for c in decision.ranked}
    flag = by_text["You can enable node failure monitoring by setting the `enable-node-watcher` flag to true."]
    context = next(c for text, c in by_text.items() if text.startswith("When the external health monitor"))
    assert flag.features["names_focus"] == 1.0 and context.features["names_focus"] == 0.0
    assert flag.features["asked"] > context.features["asked"] == 0.0
    assert context.features["idf_coverage"] > flag.features["idf_coverage"]  # the context's words favour it
    assert decision.best is flag and decision.veto is None

    answerer = services.assistant.answerers["extractive"]
    weights = answerer.weights
    try:
        answerer.weights = weights[:-2] + [0.0, 0.0]  # the scorer without the two features
        without = decide(services, question).ranked
        assert " ".join(without[0].text.split()).startswith("When the external health")
    finally:
        answerer.weights = weights
    # a question that is one asking sentence has no separate asking part
    single = decide(services, "Which flag enables node failure monitoring?")
    assert all(c.features["asked"] == 0.0 for c in single.ranked)
