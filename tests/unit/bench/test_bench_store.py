"""Index-type choice (flat below RAG_FAISS_HNSW_THRESHOLD, HNSW from it), the ONNX embedder, the bench corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SEEDS, SHARED

QUESTIONS = ["Where did Kim welcome Putin?", "Which missile has North Korea provided to Russia?",
             "What did the agreement say about military cooperation?", "Who visited Pyongyang?"]


def _build(make_settings, embedder, name: str, **overrides):
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    settings = make_settings(index_dir=make_settings().index_dir.parent / name, retrieval_mode="dense", **overrides)
    index_paths([SEEDS], settings, embedder=embedder)
    return build_services(settings, embedder)


def test_hnsw_above_threshold_gives_the_same_top_hit_as_flat(make_settings, fake_embedder):
    flat = _build(make_settings, fake_embedder, "flat")
    hnsw = _build(make_settings, fake_embedder, "hnsw", faiss_hnsw_threshold=2, faiss_hnsw_ef_search=64)
    assert flat.view().manifest["dense_index"] == {"type": "flat"}
    info = hnsw.view().manifest["dense_index"]
    assert info["type"] == "hnsw" and info["ef_search"] == 64
    assert hnsw.view().vectorstore.index.hnsw.efSearch == 64  # re-applied on load
    assert hnsw.view().n_chunks == flat.view().n_chunks > 2
    for question in QUESTIONS:
        want = flat.assistant.retrieve(question, k=3)
        got = hnsw.assistant.retrieve(question, k=3)
        assert got[0].chunk.chunk_id == want[0].chunk.chunk_id
        assert got[0].dense_score == pytest.approx(want[0].dense_score, abs=1e-5)


def test_hnsw_index_keeps_vectors_for_incremental_updates(make_settings, fake_embedder, tmp_path):
    from rag.ingest.indexer import index_paths
    from rag.store.snapshot import load_snapshot

    settings = make_settings(faiss_hnsw_threshold=2)
    extra = tmp_path / "docs"
    extra.mkdir()
    (extra / "a.txt").write_text("Penguins live in Antarctica. They eat krill and fish.\n" * 3, encoding="utf-8")
    index_paths([SEEDS, extra], settings, embedder=fake_embedder)
    before = load_snapshot(settings.index_dir)
    (extra / "b.txt").write_text("Camels cross the Sahara desert carrying water.\n", encoding="utf-8")
    index_paths([SEEDS, extra], settings, embedder=fake_embedder)
    after = load_snapshot(settings.index_dir)
    assert after.n_chunks == before.n_chunks + 1
    reused = before.chunk_vectors()
    np.testing.assert_allclose(after.chunk_vectors()[: len(reused)], reused, atol=1e-6)


def test_synthetic_corpus_is_deterministic_and_has_the_requested_chunks(tmp_path):
    from bench.corpus import synthetic_corpus, synthetic_texts
    from rag.ingest.chunking import make_splitter

    if not (SHARED / "datasets").is_dir():
        pytest.skip("needs ../shared/datasets (the SQuAD/ClapNQ texts the corpus is drawn from)")
    pool = ["The first sentence is here.", "A second one follows it.", "Then comes a third sentence."] * 5
    first = list(synthetic_texts(sorted(set(pool)), 50, 200, 30))
    again = list(synthetic_texts(sorted(set(pool)), 50, 200, 30))
    assert first == again
    splitter = make_splitter(200, 30)
    assert sum(len(splitter.split_text(t)) for _, t in first) == 50
    corpus = synthetic_corpus(SHARED / "datasets", tmp_path, 120, 800, 120)
    n = sum(len(make_splitter(800, 120).split_text(p.read_text(encoding="utf-8")))
            for p in corpus.folder.glob("*.txt"))
    assert n == 120


@pytest.mark.slow
def test_onnx_embedder_matches_sentence_transformers(tmp_path_factory):
    from rag.embedding.onnx_backend import OnnxEmbedder
    from rag.embedding.torch_backend import SentenceTransformerEmbedder

    torch_embedder = SentenceTransformerEmbedder()
    cache = tmp_path_factory.mktemp("onnx-cache")
    texts = ["Where did Kim welcome Putin?", "short", SEEDS.joinpath("000_ae9ece0cf409f084.txt").read_text()[:900]]
    want = torch_embedder.embed_array(texts)
    fp32 = OnnxEmbedder(cache_dir=cache)
    got = fp32.embed_array(texts)
    assert fp32.model_id == torch_embedder.model_id and fp32.dim == want.shape[1]
    assert (got * want).sum(axis=1).min() > 0.9999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    int8 = OnnxEmbedder(cache_dir=cache, quantize=True)
    assert int8.model_id.endswith("+int8")
    assert (int8.embed_array(texts) * want).sum(axis=1).min() > 0.97
    assert fp32.embed_array([]).shape == (0, fp32.dim)


def test_embed_backend_setting_is_validated(make_settings):
    from rag.errors import ConfigError
    from rag.settings import load_settings

    with pytest.raises(ConfigError):
        load_settings(embed_backend="tensorflow")
    assert json.dumps(make_settings(embed_backend="onnx").embed_backend) == '"onnx"'


def test_the_recorded_model_id_is_known_without_loading_the_model(make_settings):
    """`rag index` compares the manifest's model id with the settings' before loading any model; int8 ONNX
    records +int8, so a second `rag index` with the same settings must not see a mismatch."""
    from rag.embedding import model_id_for

    base = "sentence-transformers/all-MiniLM-L6-v2"
    assert model_id_for(make_settings(embed_model="bundled:all-MiniLM-L6-v2", embed_backend="onnx",
                                      embed_quantize=True)) == base + "+int8"
    assert model_id_for(make_settings(embed_model="bundled:all-MiniLM-L6-v2", embed_backend="onnx",
                                      embed_quantize=False)) == base
    assert model_id_for(make_settings(embed_model="bundled:all-MiniLM-L6-v2", embed_backend="torch",
                                      embed_quantize=True)) == base
    assert model_id_for(make_settings(embed_model="hash:64")) == "hash-64"


def test_an_unwritable_model_cache_is_one_clear_error():
    from rag.embedding.onnx_backend import OnnxEmbedder
    from rag.errors import ConfigError

    embedder = OnnxEmbedder(cache_dir="/proc/no-such-folder", quantize=True)
    with pytest.raises(ConfigError, match="RAG_MODEL_CACHE_DIR to a writable folder"):
        embedder.embed_array(["a question"])
