"""The verifier probe report: per-kind figures and the verification time per answer sentence (synthetic records;
the times are given, not measured, so nothing here depends on the machine)."""

from __future__ import annotations

from eval.probes import VERIFY_TARGET_MS, render, summarize


def record(kind: str, flagged: bool, wall: float, cpu: float, sentences: int = 1) -> dict:
    return {"id": f"{kind}-{wall}", "kind": kind, "corpus": "seeds", "expected_supported": kind == "faithful",
            "passage": 1, "answer": "x [1]", "flagged": flagged, "reason": "negation differs" if flagged else None,
            "support_score": 0.7, "sentences": sentences, "latency_ms_per_sentence": wall,
            "cpu_ms_per_sentence": cpu}


def test_the_summary_counts_sentences_and_compares_the_p95_with_the_target():
    records = [record("faithful", False, 30.0, 20.0), record("reversed", True, 200.0, 40.0, sentences=2),
               record("changed", False, 40.0, 30.0), {"id": "x", "kind": "changed", "corpus": "seeds",
                                                      "expected_supported": False, "passage": None,
                                                      "error": "the cited quote is not in the retrieved passages"}]
    summary = summarize(records)
    ver = summary["verification"]
    assert (ver["answers"], ver["sentences"]) == (3, 4)  # the probe that did not run has no time
    assert summary["cpu_ms_per_sentence"]["max"] == 40.0
    assert summary["cpu_ms_per_sentence"]["p95"] <= VERIFY_TARGET_MS and ver["cpu_p95_within_target"] is True
    assert summary["latency_ms_per_sentence"]["p95"] > VERIFY_TARGET_MS and ver["wall_p95_within_target"] is False
    assert summary["per_kind"]["changed"] == {"n": 1, "flagged": 0, "flagged_rate": 0.0, "recall": 0.0,
                                              "reasons": {}}


def test_the_report_prints_counts_both_times_the_verdicts_and_the_load():
    summary = summarize([record("faithful", False, 30.0, 20.0), record("reversed", True, 200.0, 60.0)])
    summary["config"] = {"left_out_other_corpus": 0}
    summary["verification"].update(caches="cold", repeats=3,
                                   load_average={"before": [1.5, 2.0, 2.5], "after": [3.0, 2.0, 1.0]})
    text = render(summary)
    assert ("verification per answer sentence (2 sentences in 2 answers, cold caches, median of 3 runs each; "
            "target p95 <= 50 ms):") in text
    assert "wall p50 115.0 ms" in text and "CPU  p50 40.0 ms" in text
    assert text.count("(not met)") == 2  # wall p95 191.5, CPU p95 58.0
    assert "load average (1/5/15 min) before 1.5/2.0/2.5, after 3.0/2.0/1.0" in text
