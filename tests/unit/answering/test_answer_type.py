"""Expected answer types and follow-up detection: the rule-based signals the extractive answerer relies on."""

from __future__ import annotations

import pytest

from rag.answering.answer_type import NAME, NUMBER, OTHER, TIME, has_answer_type, question_type
from rag.retrieval.followup import contextual_query, is_elliptical

KN23 = ("It is likely that North Korea has, since last year, been providing Russia with missiles, such as KN-23, "
        "with which to attack Ukraine.")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many missiles did North Korea send?", NUMBER),
        ("How much aid did Japan provide?", NUMBER),
        ("When did Kim welcome Putin?", TIME),
        ("In what year was the accord signed?", TIME),
        ("Who represented Australia?", NAME),
        ("Where did Kim welcome Putin?", NAME),
        ("Which country signed the accord?", NAME),
        ("Which missile has North Korea likely provided?", OTHER),
        ("Why does Japan look to Trump with dismay?", OTHER),
        ("Why does the tutorial pass check_same_thread=False when creating the engine?", OTHER),
        ("Who was king when the Normans came to Normandy?", NAME),
        ("How do I drain a node when it is under pressure?", OTHER),
        ("Which autoscaler mode only sets requests when Pods are created?", OTHER),  # "when" opens a clause
        ("What was the number of ships when the fleet sailed?", NUMBER),
        # context first, then the question: the asking sentence decides
        ("The server skips the check when it connects. Which flag turns it on?", OTHER),
        ("We deploy on Fridays. When does the certificate expire?", TIME),
        # a clause that sets the scene is not the question
        ("When I call the generator myself, what version does it write?", OTHER),
        ("If the pod fails, when is it restarted?", TIME),
        ("When the Normans came, who led them?", NAME),
        # "when" with a modal asks for the circumstances, not a date
        ("When should I use Security() instead of Depends()?", OTHER),
        ("We deploy on Fridays. When do I need to renew the certificate?", OTHER),
    ],
)
def test_question_type(question, kind):
    assert question_type(question) == kind


def test_a_model_code_is_not_a_quantity():
    assert not has_answer_type(NUMBER, KN23, "How many missiles did North Korea send to Russia?")
    assert has_answer_type(NUMBER, "Japan provided $12 billion of aid.", "How much aid did Japan provide?")
    assert has_answer_type(NUMBER, "Japan sent three ships.", "How many ships did Japan send?")


def test_a_number_already_in_the_question_does_not_count():
    assert not has_answer_type(NUMBER, "Japan provided $12 billion of aid.",
                               "How much of the $12 billion was humanitarian?")


def test_links_urls_and_references_state_no_number_or_date():
    """A release note "Add support for Server Sent Events. PR [#15030](https://github.com/org/repo/pull/15030)"
    does not answer "how often": neither the reference nor the URL is an amount, and a year in a URL is no date."""
    note = "Add support for Server Sent Events. PR [#15030](https://github.com/org/repo/pull/15030)."
    assert not has_answer_type(NUMBER, note, "How often does the server send a ping?")
    assert not has_answer_type(TIME, "See [the post](https://example.org/blog/2021/05/pings).",
                               "When were pings added?")
    assert not has_answer_type(NUMBER, "Read <https://example.org/v2/limits> first.", "How many retries?")
    assert has_answer_type(NUMBER, "Send a ping every 15 seconds ([why](https://example.org/why)).",
                           "How often does the server send a ping?")


def test_time_and_name():
    assert has_answer_type(TIME, KN23, "When did North Korea start providing missiles?")  # "since last year"
    assert not has_answer_type(TIME, "cgroup v2 is the next version of the Linux cgroup API.",
                               "Since when has Arch Linux shipped with cgroup v2?")
    assert not has_answer_type(TIME, "During updates the controller waits for the last Pod.", "When is it removed?")
    assert has_answer_type(TIME, "Arch Linux ships it since April 2021.", "Since when has Arch Linux shipped it?")
    assert not has_answer_type(TIME, "Japan signed the accord.", "When did Japan sign the accord?")
    assert has_answer_type(NAME, "The minister, Richard Marles, attended.", "Who represented Australia?")
    assert not has_answer_type(NAME, "Australia was represented.", "Who represented Australia?")


def test_follow_up_detection_and_query():
    history = [{"role": "user", "content": "Who did Biden meet at the NATO summit?"},
               {"role": "assistant", "content": "The IP4 leaders."}]
    assert is_elliptical("and who represented Australia?")
    assert is_elliptical("What did he announce?")
    assert is_elliptical("what about China?")
    assert not is_elliptical("Where does the ferry depart from?")
    # fragments that open with a preposition and a wh-word, demonstratives, "others"
    assert is_elliptical("Near which islands?") and is_elliptical("Over what?") and is_elliptical("In which city?")
    assert is_elliptical("When was that?") and is_elliptical("Any others, to a lesser extent?")
    assert not is_elliptical("In Kubernetes, which component schedules Pods?")  # a fresh question, with a verb
    assert not is_elliptical("From which pier does the harbour ferry depart every morning?")
    assert not is_elliptical("Which port does the kubelet listen on?")
    query = contextual_query("and who represented Australia?", history)
    assert query.startswith("and who represented Australia?") and "biden" in query and "nato" in query
    assert contextual_query("Where does the ferry depart from?", history) == "Where does the ferry depart from?"
    assert contextual_query("and who?", None) == "and who?"
