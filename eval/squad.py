"""SQuAD v2.0 scoring, a line-for-line port of the official ``evaluate-v2.0.py``.

The arithmetic (dict insertion order, int exact scores, ``100.0 * sum / total``) follows the official script, so
the figures are bit-identical to it. Only the no-answer-probability thresholding is left out: without an
``na_prob`` file the official script uses probability 0.0 for every question and threshold 1.0, which changes
nothing.
"""

from __future__ import annotations

import collections
import json
import re
import string
from pathlib import Path
from typing import Any

from eval.files import parse_json, read_dataset_text
from rag.errors import ConfigError

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (official SQuAD normalisation)."""
    text = s.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = re.sub(_ARTICLES, " ", text)
    return " ".join(text.split())


def get_tokens(s: str) -> list[str]:
    if not s:
        return []
    return normalize_answer(s).split()


def compute_exact(a_gold: str, a_pred: str) -> int:
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold: str, a_pred: str) -> float:
    gold_toks = get_tokens(a_gold)
    pred_toks = get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        # If either is no-answer, then F1 is 1 if they agree, 0 otherwise.
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def _qid_to_has_ans(dataset: list[dict[str, Any]]) -> dict[str, bool]:
    qid_to_has_ans = {}
    for article in dataset:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                qid_to_has_ans[qa["id"]] = bool(qa["answers"])
    return qid_to_has_ans


def _raw_scores(dataset: list[dict[str, Any]], preds: dict[str, str]) -> tuple[dict, dict, list[str]]:
    exact_scores: dict[str, int] = {}
    f1_scores: dict[str, float] = {}
    missing: list[str] = []
    for article in dataset:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                qid = qa["id"]
                gold_answers = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])]
                if not gold_answers:
                    # For unanswerable questions, only correct answer is empty string.
                    gold_answers = [""]
                if qid not in preds:
                    missing.append(qid)
                    continue
                a_pred = preds[qid]
                exact_scores[qid] = max(compute_exact(a, a_pred) for a in gold_answers)
                f1_scores[qid] = max(compute_f1(a, a_pred) for a in gold_answers)
    return exact_scores, f1_scores, missing


def _eval_dict(exact_scores: dict, f1_scores: dict, qid_list: list[str] | None = None) -> dict[str, Any]:
    if not qid_list:
        total = len(exact_scores)
        return {
            "exact": 100.0 * sum(exact_scores.values()) / total,
            "f1": 100.0 * sum(f1_scores.values()) / total,
            "total": total,
        }
    total = len(qid_list)
    return {
        "exact": 100.0 * sum(exact_scores[k] for k in qid_list) / total,
        "f1": 100.0 * sum(f1_scores[k] for k in qid_list) / total,
        "total": total,
    }


def score(dataset: list[dict[str, Any]], preds: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Score ``{qid: answer}`` predictions against SQuAD v2 ``data``; returns (official figures, missing qids).

    Keys and order as the official script prints them: exact, f1, total, HasAns_exact, HasAns_f1, HasAns_total,
    NoAns_exact, NoAns_f1, NoAns_total (the HasAns/NoAns groups only when the data has such questions).
    """
    qid_to_has_ans = _qid_to_has_ans(dataset)
    has_ans_qids = [k for k, v in qid_to_has_ans.items() if v]
    no_ans_qids = [k for k, v in qid_to_has_ans.items() if not v]
    exact_raw, f1_raw, missing = _raw_scores(dataset, preds)
    if not exact_raw:
        raise ConfigError(
            "No prediction matches a question id of the data file; check that the two files belong together."
        )
    out = _eval_dict(exact_raw, f1_raw)
    # The official script fails on a missing id inside a group; here a group is scored over its predicted ids.
    for prefix, qids in (("HasAns", has_ans_qids), ("NoAns", no_ans_qids)):
        scored = [k for k in qids if k in exact_raw]
        if scored:
            for key, value in _eval_dict(exact_raw, f1_raw, qid_list=scored).items():
                out[f"{prefix}_{key}"] = value
    return out, missing


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise ConfigError(f"The {what} file {path} does not exist; pass the path of an existing file.")
    try:
        return parse_json(read_dataset_text(path, f"{what} file"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"The {what} file {path} is not valid JSON ({exc}); pass the file as released.") from exc


def load_data(path: Path) -> list[dict[str, Any]]:
    data = _read_json(Path(path), "SQuAD data")
    if not (isinstance(data, dict) and isinstance(data.get("data"), list)):
        raise ConfigError(f"The SQuAD data file {path} has no top-level 'data' list; pass a SQuAD v2.0 JSON file.")
    return data["data"]


def load_predictions(path: Path) -> dict[str, str]:
    preds = _read_json(Path(path), "predictions")
    if not (isinstance(preds, dict) and all(isinstance(v, str) for v in preds.values())):
        raise ConfigError(f"The predictions file {path} must be one JSON object mapping question id to answer text.")
    return preds


def score_files(data_path: Path, pred_path: Path) -> tuple[dict[str, Any], list[str]]:
    return score(load_data(data_path), load_predictions(pred_path))
