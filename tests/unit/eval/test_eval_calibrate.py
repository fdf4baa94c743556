"""`rag calibrate`: the threshold rule, the reported refusal rates, and a real run on the seeds gold set."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eval.calibrate import _dev_rates, calibrate, choose_threshold
from tests.conftest import REPO


def test_the_threshold_keeps_false_refusals_within_the_budget():
    answerable = [0.9, 0.8, 0.7, 0.6, 0.2]
    unanswerable = [0.5, 0.3, 0.1]
    threshold = choose_threshold(answerable, unanswerable, max_false_refusal=0.2)
    # The highest threshold refusing at most 20% of answerables is 0.6 (refuses 0.2 only); the rule then moves
    # halfway down to the next answerable confidence, so the boundary is not on a training point.
    assert threshold == 0.4
    assert _dev_rates(answerable, unanswerable, threshold) == {"correct_refusal": 0.6667, "false_refusal": 0.2}


def test_an_empty_group_has_no_rate_rather_than_nan():
    rates = _dev_rates([0.9, 0.1], [], 0.5)
    assert rates == {"correct_refusal": None, "false_refusal": 0.5}
    assert "NaN" not in json.dumps(rates)


@pytest.mark.slow
def test_threshold_only_run_on_the_seeds_dev_split(tmp_path):
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(calibrate, [str(REPO / "eval" / "gold" / "seeds.jsonl"), "--threshold-only",
                                            "--write", str(out), "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    fit = json.loads(out.read_text())
    assert fit["fit_on"]["split"] == "dev" and fit["fit_on"]["questions"] > 0
    assert 0.0 < fit["abstain_threshold"] < 1.0
    assert fit["dev"]["false_refusal"] <= 0.08  # the default budget
    assert 0.0 <= fit["dev"]["correct_refusal"] <= 1.0
    assert f"RAG_ABSTAIN_THRESHOLD={fit['abstain_threshold']}" in result.output


def test_one_threshold_keeps_every_corpus_within_the_budget():
    from eval.calibrate import choose_joint_threshold

    groups = {"a": ([0.9, 0.8, 0.7, 0.6], [0.5, 0.1]), "b": ([0.9, 0.4, 0.35, 0.3], [0.2])}
    threshold = choose_joint_threshold(groups, max_false_refusal=0.25)
    for answerable, _ in groups.values():
        assert sum(c < threshold for c in answerable) / len(answerable) <= 0.25
    # corpus b alone allows no more than 0.35 (one refusal of four); a alone would allow 0.6
    assert 0.3 < threshold <= 0.35


def test_a_vetoed_answerable_question_uses_up_the_false_refusal_budget():
    from eval.calibrate import VETOED, choose_joint_threshold

    groups = {"b": ([0.9, VETOED, 0.35, 0.3], [0.2])}  # the veto already refuses one of four
    threshold = choose_joint_threshold(groups, max_false_refusal=0.25)
    assert 0.2 < threshold <= 0.3  # no room left: every answered question stays answered


def test_the_unit_scorer_keeps_hand_set_weights_and_learns_what_new_features_add():
    import numpy as np

    from eval.calibrate import HAND_SET_UNIT_WEIGHTS, fit_unit_scorer

    rng = np.random.default_rng(0)
    questions = []
    n_base = len(HAND_SET_UNIT_WEIGHTS) - 1
    for q in range(60):
        vectors, labels = [], []
        for i in range(6):
            base = list(rng.uniform(0, 1, n_base))
            new = float(i == q % 6)  # the new feature marks the answer unit
            vectors.append([*base, new])
            labels.append(bool(new))
        questions.append(("a" if q % 2 else "b", vectors, labels))
    prior = [*HAND_SET_UNIT_WEIGHTS, 0.0]
    weights = fit_unit_scorer(questions, prior)
    assert len(weights) == len(prior)
    assert np.allclose(weights[1:n_base + 1], HAND_SET_UNIT_WEIGHTS[1:], atol=0.1)  # held at the prior
    assert weights[-1] > 1.0  # the new feature separates the answer units
