"""The store stage: where documents, chunks, unit vectors and the keyword index live (see rag.store.base).

``open_store(settings)`` returns the configured backend; callers use only the ``Store`` / ``StoreView`` /
``StoreWriter`` protocols.
"""

from __future__ import annotations

from rag.store.base import CheckReport, RepairReport, Store, StoredDocument, StoreView, StoreWriter, TermStats

__all__ = ["CheckReport", "RepairReport", "Store", "StoreView", "StoreWriter", "StoredDocument", "TermStats",
           "open_store"]


def open_store(settings) -> Store:
    """The store the settings select: PostgreSQL when ``settings.store_url`` (RAG_STORE_URL) is set, else the FAISS
    snapshot folder at ``settings.index_dir``."""
    url = settings.store_url.get_secret_value() if getattr(settings, "store_url", None) else None
    if url:
        from rag.store.postgres import PostgresStore

        return PostgresStore(url, settings)
    from rag.store.faiss_store import FaissStore

    return FaissStore(settings.index_dir, settings)
