"""The `rag eval` and `rag squad-score` commands through click's runner: output, errors, plugin wiring."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eval.cli import eval_command
from tests.conftest import REPO

GOLD_DIR = REPO / "eval" / "gold"


def _result(recall1: float) -> dict:
    return {
        "n": 2, "n_answerable": 1, "n_unanswerable": 1,
        "retrieval": {"recall@1": recall1, "recall@5": 1.0, "recall@10": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0},
        "answer": {"exact_match": 0.0, "f1": 0.5, "contains": 1.0},
        "citations": {"valid": 1.0, "supported": 1.0},
        "abstention": {"correct_refusal": 1.0, "false_refusal": 0.0},
        "latency_ms": {"p50": 10.0, "p95": 20.0},
    }


def test_compare_prints_the_difference(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_result(0.0)))
    b.write_text(json.dumps(_result(1.0)))
    result = CliRunner().invoke(eval_command, ["--compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("retrieval.recall@1"))
    assert row.split() == ["retrieval.recall@1", "0.0000", "1.0000", "+1.0000"]


def test_compare_of_a_non_result_is_one_clear_error(tmp_path):
    a = tmp_path / "a.json"
    a.write_text("[]")
    result = CliRunner().invoke(eval_command, ["--compare", str(a), str(a)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_gold_file_is_one_sentence(tmp_path):
    result = CliRunner().invoke(eval_command, [str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_bad_gold_lines_are_all_listed(tmp_path):
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"id": "1", "question": "q"}\n{oops\n')
    result = CliRunner().invoke(eval_command, [str(gold)])
    assert result.exit_code == 2
    assert "line 1: missing field 'answers'" in result.output and "line 2: not valid JSON" in result.output


def test_commands_are_registered_in_rag():
    from rag.cli import cli

    result = CliRunner().invoke(cli, ["--help"])
    assert "eval" in result.output and "squad-score" in result.output


@pytest.mark.slow
@pytest.mark.skipif(not (GOLD_DIR / "seeds.jsonl").is_file(), reason="eval/gold/seeds.jsonl not written yet")
def test_full_cli_run_with_the_real_model(seeds_index_dir, tmp_path):
    report = tmp_path / "report"
    args = [str(GOLD_DIR / "seeds.jsonl"), "--index-dir", str(seeds_index_dir), "--limit", "4", "--json",
            "--report", str(report), "--cache-dir", str(tmp_path / "cache"), "-q"]
    result = CliRunner().invoke(eval_command, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 4 and "per_question" not in data
    for section in ("retrieval", "answer", "citations", "abstention", "latency_ms"):
        assert section in data
    assert data["config"]["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2+int8"  # the default: ONNX, int8
    assert (report / "report.html").is_file() and (report / "report.md").is_file()


@pytest.mark.skipif(not (GOLD_DIR / "seeds.jsonl").is_file(), reason="eval/gold/seeds.jsonl not written yet")
def test_cli_run_with_the_fake_embedder(tmp_path):
    env = {"RAG_EMBED_MODEL": "hash:256", "RAG_INDEX_DIR": str(tmp_path / "unused")}
    base = [str(GOLD_DIR / "seeds.jsonl"), "--corpus", str(REPO / "seeds"), "--limit", "5", "-q",
            "--cache-dir", str(tmp_path / "cache")]
    result = CliRunner(env=env).invoke(eval_command, [*base, "--json", "--per-question",
                                                      "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 5 and len(data["per_question"]) == 5
    assert data["config"]["embedding_model"] == "hash-256"
    assert (tmp_path / "r" / "report.html").is_file()
    text = CliRunner(env=env).invoke(eval_command, [*base, "--k", "3", "--split", "all"])
    assert text.exit_code == 0, text.output
    assert "retrieval.recall@5" in text.stdout and "k=3" in text.stdout
