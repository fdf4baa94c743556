"""rag: a question-answering assistant over your own documents, with verifiable citations.

The public surface, for programs that use the library rather than the `rag` command::

    from rag import Settings, build_services, index_paths
    settings = Settings(index_dir="index")
    index_paths(["docs/"], settings)
    answer = build_services(settings).assistant.ask("What is the default timeout?")
    print(answer.answer, [c.quote for c in answer.citations])

Names are imported on first use (PEP 562), so ``import rag`` stays instant and loads no model or index library.
Stages, in the order data flows: rag.ingest -> rag.embedding -> rag.store -> rag.retrieval -> rag.answering ->
rag.cite (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Settings": "rag.settings",
    "load_settings": "rag.settings",
    "Services": "rag.services",
    "build_services": "rag.services",
    "index_paths": "rag.ingest.indexer",
    "IndexReport": "rag.ingest.indexer",
    "Assistant": "rag.answering.chain",
    "Store": "rag.store",
    "StoreView": "rag.store",
    "open_store": "rag.store",
    "Answer": "rag.types",
    "Citation": "rag.types",
    "Chunk": "rag.types",
    "Document": "rag.types",
    "Passage": "rag.types",
    "RagError": "rag.errors",
    "configure": "rag.runtime",
}

__all__ = [  # noqa: RUF022 - grouped by stage, as _EXPORTS
    "__version__", "Settings", "load_settings", "Services", "build_services", "index_paths", "IndexReport",
    "Assistant", "Store", "StoreView", "open_store", "Answer", "Citation", "Chunk", "Document", "Passage",
    "RagError", "configure",
]

if TYPE_CHECKING:
    from rag.answering.chain import Assistant
    from rag.errors import RagError
    from rag.ingest.indexer import IndexReport, index_paths
    from rag.runtime import configure
    from rag.services import Services, build_services
    from rag.settings import Settings, load_settings
    from rag.store import Store, StoreView, open_store
    from rag.types import Answer, Chunk, Citation, Document, Passage




def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    return getattr(import_module(module), name)
