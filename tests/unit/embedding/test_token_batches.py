"""Answer units are batched by what they cost to embed (Embedder.text_lengths): tokens for the ONNX model,
characters for embedders without a tokenizer."""

from __future__ import annotations

import numpy as np
import pytest


def test_the_default_cost_is_characters(fake_embedder):
    assert fake_embedder.text_lengths(["ab", "", "abcdef"]) == [2, 0, 6]


@pytest.mark.slow
def test_units_are_batched_by_token_count(real_embedder, seed_text):
    """The real model's batches are cut from units sorted by tokens: consecutive batches' token counts do not
    overlap, so each pads only to its own longest (sorting by characters padded a third of the tokens)."""
    from rag.ingest.indexer import unit_batches
    from rag.ingest.sentences import sentence_spans

    texts = [seed_text[a:b] for a, b in sentence_spans(seed_text)]
    lengths = real_embedder.text_lengths(texts)
    _, tokenizer = real_embedder._load()
    assert lengths == [len(tokenizer.encode(t).ids) for t in texts]  # one text alone: no padding
    assert real_embedder.text_lengths([]) == []
    batches = unit_batches(texts, 16, lengths)
    assert len(batches) > 2 and sorted(j for b in batches for j in b) == list(range(len(texts)))
    for before, after in zip(batches, batches[1:]):
        assert max(lengths[j] for j in before) <= min(lengths[j] for j in after)
    assert len(set(lengths)) > 5 and [len(t) for t in texts] != lengths


@pytest.mark.slow
def test_small_batches_run_on_one_thread_with_the_same_vectors(real_embedder, seed_text, monkeypatch):
    """A query or an answer's few sentences run on a one-thread session (less CPU for the same wall time on two
    cores); indexing-sized batches on the full one. Both give the same vectors for the same batch."""
    from rag.embedding import onnx_backend
    from rag.embedding.onnx_backend import SMALL_BATCH_TOKENS
    from rag.ingest.sentences import sentence_spans

    texts = [seed_text[a:b] for a, b in sentence_spans(seed_text)][:40]
    full, _ = real_embedder._load()
    assert sum(real_embedder.text_lengths(texts)) > SMALL_BATCH_TOKENS
    assert real_embedder._session_for(sum(real_embedder.text_lengths(texts))) is full
    short = [t for t in texts if real_embedder.text_lengths([t])[0] <= SMALL_BATCH_TOKENS][:5]
    assert len(short) == 5
    small = real_embedder._session_for(real_embedder.text_lengths(short[:1])[0])
    assert small is not full and small.get_session_options().intra_op_num_threads == 1
    one_thread = np.stack([real_embedder.embed_array([t])[0] for t in short])
    monkeypatch.setattr(onnx_backend, "SMALL_BATCH_TOKENS", 0)  # every batch on the full session
    assert real_embedder._session_for(1) is full
    every_thread = np.stack([real_embedder.embed_array([t])[0] for t in short])
    assert np.allclose(one_thread, every_thread, atol=1e-5)
