"""A table row whose header names the asked thing, on a real index: "Which taint effect ...?" is answered by the row
under "| Toleration key | Effect | Description |", with the Effect cell as the short answer, not by a prose sentence
about the same toleration that states some other value."""

from __future__ import annotations

import pytest

from tests.support.pages import index_page

PAGE = """---
title: Relay agents
---

# Relay agents

Relay agents run on every node of the fleet.

## Taints and tolerations

Relay agent Pods automatically get tolerations: the fleet manager adds a toleration for `node.example.io/offline`
with `tolerationSeconds=120` to every Pod, unless you set that toleration explicitly.

Relay agent Pods get these tolerations automatically:

| Toleration key | Effect | Description |
| -------------- | ------ | ----------- |
| `node.example.io/offline` | `NoExecute` | Relay agent Pods stay on nodes that the manager cannot reach. |
| `node.example.io/disk-full` | `NoSchedule` | Relay agent Pods can be scheduled onto nodes whose disk is full. |
"""
OTHERS = {
    "taints.md": "# Taints\n\nA taint has a key, a value and an effect. The effect `NoSchedule` keeps new Pods off a "
                 "node; the effect `NoExecute` also evicts running Pods. A toleration lets a Pod ignore a taint.\n",
}
QUESTION = ("Which taint effect do the tolerations that relay agent Pods automatically get for node.example.io/offline "
            "have?")


@pytest.fixture(scope="module")
def services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "relay-agents.md", PAGE, OTHERS)[0]


@pytest.mark.slow
def test_the_row_under_the_asked_column_answers(services, monkeypatch):
    import rag.answering.extractive as extractive
    from tests.support.pages import decide

    decision = decide(services, QUESTION)
    row = next(c for c in decision.ranked if c.kind == "table_row" and "offline" in c.text)
    assert row.features["names_focus"] == 1.0
    assert decision.best is row

    answer = services.assistant.ask(QUESTION)
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("`node.example.io/offline` | `NoExecute` |")
    assert answer.short_answer is not None and answer.short_answer.text == "NoExecute"
    doc = services.view().document(answer.citations[0].source).text
    assert doc[answer.short_answer.start:answer.short_answer.end] == "NoExecute"

    # the premise: read without its column, the row loses to the prose sentence about the same toleration
    monkeypatch.setattr(extractive, "names_column", lambda *args: False)
    without = decide(services, QUESTION)
    assert without.best is not None and without.best.text.startswith("Relay agent Pods automatically get")
