"""The one factory that wires settings, embedder, index, retriever, answerers and assistant together."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.answering.chain import Assistant
from rag.embedding import Embedder, make_embedder
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.short_answer import ShortAnswerReader
from rag.ingest.indexer import check_compatible
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.store.snapshot import CURRENT, IndexSnapshot, current_path, load_snapshot


class IndexHandle:
    """The last committed snapshot, reloaded when a writer publishes a new one (checked on every access)."""

    def __init__(self, index_dir: Path, settings: Settings, embedder: Embedder):
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.embedder = embedder
        self._snapshot: IndexSnapshot | None = None
        self._target: str | None = None
        self._lock = threading.Lock()

    def _link_target(self) -> str | None:
        try:
            return os.readlink(self.index_dir / CURRENT)
        except OSError:
            return None

    def get(self) -> IndexSnapshot:
        target = self._link_target()
        if self._snapshot is None or target != self._target:
            with self._lock:
                if self._snapshot is None or target != self._target:
                    snapshot = load_snapshot(self.index_dir, self.embedder)
                    check_compatible(snapshot.manifest, self.settings, self.embedder.model_id, self.index_dir)
                    self._snapshot, self._target = snapshot, target
        return self._snapshot

    __call__ = get


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    index: IndexHandle
    assistant: Assistant

    @property
    def store(self) -> IndexSnapshot:
        return self.index.get()


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    embedder = embedder or make_embedder(settings)
    index = IndexHandle(settings.index_dir, settings, embedder)
    retriever = HybridRetriever(
        snapshot_getter=index.get,
        embedder=embedder,
        k=settings.k,
        fetch_k=settings.fetch_k,
        rrf_k=settings.rrf_k,
        mode=settings.retrieval_mode,
        mmr=settings.mmr,
        mmr_lambda=settings.mmr_lambda,
        weights=tuple(settings.fusion_weights),
        identifier_boost=settings.identifier_boost,
    )
    answerers = {
        "extractive": ExtractiveAnswerer(embedder, index.get, settings.abstain_threshold,
                                         settings.max_answer_sentences, settings.answer_weights,
                                         settings.abstain_weights,
                                         ShortAnswerReader(settings.short_answer_weights,
                                                           settings.short_answer_threshold)),
    }
    if settings.llm_base_url:
        from rag.answering.llm import LLMAnswerer  # noqa: PLC0415 - optional mode, imported only when configured

        answerers["llm"] = LLMAnswerer(settings, embedder, index.get, fallback=answerers["extractive"])
    return Services(settings, embedder, index, Assistant(settings, retriever, answerers))


def ensure_default_index(settings: Settings, echo: Callable[[str], None] | None = None) -> None:
    """With the default index location and none built yet, build it from seeds/ so a first `ask` just works."""
    from rag.ingest.indexer import index_paths

    if current_path(settings.index_dir) is not None:
        return
    if Path(settings.index_dir) != Settings.model_fields["index_dir"].default or not Path(settings.seeds_dir).is_dir():
        return
    if echo:
        echo(f"No index yet; building it from {settings.seeds_dir}/ ...")
    report = index_paths([settings.seeds_dir], settings)
    if echo:
        echo(report.summary())
