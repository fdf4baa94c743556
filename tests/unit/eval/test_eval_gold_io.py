"""Gold file loading: every bad line is reported with its line number; nothing crashes."""

from __future__ import annotations

import json

import pytest

from eval.errors import GoldFileError
from eval.gold_io import check_evidence, load_gold, write_gold

GOOD = {"id": "q1", "question": "Where?", "answers": ["France"], "evidence": ["in France"], "source": "a.txt"}


def _write(tmp_path, lines):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_with_extra_fields(tmp_path):
    extra = dict(GOOD, id="q2", type="followup", history=[["Q?", "A."]], answers=[], source=None)
    gold = load_gold(_write(tmp_path, [json.dumps(GOOD), "", json.dumps(extra)]))
    assert gold.ok
    assert [i.id for i in gold.items] == ["q1", "q2"]
    assert gold.items[1].extra["type"] == "followup"
    assert gold.items[1].history == [["Q?", "A."]]
    assert gold.items[0].answerable and not gold.items[1].answerable
    assert gold.lines == {"q1": 1, "q2": 3}


def test_every_bad_line_is_reported_with_its_number(tmp_path):
    lines = [
        json.dumps(GOOD),  # 1 ok
        "{not json",  # 2
        json.dumps({k: v for k, v in GOOD.items() if k != "evidence"} | {"id": "q3"}),  # 3 missing evidence
        json.dumps(dict(GOOD, id="q4", answers="France")),  # 4 answers not a list
        json.dumps(dict(GOOD, id="q5", source=3)),  # 5 source wrong type
        json.dumps(["a", "list"]),  # 6 not an object
        json.dumps(dict(GOOD)),  # 7 duplicate id
        json.dumps(dict(GOOD, id="q8", question="  ")),  # 8 empty question
    ]
    gold = load_gold(_write(tmp_path, lines))
    assert [i.id for i in gold.items] == ["q1"]
    assert [p.line for p in gold.problems] == [2, 3, 4, 5, 6, 7, 8]
    messages = [str(p) for p in gold.problems]
    assert messages[0].startswith("line 2: not valid JSON")
    assert messages[1] == "line 3: missing field 'evidence'"
    assert messages[2] == "line 4: 'answers' must be a list of strings"
    assert messages[3] == "line 5: 'source' must be a string or null"
    assert messages[4] == "line 6: expected a JSON object, got list"
    assert messages[5] == "line 7: duplicate id 'q1' (first on line 1)"
    assert messages[6] == "line 8: 'question' must be a non-empty string"


def test_evidence_must_occur_in_the_corpus(tmp_path):
    lines = [json.dumps(GOOD), json.dumps(dict(GOOD, id="q2", evidence=["in  France", "nowhere at all"]))]
    gold = load_gold(_write(tmp_path, lines))
    docs = {"/corpus/a.txt": "They live in\nFrance today.", "/corpus/b.txt": "Other doc."}
    problems = check_evidence(gold.items, docs, gold.lines)
    assert [str(p) for p in problems] == ["line 2: evidence 'nowhere at all' is not in source 'a.txt'"]
    # The quote exists, but not in the item's source document.
    moved = check_evidence(gold.items, {"/c/a.txt": "Other doc.", "/c/b.txt": "in France"}, gold.lines)
    assert [str(p) for p in moved] == [
        "line 1: evidence 'in France' is not in source 'a.txt'",
        "line 2: evidence 'in  France' is not in source 'a.txt'",
        "line 2: evidence 'nowhere at all' is not in source 'a.txt'",
    ]


def test_source_must_name_a_corpus_document(tmp_path):
    nulls = dict(GOOD, id="q2", source=None, evidence=["Other doc"])
    gold = load_gold(_write(tmp_path, [json.dumps(dict(GOOD, source="sub/a.txt")), json.dumps(nulls)]))
    problems = check_evidence(gold.items, {"/x/a.txt": "in France", "/x/b.txt": "Other doc."}, gold.lines)
    assert [str(p) for p in problems] == [
        "line 1: source 'sub/a.txt' is not among the corpus documents"
    ]
    assert check_evidence(gold.items, {"/x/sub/a.txt": "in France", "/x/b.txt": "Other doc."}) == []


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(GoldFileError, match="does not exist"):
        load_gold(tmp_path / "nope.jsonl")


def test_empty_file_is_a_problem(tmp_path):
    gold = load_gold(_write(tmp_path, [""]))
    assert not gold.ok and "no questions" in str(gold.problems[0])


def test_round_trip(tmp_path):
    gold = load_gold(_write(tmp_path, [json.dumps(dict(GOOD, type="factoid"))]))
    out = tmp_path / "copy.jsonl"
    write_gold(gold.items, out)
    assert json.loads(out.read_text()) == dict(GOOD, type="factoid")


def test_split_is_explicit_or_stable_hash():
    from eval.gold_io import GoldItem

    assert GoldItem("x", "q", [], [], None, {"split": "test"}).split == "test"
    assert GoldItem("x", "q", [], [], None).split in {"dev", "test"}
    assert GoldItem("x", "q", [], [], None).split == GoldItem("x", "other", [], [], None).split
