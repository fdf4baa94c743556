""""What is X?" / "What does X do?" questions and the units that say what X is or does (rag.retrieval.definitions),
and the answer on a real index."""

from __future__ import annotations

import pytest

from rag.retrieval.definitions import asked_subject, defines, titled


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("What is a Gateway?", "Gateway"),
        ("What are sidecar proxies?", "sidecar proxies"),
        ("What does the node-reaper do?", "node-reaper"),
        ("What's etcd?", "etcd"),
        ("What is a WidgetPool used for?", "WidgetPool"),
        ("What is the default timeout?", None),  # asks for a value, not what a thing is
        ("What is the difference between a Gateway and an Ingress?", None),
        ("What is it?", None),
        ("What is a Gateway, and who runs it?", None),
        ("How does the node-reaper work?", None),
    ],
)
def test_the_thing_a_question_asks_about(question, subject):
    assert asked_subject(question) == subject


@pytest.mark.parametrize(
    ("text", "subject", "strength"),
    [
        ("A Gateway is a load balancer at the edge of the mesh.", "Gateway", 2),
        ("A _Gateway_ routes traffic from outside the mesh.", "Gateway", 1),
        ("A Gateway's purpose is to route traffic.", "Gateway", 2),
        ("In the mesh, _gateways_ provide a single entry point.", "gateway", 1),
        ('A "gateway" is a proxy at the edge.', "gateway", 2),
        ("[node-reaper](/docs/reaper/)\n: Deletes nodes that stopped reporting.", "node-reaper", 2),
        ("This page is an overview of sidecar proxies: helpers that run beside each app.", "sidecar proxies", 2),
        ("You can describe a Gateway in a YAML file.", "Gateway", 0),  # uses it, says nothing of what it is
        ("However, a Gateway replaces routes that are deleted.", "Gateway", 0),  # a connective, not a setting
        ("A Gateway is defined with fields and a selector.", "Gateway", 0),  # a participle: how it is written
        ("The Gateway controller creates routes.", "Gateway", 0),  # about the controller
        ("The node-reaper has the following settings:", "node-reaper", 0),
        ("Nodes are reaped by the operator.", "node-reaper", 0),
    ],
)
def test_a_unit_says_what_the_thing_is_or_does(text, subject, strength):
    assert defines(text, subject) == strength


def test_a_page_is_about_the_thing_its_title_names():
    assert titled("Gateways", "Gateway") and titled("The node-reaper", "node-reaper")
    assert not titled("Gateway API reference (gatewayd)", "gate") and not titled(None, "Gateway")


@pytest.mark.slow
def test_what_is_x_is_answered_from_the_page_that_defines_it(tmp_path_factory, real_embedder):
    """The unit that says what the thing is wins over sentences that only use it, even ones the unit scorer ranks
    higher, and over a later definition on the same page; a thing no page defines takes the usual path."""
    from tests.support.pages import index_page

    page = ("# Gateway\n\nA _Gateway_ routes traffic from outside the mesh to the services inside it. It runs as a "
            "pod at the edge of the cluster.\n\n## Writing a Gateway\n\nYou can describe a Gateway in a YAML file. "
            "Every Gateway needs a name and a list of listeners.\n\n## API object\n\n`Gateway` is a top-level "
            "resource in the mesh API.\n")
    others = {
        "listeners.md": "# Listeners\n\nA Gateway has one listener per port. You can add listeners to a Gateway at "
                        "any time, and a Gateway reloads them without a restart.\n",
        "tls.md": "# TLS\n\nA Gateway terminates TLS with the certificate named in its listener.\n",
    }
    services, _ = index_page(tmp_path_factory, real_embedder, "gateway.md", page, others)

    answer = services.assistant.ask("What is a Gateway?", mode="extractive")
    assert not answer.abstained
    assert answer.answer.startswith("A Gateway routes traffic from outside the mesh")
    citation = answer.citations[0]
    assert page[citation.start - len("# Gateway\n\n"):citation.end].startswith("# Gateway\n\nA _Gateway_ routes")
    assert answer.short_answer is None  # the whole unit is the answer

    assert services.assistant.ask("What does a Gateway do?", mode="extractive").answer.startswith("A Gateway routes")
    unknown = services.assistant.ask("What is a Sidecar Mesh Broker?", mode="extractive")
    assert not unknown.answer.startswith("A Gateway routes")
