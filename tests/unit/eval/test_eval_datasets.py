"""Dataset adapters on the real shared files: counts, evidence verbatim in the loaded corpus, detection."""

from __future__ import annotations

import json

import pytest

from eval.datasets import CLAPNQ, GOLD, SQUAD, detect_format, evidence_sentences, load_dataset
from eval.errors import GoldFileError
from rag.ingest.loaders import load
from tests.conftest import SHARED

SQUAD_FILE = SHARED / "datasets" / "squad_v2_dev_subset" / "dev-v2.0-subset.json"
CLAPNQ_DIR = SHARED / "datasets" / "clapnq" / "annotated_data" / "dev"
needs_squad = pytest.mark.skipif(not SQUAD_FILE.is_file(), reason=f"shared SQuAD subset not found at {SQUAD_FILE}")
needs_clapnq = pytest.mark.skipif(not CLAPNQ_DIR.is_dir(), reason=f"shared ClapNQ dev files not found at {CLAPNQ_DIR}")


def _assert_evidence_verbatim(dataset):
    texts = {p.name: load(p).text for p in dataset.corpus_dir.iterdir()}
    for item in dataset.items:
        assert item.source in texts
        for quote in item.evidence:
            assert quote in texts[item.source], (item.id, quote)


@needs_squad
def test_squad_counts_and_evidence(tmp_path):
    ds = load_dataset(SQUAD_FILE, tmp_path / "corpus")
    assert ds.format == SQUAD
    assert len(ds.items) == 706
    assert sum(not i.answerable for i in ds.items) == 320
    assert len(list(ds.corpus_dir.iterdir())) == 83
    assert all(i.evidence for i in ds.items if i.answerable)
    assert all(not i.evidence for i in ds.items if not i.answerable)
    assert {i.extra["article"] for i in ds.items} == {"Normans", "Rhine"}
    assert {i.split for i in ds.items if i.extra["article"] == "Normans"} == {"dev"}
    assert {i.split for i in ds.items if i.extra["article"] == "Rhine"} == {"test"}
    _assert_evidence_verbatim(ds)
    first = ds.items[0]
    assert first.id == "56ddde6b9a695914005b9628" and first.answers == ["France"]
    assert first.source == "squad-000-Normans-p000.txt"
    # Answers are the distinct texts, in order.
    second = ds.items[1]
    assert second.answers == ["10th and 11th centuries", "in the 10th and 11th centuries"]


@needs_clapnq
@pytest.mark.parametrize("given", ["dir", "answerable", "unanswerable", "dataset_root"])
def test_clapnq_loads_both_files_from_any_path(tmp_path, given):
    path = {
        "dir": CLAPNQ_DIR,
        "answerable": CLAPNQ_DIR / "clapnq_dev_answerable.jsonl",
        "unanswerable": CLAPNQ_DIR / "clapnq_dev_unanswerable.jsonl",
        "dataset_root": CLAPNQ_DIR.parent.parent.parent,
    }[given]
    ds = load_dataset(path, tmp_path / "corpus")
    assert ds.format == CLAPNQ
    assert [p.name for p in ds.files] == ["clapnq_dev_answerable.jsonl", "clapnq_dev_unanswerable.jsonl"]
    assert len(ds.items) == 600
    assert sum(i.answerable for i in ds.items) == 300
    assert len(list(ds.corpus_dir.iterdir())) == 596  # 597 distinct (title, text) pairs, two the same once normalised
    # 485 non-empty output answers (README), 7 of which repeat another answer of the same record.
    assert sum(len(i.answers) for i in ds.items) == 478


@needs_clapnq
def test_clapnq_evidence_is_verbatim_and_names_are_deterministic(tmp_path):
    a = load_dataset(CLAPNQ_DIR, tmp_path / "a")
    b = load_dataset(CLAPNQ_DIR / "clapnq_dev_unanswerable.jsonl", tmp_path / "b")
    assert sorted(p.name for p in a.corpus_dir.iterdir()) == sorted(p.name for p in b.corpus_dir.iterdir())
    assert [(i.id, i.source) for i in a.items] == [(i.id, i.source) for i in b.items]
    assert all(i.evidence for i in a.items if i.answerable)
    assert sum(bool(i.extra.get("evidence_is_passage")) for i in a.items) == 1
    _assert_evidence_verbatim(a)


def test_detect_format_from_content(tmp_path):
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps({"id": "1", "question": "q", "answers": [], "evidence": [], "source": None}) + "\n")
    squad = tmp_path / "weird-name.txt"
    squad.write_text(json.dumps({"version": "v2.0", "data": []}))
    clap = tmp_path / "x.jsonl"
    clap.write_text(json.dumps({"id": "1", "input": "q", "passages": [], "output": []}) + "\n")
    assert detect_format(gold) == GOLD
    assert detect_format(squad) == SQUAD
    assert detect_format(clap) == CLAPNQ
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(GoldFileError, match="not SQuAD v2"):
        detect_format(other)
    with pytest.raises(GoldFileError, match="does not exist"):
        detect_format(tmp_path / "missing.jsonl")
    with pytest.raises(GoldFileError, match="no ClapNQ"):
        detect_format(tmp_path)


def test_gold_file_with_bad_lines_is_refused_listing_them(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"id": "1"}\nnot json\n')
    with pytest.raises(GoldFileError) as info:
        load_dataset(path)
    message = str(info.value)
    assert "line 1: missing field 'question'" in message and "line 2: not valid JSON" in message


def test_evidence_sentences_around_answer_spans():
    context = "Rollo was a Viking. He founded Normandy in 911. It lasted long."
    answers = [{"text": "Normandy", "answer_start": context.index("Normandy")}, {"text": "911", "answer_start": 43}]
    assert evidence_sentences(context, answers) == ["He founded Normandy in 911."]
    spanning = [{"text": "Viking. He", "answer_start": context.index("Viking")}]
    assert evidence_sentences(context, spanning) == ["Rollo was a Viking.", "He founded Normandy in 911."]
