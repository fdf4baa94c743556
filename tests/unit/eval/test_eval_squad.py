"""The SQuAD v2 scorer reproduces the official evaluate-v2.0.py figures to the last digit."""

from __future__ import annotations

import json
import re

import pytest

from eval import squad
from tests.conftest import SHARED

SQUAD_DIR = SHARED / "datasets" / "squad_v2_dev_subset"
needs_squad = pytest.mark.skipif(
    not (SQUAD_DIR / "README.md").is_file(), reason=f"shared SQuAD subset not found at {SQUAD_DIR}"
)
KEYS = ["exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact"]


def _expected_table() -> dict[str, dict[str, float]]:
    """The 'Expected scores' table of the dataset README, values parsed exactly as printed."""
    table = {}
    for line in (SQUAD_DIR / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"\d+(\.\d+)?", cells[1]):
            table[cells[0]] = dict(zip(KEYS, map(float, cells[1:]), strict=True))
    return table


@needs_squad
@pytest.mark.parametrize("model", ["bert_single_google", "nlnet_single_msra", "bidaf_elmo_single"])
def test_reference_predictions_match_official_figures(model):
    expected = _expected_table()[model]
    got, missing = squad.score_files(
        SQUAD_DIR / "dev-v2.0-subset.json", SQUAD_DIR / "reference_predictions" / f"{model}.subset.json"
    )
    assert missing == []
    assert {k: got[k] for k in KEYS} == expected  # exact float equality
    assert (got["total"], got["HasAns_total"], got["NoAns_total"]) == (706, 386, 320)


@needs_squad
def test_cli_prints_the_official_json(tmp_path):
    from click.testing import CliRunner

    from eval.cli import squad_score

    pred = SQUAD_DIR / "reference_predictions" / "bert_single_google.subset.json"
    result = CliRunner().invoke(squad_score, [str(SQUAD_DIR / "dev-v2.0-subset.json"), str(pred), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert {k: printed[k] for k in KEYS} == _expected_table()["bert_single_google"]


def test_normalisation_and_scores_like_the_official_script():
    assert squad.normalize_answer("The  Quick, brown fox!") == "quick brown fox"
    assert squad.normalize_answer("An apple a day") == "apple day"
    assert squad.compute_exact("the Rhine", "Rhine.") == 1
    assert squad.compute_f1("", "") == 1 and squad.compute_f1("", "x") == 0
    assert squad.compute_f1("x y z", "y z w") == pytest.approx(2 / 3)
    assert squad.compute_f1("a b c", "b c d") == pytest.approx(0.8)  # "a" is an article


def test_tiny_dataset_with_missing_prediction():
    data = [
        {
            "title": "T",
            "paragraphs": [
                {
                    "context": "c",
                    "qas": [
                        {"id": "1", "answers": [{"text": "Paris", "answer_start": 0}]},
                        {"id": "2", "answers": []},
                        {"id": "3", "answers": [{"text": "Rome", "answer_start": 0}]},
                    ],
                }
            ],
        }
    ]
    out, missing = squad.score(data, {"1": "Paris", "2": "something"})
    assert missing == ["3"]
    assert out["exact"] == 50.0 and out["total"] == 2
    assert out["HasAns_exact"] == 100.0 and out["NoAns_exact"] == 0.0


def test_cli_errors_are_one_sentence(tmp_path):
    from click.testing import CliRunner

    from eval.cli import squad_score

    result = CliRunner().invoke(squad_score, [str(tmp_path / "no.json"), str(tmp_path / "p.json")])
    assert result.exit_code != 0
    assert "does not exist" in result.output and "Traceback" not in result.output
