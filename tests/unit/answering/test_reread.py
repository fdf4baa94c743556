"""The runner-up re-read (ExtractiveAnswerer._reread) on a real index: when the unit scorer's best unit names the
subject but not the value asked for and the runner-up, scored close to it, holds it, the runner-up is cited."""

from __future__ import annotations

import pytest

PAGE = """---
title: About cgroup v2
---

# About cgroup v2

cgroup v2 is the next version of the Linux `cgroup` API. It provides a unified control system with enhanced
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
    from rag.ingest.indexer import index_paths
    from rag.services import build_services
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("reread")
    (root / "docs").mkdir()
    (root / "docs" / "cgroups.md").write_text(PAGE, encoding="utf-8")
    settings = Settings(_env_file=None, index_dir=root / "index")
    index_paths([root / "docs"], settings, embedder=real_embedder)
    return build_services(settings, embedder=real_embedder)


@pytest.mark.slow
def test_the_runner_up_holding_the_value_is_cited(services):
    from rag.answering.extractive import RERANK_OTHER

    assistant = services.assistant
    answerer = assistant.answerers["extractive"]
    state = assistant.retrieve_state(QUESTION)
    decision = answerer.decide(state.query, state.passages, state.query_vector)
    top, runner = decision.ranked[0], decision.ranked[1]
    # the premise: the unit scorer alone would cite the sentence without the date, the dated item close behind
    assert top.text.startswith("cgroup v2 is the next version")
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

    assistant = services.assistant
    answerer = assistant.answerers["extractive"]
    state = assistant.retrieve_state("Since which release does Fedora use cgroup v2?")
    decision = answerer.decide(state.query, state.passages, state.query_vector)
    top = decision.ranked[0]
    far = [c for c in decision.ranked[1:] if c.score < RERANK_OTHER[1] * top.score]
    assert far and decision.ranked[1] in far  # the premise: the runner-up is not close
    assert decision.best is top
