"""Embedders, chosen from the settings: ONNX Runtime (default, rag.embedding.onnx_backend), sentence-transformers
on torch (rag.embedding.torch_backend) or the hashing fake (rag.embedding.hashing). Backends import lazily."""

from __future__ import annotations

from rag.embedding.base import HASH_PREFIX, Embedder, _hash_dim, bundled_model_path, resolve_model
from rag.embedding.hashing import HashEmbedder

__all__ = ["Embedder", "HashEmbedder", "bundled_model_path", "make_embedder", "model_id_for", "resolve_model",
           "uses_onnx"]


def uses_onnx(settings) -> bool:
    return settings.embed_backend == "onnx" and not settings.embed_model.startswith(HASH_PREFIX)


def model_id_for(settings) -> str:
    """The model id an embedder made from ``settings`` records, without loading it (int8 ONNX adds ``+int8``)."""
    base = resolve_model(settings.embed_model)[0]
    return base + ("+int8" if uses_onnx(settings) and settings.embed_quantize else "")


def make_embedder(settings) -> Embedder:
    if settings.embed_model.startswith(HASH_PREFIX):
        return HashEmbedder(_hash_dim(settings.embed_model))
    if uses_onnx(settings):
        from rag.embedding.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(settings.embed_model, settings.embed_batch_size, settings.torch_threads,
                            quantize=settings.embed_quantize, cache_dir=settings.model_cache_dir)
    from rag.embedding.torch_backend import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size, settings.torch_threads)
