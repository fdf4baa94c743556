"""Sanity checks for the FastAPI-docs gold set eval/gold/fastapi.jsonl (no model, fast).

The corpus is FastAPI's own documentation (MIT), not part of this repository nor of ../shared: docs/EVAL.md says
which commit and how to fetch it. Only the file's own consistency is checked here.
"""

from __future__ import annotations

import json
from collections import Counter

from eval.gold_io import load_gold
from tests.conftest import REPO

GOLD_PATH = REPO / "eval" / "gold" / "fastapi.jsonl"


def test_the_fastapi_gold_set_is_consistent():
    rows = [json.loads(line) for line in GOLD_PATH.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 60 and len({r["id"] for r in rows}) == 60
    assert Counter(r["split"] for r in rows) == {"dev": 30, "test": 30}
    unanswerable = [r for r in rows if not r["answers"]]
    assert len(unanswerable) == 16 and all(r["type"] == "unanswerable" and r["source"] is None
                                           for r in unanswerable)
    for row in rows:
        if row["answers"]:
            assert row["source"].endswith(".md") and not row["source"].startswith("/"), row["id"]
            assert all(any(a.lower() in e.lower() for e in row["evidence"]) for a in row["answers"]), row["id"]
    gold = load_gold(GOLD_PATH)
    assert gold.ok, gold.problems
    assert len(gold.items) == 60 and sum(i.answerable for i in gold.items) == 44
