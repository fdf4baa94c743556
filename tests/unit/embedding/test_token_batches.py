"""Answer units are batched by what they cost to embed (Embedder.text_lengths): tokens for the ONNX model,
characters for embedders without a tokenizer."""

from __future__ import annotations

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
