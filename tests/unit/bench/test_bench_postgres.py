"""`rag bench --store-url`: a scale point runs on PostgreSQL in a scratch database (created, then dropped) with
the same figures as on FAISS, plus the memory of a process that only serves the store."""

from __future__ import annotations

import pytest

from tests.conftest import REPO, SHARED

pytestmark = pytest.mark.slow


def test_a_scale_point_runs_on_both_stores(tmp_path, pg_server):
    if not (SHARED / "datasets" / "squad_v2_dev_subset").is_dir():
        pytest.skip("needs ../shared/datasets (SQuAD slice and ClapNQ) for the bench corpora")
    from bench.run import scale_point
    from rag.settings import Settings
    from tests.support.pg_server import admin, admin_url

    settings = Settings(_env_file=None, seeds_dir=REPO / "seeds", model_cache_dir=tmp_path / "models")
    questions = ["Where did Kim welcome Putin?", "When did Beyonce become popular?", "What is a pod?"] * 2
    datasets = SHARED / "datasets"
    faiss = scale_point(150, settings, datasets, tmp_path / "cache", questions)
    pg = scale_point(150, settings, datasets, tmp_path / "cache", questions, store_url=admin_url())
    for point in (faiss, pg):
        assert "error" not in point, point.get("error")
        assert point["chunks"] == 150 and point["embedded_live"] == 0
        assert 0.9 <= point["ann"]["recall@10"] <= 1.0
        assert 0 < point["ask_ms"]["p50"] <= point["ask_ms"]["p95"]
        assert point["serve"]["peak_rss_mb"] > 0 and point["serve"]["ask_ms"]["n"] == len(questions)
    assert faiss["store"] == "faiss" and pg["store"] == "postgres"
    assert pg["dense_index"]["type"] == "hnsw" and pg["dense_index"]["backend"] == "pgvector"
    assert pg["index_mb"] > 0
    assert admin("SELECT datname FROM pg_database WHERE datname LIKE 'rag_bench_%'") == []  # dropped
