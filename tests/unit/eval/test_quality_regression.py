"""Quality regression: the seed gold set, end to end with the real model, must stay at or above the thresholds
kept in eval/thresholds.json. Raise them as quality improves; lower them only with the reason in the commit."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

THRESHOLDS = json.loads((REPO / "eval" / "thresholds.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seeds_run(seeds_index_dir, real_embedder, tmp_path_factory):
    from eval.session import evaluate
    from rag.settings import Settings

    settings = Settings(_env_file=None, index_dir=seeds_index_dir)
    run = evaluate([REPO / "eval" / "gold" / "seeds.jsonl"], settings, index_dir=seeds_index_dir,
                   embedder=real_embedder, progress=False, cache_dir=tmp_path_factory.mktemp("eval-cache"))
    return run.to_json()


@pytest.mark.parametrize("metric", sorted(THRESHOLDS["seeds"]["at_least"]))
def test_seed_metric_at_least(seeds_run, metric):
    group, name = metric.split(".", 1)
    value = seeds_run[group][name]
    assert value is not None and value >= THRESHOLDS["seeds"]["at_least"][metric], (metric, value)


@pytest.mark.parametrize("metric", sorted(THRESHOLDS["seeds"]["at_most"]))
def test_seed_metric_at_most(seeds_run, metric):
    group, name = metric.split(".", 1)
    value = seeds_run[group][name]
    assert value is not None and value <= THRESHOLDS["seeds"]["at_most"][metric], (metric, value)


def test_every_question_was_scored(seeds_run):
    assert seeds_run["n"] == 86 and seeds_run["counts"]["errors"] == 0
