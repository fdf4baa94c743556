"""The runner-up re-read (ExtractiveAnswerer._reread) on a real index: when the unit scorer's best unit names the
subject but not the value asked for and the runner-up, scored close to it, holds it, the runner-up is cited."""

from __future__ import annotations

import pytest

from tests.support.pages import decide, index_page

PAGE = """---
title: About cgroup v2
---

# About cgroup v2

Today, cgroup v2 is the Linux `cgroup` interface. It provides a unified control system with enhanced
resource management capabilities.

## Linux distributions with cgroup v2

For a list of Linux distributions that use cgroup v2, see the distribution notes.

- Container-Optimized OS (since M97)
- Ubuntu (since 21.10, 22.04+ recommended)
- Debian GNU/Linux (since Debian 11 bullseye)
- Fedora (since 31)
- Arch Linux (since April 2021)
- RHEL and RHEL-like distributions (since 9)
"""
QUESTION = "Since when has Arch Linux shipped with cgroup v2 enabled?"


@pytest.fixture(scope="module")
def services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "cgroups.md", PAGE)[0]


@pytest.mark.slow
def test_the_runner_up_holding_the_value_is_cited(services):
    from rag.answering.extractive import RERANK_OTHER

    assistant = services.assistant
    decision = decide(services, QUESTION)
    top, runner = decision.ranked[0], decision.ranked[1]
    # the premise: the unit scorer alone would cite the sentence with "today" but no date, the dated item close
    # behind
    assert top.text.startswith("Today, cgroup v2 is the Linux")
    assert runner.text == "Arch Linux (since April 2021)" and runner.score >= RERANK_OTHER[1] * top.score
    assert decision.best is runner

    answer = assistant.ask(QUESTION)
    assert not answer.abstained
    assert answer.answer == "Arch Linux (since April 2021) [1]"
    doc = PAGE
    quote = answer.citations[0].quote
    assert quote == "Arch Linux (since April 2021)" and quote in doc
    assert answer.short_answer is not None and answer.short_answer.text == "April 2021"


@pytest.mark.slow
def test_a_runner_up_far_below_the_best_is_not_read(services):
    from rag.answering.extractive import RERANK_OTHER

    # a date question (not a release: a version or release is a value, read under RERANK_CRISP)
    decision = decide(services, "Since when does Fedora use cgroup v2?")
    top = decision.ranked[0]
    far = [c for c in decision.ranked[1:] if c.score < RERANK_OTHER[1] * top.score]
    assert far and decision.ranked[1] in far  # the premise: the runner-up is not close
    assert decision.best is top


POOL = """---
title: Scaling a pool
---

# Scaling a pool

## Pod removal cost

Using the `example.com/pod-removal-cost` annotation, users can set a preference regarding which pods to remove
first when a pool is scaled down.

The annotation is set on the pod, and the range is [-1000, 1000]. It represents the cost of removing a pod
compared to other pods of the same pool. Pods with a lower removal cost are removed first.

The implicit value for this annotation for pods that don't set it is 0; negative values are permitted.

## Pool size

A pool keeps at most 50 pods.
"""


@pytest.fixture(scope="module")
def pool_services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "pool.md", POOL)[0]


def test_joined_runs_write_words_together():
    from rag.answering.extractive import _joined_runs

    runs = _joined_runs("Scaling a pool > Pod removal cost")
    assert {"podremovalcost", "podremoval", "removalcost"} <= runs
    assert "scalingapoolpod" in runs and "pool" not in runs  # runs of 2-4 words only


@pytest.mark.slow
def test_a_value_under_a_heading_that_spells_out_the_identifier_is_cited(pool_services):
    """The value sentence says "this annotation", not `pod-removal-cost`; its heading "Pod removal cost" spells the
    identifier out. It is about the question (``_about``), so it is read and cited; without it the best unit, which
    names the annotation but states no value, was vetoed."""
    assistant = pool_services.assistant
    question = "What removal cost is assumed for pods that don't set the pod-removal-cost annotation?"
    decision = decide(pool_services, question)
    assert "pod-removal-cost" in decision.ranked[0].text and decision.ranked[0].features["type_present"] == 0.0
    answer = assistant.ask(question)
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("The implicit value for this annotation")
    assert answer.short_answer is not None and answer.short_answer.text == "0"
