"""Report rendering from a small results set, and the side-by-side comparison."""

from __future__ import annotations

import json

from eval.aggregate import summarize
from eval.compare import compare_files, render_comparison, render_summary
from eval.report import worst_questions, write_report

EVIL = "<script>alert('x')</script>"


def _record(qid, answerable, abstained, f1, recall10, question="Q?", answer="A."):
    metrics = {"citations_total": 1, "citations_valid": 1, "sentences_scored": 1, "sentences_supported": 1}
    if answerable:
        metrics.update({f"recall@{k}": recall10 for k in range(1, 11)})
        metrics.update({"mrr@10": recall10, "ndcg@10": recall10, "exact_match": float(f1 == 1.0), "f1": f1,
                        "contains": float(f1 > 0)})
    return {
        "id": qid, "question": question, "split": "dev", "type": "name", "answerable": answerable,
        "gold_answers": ["Paris"] if answerable else [],
        "gold_evidence": ["Paris is the capital."] if answerable else [],
        "gold_source": "a.txt", "answer": answer, "abstained": abstained, "mode": "extractive", "confidence": 0.5,
        "notice": None, "error": None, "latency_ms": 10.0 * (len(qid) + 1), "timings_ms": {},
        "retrieved": [{"rank": 1, "chunk_id": "c", "source": "/d/a.txt", "start": 0, "end": 5, "score": 0.1,
                       "relevant": bool(recall10), "text": f"chunk text {EVIL}"}],
        "citations": [{"n": 1, "source": "/d/a.txt", "chunk_id": "c", "start": 0, "end": 5, "quote": "Paris",
                       "score": 0.1, "valid": True}],
        "sentences": [], "metrics": metrics,
    }


RECORDS = [
    _record("good", True, False, 1.0, 1.0, answer="Paris [1]"),
    _record("bad", True, False, 0.0, 0.0, question=f"Where? {EVIL}", answer=f"Lyon {EVIL}"),
    _record("refused", True, True, 0.0, 1.0),
    _record("trap", False, False, 0.0, 0.0),
    _record("fine-refusal", False, True, 0.0, 0.0),
]


def test_worst_questions_order_and_selection():
    assert [r["id"] for r in worst_questions(RECORDS)] == ["bad", "trap", "refused"]


def test_report_files_exist_and_html_is_escaped(tmp_path):
    summary = summarize(RECORDS)
    summary["config"] = {"mode": "extractive", "k": 5, "note": EVIL}
    paths = write_report(summary, RECORDS, tmp_path / "report")
    for name in ("report.md", "report.html", "results.json", "metrics.png", "latency.png", "recall_at_k.png"):
        assert paths[name].is_file() and paths[name].stat().st_size > 0
        if name.endswith(".png"):
            assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["report.html"].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("data:image/png;base64,") == 3  # self-contained
    assert "false refusal" in page and "answered an unanswerable question" in page
    md = paths["report.md"].read_text(encoding="utf-8")
    assert "<script>" not in md and "![Recall@k](recall_at_k.png)" in md
    saved = json.loads(paths["results.json"].read_text(encoding="utf-8"))
    assert len(saved["per_question"]) == 5 and saved["n"] == 5


def test_report_with_no_failures(tmp_path):
    paths = write_report(summarize(RECORDS[:1]), RECORDS[:1], tmp_path)
    assert "No failed question." in paths["report.html"].read_text(encoding="utf-8")


def _summary(recall1, f1, p50, k):
    return {
        "n": 10, "n_answerable": 8, "n_unanswerable": 2,
        "retrieval": {"recall@1": recall1, "recall@5": 0.9, "recall@10": 1.0, "mrr@10": 0.8, "ndcg@10": 0.85},
        "answer": {"exact_match": 0.25, "f1": f1, "contains": 0.5},
        "citations": {"valid": 1.0, "supported": None},
        "abstention": {"correct_refusal": 0.5, "false_refusal": 0.125},
        "latency_ms": {"p50": p50, "p95": 200.0},
        "config": {"mode": "extractive", "k": k},
    }


def test_comparison_shows_b_minus_a(tmp_path):
    a, b = _summary(0.5, 0.4, 100.0, 5), _summary(0.625, 0.35, 80.5, 8)
    text = render_comparison(a, b)
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert lines["retrieval.recall@1"] == ["retrieval.recall@1", "0.5000", "0.6250", "+0.1250"]
    assert lines["answer.f1"] == ["answer.f1", "0.4000", "0.3500", "-0.0500"]
    assert lines["latency_ms.p50"] == ["latency_ms.p50", "100.0", "80.5", "-19.5"]
    assert lines["retrieval.recall@5"][-1] == "0"
    assert lines["citations.supported"] == ["citations.supported", "-", "-"]
    assert lines["n"] == ["n", "10", "10", "0"]
    assert "k: 5 -> 8" in text
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    assert compare_files(pa, pb).splitlines()[0].split() == ["metric", "a.json", "b.json", "B", "-", "A"]


def test_render_summary_lists_every_headline_metric():
    text = render_summary(_summary(0.5, 0.4, 100.0, 5))
    for name in ("retrieval.ndcg@10", "answer.contains", "citations.valid", "abstention.false_refusal",
                 "latency_ms.p95"):
        assert name in text
    assert "mode=extractive, k=5" in text
