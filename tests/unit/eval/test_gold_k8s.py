"""Sanity checks for the Kubernetes-concepts gold set eval/gold/k8s.jsonl (no model, fast).

The gold file only references the corpus (CC BY 4.0, not copied into this repository); the checks that need
the corpus text skip when the shared corpus folder is not on this machine.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED

REPO_ROOT = REPO
GOLD_PATH = REPO_ROOT / "eval" / "gold" / "k8s.jsonl"
DOCS = SHARED / "corpora/k8s-concepts/docs"

FIELDS = {"id", "question", "answers", "evidence", "source", "type", "split"}
ANSWERABLE_TYPES = {"name", "number", "date", "identifier", "value", "definition", "why", "how", "yesno"}
SPLITS = {"dev", "test"}

MIN_TOTAL = 80
MIN_UNANSWERABLE = 20

needs_corpus = pytest.mark.skipif(
    not DOCS.is_dir(),
    reason=f"k8s-concepts corpus not found at {DOCS} (it is not part of this repository); "
    "the evidence checks need its Markdown files",
)


@pytest.fixture(scope="module")
def items() -> list[dict]:
    rows = []
    with open(GOLD_PATH, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            assert line.strip(), f"k8s.jsonl:{lineno}: blank line"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                pytest.fail(f"k8s.jsonl:{lineno}: invalid JSON: {exc}")
            assert isinstance(obj, dict), f"k8s.jsonl:{lineno}: not a JSON object"
            rows.append(obj)
    assert rows, "k8s.jsonl holds no questions"
    return rows


def _answerable(items: list[dict]) -> list[dict]:
    return [i for i in items if i.get("type") != "unanswerable"]


def _unanswerable(items: list[dict]) -> list[dict]:
    return [i for i in items if i.get("type") == "unanswerable"]


def test_counts(items):
    unanswerable = _unanswerable(items)
    assert len(items) >= MIN_TOTAL, f"only {len(items)} questions (want >= {MIN_TOTAL})"
    assert len(unanswerable) >= MIN_UNANSWERABLE, f"only {len(unanswerable)} unanswerable (want >= {MIN_UNANSWERABLE})"
    splits = Counter(i.get("split") for i in items)
    assert splits["dev"] > 0 and splits["test"] > 0, f"both splits must be non-empty: {dict(splits)}"


def test_ids_unique(items):
    counts = Counter(i.get("id") for i in items)
    duplicates = sorted(str(k) for k, c in counts.items() if c > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_fields_and_types(items):
    problems = []
    for item in items:
        iid = item.get("id")
        if set(item) != FIELDS:
            problems.append(f"{iid}: fields {sorted(item)} != {sorted(FIELDS)}")
            continue
        if not (isinstance(iid, str) and iid.strip()):
            problems.append(f"{iid!r}: id must be a non-empty string")
        if not (isinstance(item["question"], str) and item["question"].strip()):
            problems.append(f"{iid}: empty question")
        if item["split"] not in SPLITS:
            problems.append(f"{iid}: split {item['split']!r} not in {sorted(SPLITS)}")
        if item["type"] not in ANSWERABLE_TYPES | {"unanswerable"}:
            problems.append(f"{iid}: unknown type {item['type']!r}")
        for key in ("answers", "evidence"):
            value = item[key]
            if not (isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)):
                problems.append(f"{iid}: {key} must be a list of non-empty strings")
    assert not problems, "\n".join(problems)


def test_unanswerable_items_have_nothing(items):
    unanswerable = _unanswerable(items)
    assert unanswerable, "no unanswerable questions"
    problems = [
        f"{i['id']}: unanswerable item must have answers == [], evidence == [] and source null"
        for i in unanswerable
        if i["answers"] != [] or i["evidence"] != [] or i["source"] is not None
    ]
    assert not problems, "\n".join(problems)


def test_answerable_items_are_complete(items):
    answerable = _answerable(items)
    assert answerable, "no answerable questions"
    problems = []
    for item in answerable:
        iid = item["id"]
        if not 1 <= len(item["answers"]) <= 3:
            problems.append(f"{iid}: wants 1-3 answers, has {len(item['answers'])}")
        if not 1 <= len(item["evidence"]) <= 2:
            problems.append(f"{iid}: wants 1-2 evidence quotes, has {len(item['evidence'])}")
        source = item["source"]
        if not (isinstance(source, str) and source.endswith(".md")) or ".." in Path(source).parts:
            problems.append(f"{iid}: source {source!r} must be a .md path relative to docs/")
    assert not problems, "\n".join(problems)


def test_answers_occur_in_evidence(items):
    answerable = _answerable(items)
    assert answerable, "no answerable questions"
    problems = []
    for item in answerable:
        quotes = [q.lower() for q in item["evidence"]]
        for answer in item["answers"]:
            if not any(answer.lower() in q for q in quotes):
                problems.append(f"{item['id']}: answer {answer!r} occurs in none of its evidence quotes")
    assert not problems, "\n".join(problems)


def test_splits_balanced(items):
    for group, name in ((_answerable(items), "answerable"), (_unanswerable(items), "unanswerable")):
        assert group, f"no {name} questions"
        splits = Counter(i["split"] for i in group)
        assert splits["dev"] > 0 and splits["test"] > 0, f"{name} questions must be in both splits: {dict(splits)}"
        gap = abs(splits["dev"] - splits["test"])
        assert gap <= max(2, len(group) // 10), f"{name} split unbalanced: {dict(splits)}"


@needs_corpus
def test_evidence_is_verbatim_in_source(items):
    answerable = _answerable(items)
    assert answerable, "no answerable questions"
    texts: dict[str, str] = {}
    problems = []
    for item in answerable:
        source = item["source"]
        path = DOCS / source
        if not path.is_file():
            problems.append(f"{item['id']}: source {source!r} is not a file under {DOCS}")
            continue
        if source not in texts:
            texts[source] = path.read_text(encoding="utf-8")
        text = texts[source]
        for quote in item["evidence"]:
            if quote not in text:
                problems.append(f"{item['id']}: evidence is not a verbatim substring of {source}: {quote[:70]!r}")
            elif "{{" in quote or "}}" in quote:
                problems.append(f"{item['id']}: evidence contains a Hugo shortcode: {quote[:70]!r}")
    assert not problems, "\n".join(problems)


@needs_corpus
def test_sources_spread_over_corpus(items):
    answerable = _answerable(items)
    assert answerable, "no answerable questions"
    sources = {i["source"] for i in answerable}
    assert len(sources) >= 40, f"answerable questions come from only {len(sources)} files (want >= 40)"
    folders = {s.split("/")[0] for s in sources}
    top = {p.name for p in DOCS.iterdir() if p.is_dir()}
    assert top, f"no folders under {DOCS}"
    assert top <= folders, f"no question from folder(s) {sorted(top - folders)}"


def test_project_loader_accepts_file():
    from eval.gold_io import load_gold

    gold = load_gold(GOLD_PATH)
    assert gold.items, "load_gold read no items"
    assert gold.ok, "\n".join(str(p) for p in gold.problems)
