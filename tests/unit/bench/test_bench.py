"""Smoke test of `rag bench` at a tiny size: every figure is present and sane (no timing thresholds)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, SHARED

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench_result(tmp_path_factory):
    if not (SHARED / "datasets" / "squad_v2_dev_subset").is_dir():
        pytest.skip("needs ../shared/datasets (SQuAD slice and ClapNQ) for the bench corpora")
    from bench.run import run_bench
    from rag.settings import Settings

    cache = tmp_path_factory.mktemp("bench-cache")
    settings = Settings(_env_file=None, seeds_dir=REPO / "seeds", model_cache_dir=cache / "models",
                        faiss_hnsw_threshold=150)
    return run_bench(settings, [200], quick=True, cache=cache, compare_int8=False)


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_bench_json_has_every_figure(bench_result):
    r = json.loads(json.dumps(bench_result))  # JSON-serialisable as `rag bench --json` prints it
    assert r["machine"]["cores"] >= 1
    ingest = r["ingest"]
    assert ingest["chunks"] == 200 and ingest["baseline_chunks"] == 200
    for key in ("ours_chunks_per_s", "baseline_chunks_per_s", "ratio", "ours_real_tokens_per_embed_s"):
        assert _positive(ingest[key])
    # every unit of the 200 chunks went through the model once: more tokens than chunks, padding never negative
    for tokens in (ingest["ours_tokens"], ingest["baseline_tokens"]):
        assert tokens["padded"] >= tokens["real"] > 200
    for key in ("ours_retrieve_ms", "ours_ask_ms", "baseline_search_ms"):
        figures = r["query"][key]
        assert 0 < figures["p50"] <= figures["p95"] and figures["n"] > 0
    cold = r["cold_start"]["ours"]
    assert "error" not in cold, cold
    assert _positive(cold["median_s"]) and len(cold["runs_s"]) >= 3
    assert _positive(r["main_process_peak_rss_mb"])


def test_bench_quality_is_reported_for_both_sides(bench_result):
    for name in ("seeds", "squad"):
        figures = bench_result["quality_recall@5"][name]
        assert figures["questions"] > 0
        assert 0 <= figures["ours"] <= 1 and 0 <= figures["baseline"] <= 1
    assert bench_result["quality_recall@5"]["seeds"]["ours"] > 0.5  # the real model finds the seed evidence


def test_bench_scale_point_runs_in_a_subprocess(bench_result):
    (point,) = bench_result["scale"]
    assert "error" not in point, point.get("error")
    assert point["chunks"] == 200 and point["vectors"].startswith("real")
    assert point["dense_index"]["type"] == "hnsw"  # threshold lowered to 150 for this run
    assert _positive(point["index_mb"]) and _positive(point["peak_rss_mb"])
    assert 0.9 <= point["ann"]["recall@10"] <= 1.0
    assert 0 < point["retrieve_ms"]["p50"] <= point["retrieve_ms"]["p95"]


def test_summary_table_renders(bench_result):
    from bench.run import summary_table

    table = summary_table(bench_result)
    assert "ingest, chunks/s" in table and "| 200 |" in table


def test_plot_is_written(bench_result, tmp_path):
    from bench.run import plot_scale

    path = plot_scale(bench_result, tmp_path / "bench-scale.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("extra", [[], ["--ingest-runs", "1"], ["--ray-workers", "1"]])
def test_bench_without_the_shared_datasets_is_one_line(tmp_path, capsys, extra):
    """A clone without ../shared: `rag bench` says which files it lacks and what to pass, before loading a model."""
    from tests.support.pg_server import rag

    code, out, err = rag(["bench", "--quick", "--sizes", "200", "--datasets", str(tmp_path), *extra], capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0] and "pass --datasets DIR" in lines[0], err
    assert "squad_v2_dev_subset/dev-v2.0-subset.json" in lines[0] and "Traceback" not in err
