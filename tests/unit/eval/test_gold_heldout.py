"""Sanity checks for the held-out gold sets in eval/gold/heldout/ (no model, fast): each loads as a gold file and
ids are unique across them. The third and fourth fresh pairs, written by helpers that checked their quotes, are held
to more: every answer is in its evidence as written (a yes/no answer is "yes" or "no"), and the Kubernetes sets'
evidence is verbatim in the corpus when ../shared is beside the project (the FastAPI docs are fetched separately,
docs/EVAL.md). Older sets keep answers that span a line break of the evidence or spell a form out
("Object-Relational Mapper"), which `rag eval` matches after normalising."""

from __future__ import annotations

import json

import pytest

from eval.gold_io import load_gold
from tests.conftest import REPO, SHARED

HELDOUT = sorted((REPO / "eval" / "gold" / "heldout").glob("*.jsonl"))
K8S_DOCS = SHARED / "corpora" / "k8s-concepts" / "docs"


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_held_out_sets_are_there():
    names = {p.stem for p in HELDOUT}
    assert {"fresh4-k8s", "fresh4-fastapi", "fresh3-k8s", "fresh3-fastapi", "fresh2-k8s", "fresh-fastapi"} <= names


@pytest.mark.parametrize("path", HELDOUT, ids=[p.stem for p in HELDOUT])
def test_a_held_out_set_loads_as_a_gold_file(path):
    gold = load_gold(path)
    assert gold.ok, gold.problems
    assert len(gold.items) == len(_rows(path)) > 0


@pytest.mark.parametrize("name", ["fresh3-k8s", "fresh3-fastapi", "fresh4-k8s", "fresh4-fastapi"])
def test_a_fresh_set_has_its_answers_in_its_evidence(name):
    for row in _rows(REPO / "eval" / "gold" / "heldout" / f"{name}.jsonl"):
        if row.get("type") == "yes_no":  # "yes" or "no": the evidence says it in its own words
            assert row["answers"] in (["yes"], ["no"]) and row["evidence"], row["id"]
        elif row["answers"]:
            joined = " ".join(row["evidence"]).lower()
            assert all(a.lower() in joined for a in row["answers"]), row["id"]
        else:
            assert not row["evidence"] and row["source"] is None, row["id"]


def test_ids_are_unique_across_the_held_out_sets():
    ids = [row["id"] for path in HELDOUT for row in _rows(path)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", ["fresh3-k8s", "fresh3-fastapi", "fresh4-k8s", "fresh4-fastapi"])
def test_a_fresh_set_is_split_in_halves_of_fifteen_answerable_and_five_not(name):
    rows = _rows(REPO / "eval" / "gold" / "heldout" / f"{name}.jsonl")
    for split in ("dev", "test"):
        half = [r for r in rows if r["split"] == split]
        assert (len(half), sum(1 for r in half if r["answers"])) == (20, 15), split


@pytest.mark.skipif(not K8S_DOCS.is_dir(), reason="../shared/corpora/k8s-concepts is not beside the project")
@pytest.mark.parametrize("name", ["fresh3-k8s", "fresh4-k8s"])
def test_the_fresh_kubernetes_evidence_is_verbatim_in_the_corpus(name):
    rows = _rows(REPO / "eval" / "gold" / "heldout" / f"{name}.jsonl")
    assert sum(1 for row in rows if row["answers"]) == 30
    for row in rows:
        if row["answers"] and row.get("source"):
            text = (K8S_DOCS / row["source"]).read_text(encoding="utf-8")
            assert all(e in text for e in row["evidence"]), row["id"]


CLAPNQ = SHARED / "datasets" / "clapnq"


def test_the_who_is_set_has_its_answers_in_its_evidence_and_halves_of_twenty_and_ten():
    rows = _rows(REPO / "eval" / "gold" / "heldout" / "whois-clapnq.jsonl")
    for split in ("dev", "test"):
        half = [r for r in rows if r["split"] == split]
        assert (len(half), sum(1 for r in half if r["answers"])) == (30, 20), split
    for row in rows:
        assert row["question"].lower().startswith("who"), row["id"]
        if row["answers"]:
            assert all(a in " ".join(row["evidence"]) for a in row["answers"]), row["id"]
        else:
            assert not row["evidence"] and row["source"] is None, row["id"]


@pytest.mark.skipif(not CLAPNQ.is_dir(), reason="../shared/datasets/clapnq is not beside the project")
def test_the_who_is_evidence_is_verbatim_in_the_clapnq_passages_it_names(tmp_path):
    # the passages as `rag eval` writes them from the ClapNQ dataset (docs/EVAL.md gives the command)
    from eval.datasets import load_dataset

    load_dataset(CLAPNQ, tmp_path / "corpus")
    rows = _rows(REPO / "eval" / "gold" / "heldout" / "whois-clapnq.jsonl")
    assert sum(1 for row in rows if row["answers"]) == 40
    for row in rows:
        if row["answers"]:
            text = (tmp_path / "corpus" / row["source"]).read_text(encoding="utf-8")
            assert all(e in text for e in row["evidence"]), row["id"]
