"""Sanity checks for the gold evaluation sets in eval/gold/ (no model, fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO

REPO_ROOT = REPO
GOLD_DIR = REPO_ROOT / "eval" / "gold"
SEEDS_PATH = GOLD_DIR / "seeds.jsonl"
FOLLOWUPS_PATH = GOLD_DIR / "followups.jsonl"
SOURCE_NAME = "000_ae9ece0cf409f084.txt"
ARTICLE_PATH = REPO_ROOT / "seeds" / SOURCE_NAME

ANSWERABLE_TYPES = {"name", "date", "number", "why", "paraphrase", "multi-sentence", "fact"}
UNANSWERABLE_TYPES = {"unanswerable-entity", "unanswerable-offtopic"}
ALL_TYPES = ANSWERABLE_TYPES | UNANSWERABLE_TYPES

MIN_SEEDS_TOTAL = 50
MIN_SEEDS_UNANSWERABLE = 12
MIN_FOLLOWUPS_TOTAL = 12
MIN_FOLLOWUPS_UNANSWERABLE = 2


def _load_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                pytest.fail(f"{path.name}:{lineno}: invalid JSON: {exc}")
            assert isinstance(obj, dict), f"{path.name}:{lineno}: not a JSON object"
            rows.append(obj)
    return rows


@pytest.fixture(scope="module")
def article() -> str:
    return open(ARTICLE_PATH, encoding="utf-8").read()


@pytest.fixture(scope="module")
def seeds() -> list[dict]:
    return _load_jsonl(SEEDS_PATH)


@pytest.fixture(scope="module")
def followups() -> list[dict]:
    return _load_jsonl(FOLLOWUPS_PATH)


def _is_unanswerable(item: dict) -> bool:
    return item["type"] in UNANSWERABLE_TYPES


def _check_item(item: dict, article: str) -> None:
    iid = item.get("id")
    for key, typ in (("id", str), ("question", str), ("answers", list), ("evidence", list), ("type", str)):
        assert key in item, f"{iid}: missing field {key!r}"
        assert isinstance(item[key], typ), f"{iid}: field {key!r} must be {typ.__name__}"
    assert "source" in item, f"{iid}: missing field 'source'"
    assert item["source"] is None or isinstance(item["source"], str), f"{iid}: bad source"
    assert item["id"].strip() and item["question"].strip(), f"{iid}: empty id/question"
    assert item["type"] in ALL_TYPES, f"{iid}: unknown type {item['type']!r}"
    assert all(isinstance(a, str) and a.strip() for a in item["answers"]), f"{iid}: bad answer string"
    assert all(isinstance(e, str) and e.strip() for e in item["evidence"]), f"{iid}: bad evidence string"

    for ev in item["evidence"]:
        assert ev in article, f"{iid}: evidence is not a verbatim substring of the article: {ev!r}"

    if _is_unanswerable(item):
        assert item["answers"] == [], f"{iid}: unanswerable item must have no answers"
        assert item["evidence"] == [], f"{iid}: unanswerable item must have no evidence"
        assert item["source"] is None, f"{iid}: unanswerable item must have source null"
    else:
        assert 1 <= len(item["answers"]) <= 3, f"{iid}: answerable item needs 1-3 answers"
        assert 1 <= len(item["evidence"]) <= 2, f"{iid}: answerable item needs 1-2 evidence quotes"
        assert item["source"] == SOURCE_NAME, f"{iid}: source must be {SOURCE_NAME}"
        # At least one gold answer must be grounded verbatim in the cited evidence.
        assert any(a in ev for a in item["answers"] for ev in item["evidence"]), (
            f"{iid}: no answer variant appears verbatim in the evidence"
        )
        if item["type"] == "multi-sentence":
            assert len(item["evidence"]) == 2, f"{iid}: multi-sentence item needs 2 evidence quotes"


def _check_unique_ids(rows: list[dict]) -> None:
    ids = [r["id"] for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate ids: {dupes}"


def test_article_exists(article: str) -> None:
    assert len(article) > 1000


def test_seeds_items_valid(seeds: list[dict], article: str) -> None:
    for item in seeds:
        _check_item(item, article)
        assert "history" not in item or item["history"] == [], f"{item['id']}: seeds should have no history"
    _check_unique_ids(seeds)


def test_seeds_counts(seeds: list[dict]) -> None:
    unanswerable = [r for r in seeds if _is_unanswerable(r)]
    assert len(seeds) >= MIN_SEEDS_TOTAL
    assert len(unanswerable) >= MIN_SEEDS_UNANSWERABLE
    types = {r["type"] for r in seeds}
    assert ALL_TYPES <= types, f"missing types in seeds: {sorted(ALL_TYPES - types)}"


def test_seeds_required_questions(seeds: list[dict]) -> None:
    by_question = {r["question"]: r for r in seeds}
    assert by_question["Which missile has North Korea likely provided to Russia?"]["answers"][0] == "KN-23"
    assert by_question["Where did Kim welcome Putin?"]["answers"][0] == "Pyongyang"


def test_followups_items_valid(followups: list[dict], article: str) -> None:
    for item in followups:
        _check_item(item, article)
        history = item.get("history")
        assert isinstance(history, list) and len(history) >= 2, f"{item['id']}: history needs >= 2 turns"
        for turn in history:
            assert isinstance(turn, dict) and set(turn) == {"role", "content"}, f"{item['id']}: bad turn {turn!r}"
            assert turn["role"] in {"user", "assistant"}, f"{item['id']}: bad role {turn['role']!r}"
            assert isinstance(turn["content"], str) and turn["content"].strip(), f"{item['id']}: empty turn"
        assert history[0]["role"] == "user" and history[-1]["role"] == "assistant", (
            f"{item['id']}: history must start with user and end with assistant"
        )
    _check_unique_ids(followups)


def test_followups_counts(followups: list[dict]) -> None:
    unanswerable = [r for r in followups if _is_unanswerable(r)]
    assert len(followups) >= MIN_FOLLOWUPS_TOTAL
    assert len(unanswerable) >= MIN_FOLLOWUPS_UNANSWERABLE


def test_ids_unique_across_files(seeds: list[dict], followups: list[dict]) -> None:
    _check_unique_ids(seeds + followups)
