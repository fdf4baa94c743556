"""The one factory that wires settings, embedder, index, retriever, answerers and assistant together."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from rag.answering.chain import Answerer, Assistant
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.short_answer import ShortAnswerReader
from rag.embedding import Embedder, make_embedder
from rag.errors import RagError
from rag.ingest.indexer import check_compatible
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.store import Store, StoreView, open_store


class CheckedViews:
    """The store's latest view, checked once per new view against the settings' model and chunking, so a
    question is never answered from vectors of another model."""

    def __init__(self, store: Store, settings: Settings, model_id: str):
        self.store, self.settings, self.model_id = store, settings, model_id
        self._checked: StoreView | None = None
        self._lock = threading.Lock()
        # The view pinned for the question running in this context (``pinned``); a ContextVar, so it follows the
        # question into LangChain's copied contexts but no other thread or question sees it.
        self._pinned: ContextVar[StoreView | None] = ContextVar(f"pinned_view_{id(self)}", default=None)

    def __call__(self) -> StoreView:
        pinned = self._pinned.get()
        if pinned is not None:
            return pinned
        view = self.store.view()
        if view is not self._checked:
            with self._lock:
                check_compatible(view.manifest, self.settings, self.model_id, self.store.location)
                self._checked = view
        return view

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within this block, in this context (the thread running one question), calls return one view: a
        question is retrieved and answered from the same version of the index while a writer (`--watch`, an
        upload) publishes the next. Without an index the block pins nothing and calls raise as usual."""
        if self._pinned.get() is not None:
            yield
            return
        try:
            view = self()
        except RagError:
            view = None
        token = self._pinned.set(view)
        try:
            yield
        finally:
            try:
                self._pinned.reset(token)
            except ValueError:  # closed from another context (a generator finalised elsewhere): that one ends too
                pass


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    store: Store
    view: Callable[[], StoreView]
    assistant: Assistant


def build_services(settings: Settings, embedder: Embedder | None = None, store: Store | None = None,
                   views: CheckedViews | None = None) -> Services:
    embedder = embedder or make_embedder(settings)
    store = store or open_store(settings)
    view = views or CheckedViews(store, settings, embedder.model_id)
    dense, keyword, exact = settings.fusion_weights  # three, checked by Settings
    retriever = HybridRetriever(
        snapshot_getter=view,
        embedder=embedder,
        k=settings.k,
        fetch_k=settings.fetch_k,
        rrf_k=settings.rrf_k,
        mode=settings.retrieval_mode,
        mmr=settings.mmr,
        mmr_lambda=settings.mmr_lambda,
        weights=(dense, keyword, exact),
        identifier_boost=settings.identifier_boost,
    )
    answerers: dict[str, Answerer] = {
        "extractive": ExtractiveAnswerer(embedder, view, settings.abstain_threshold,
                                         settings.max_answer_sentences, settings.answer_weights,
                                         settings.abstain_weights,
                                         ShortAnswerReader(settings.short_answer_weights,
                                                           settings.short_answer_threshold),
                                         type_veto=settings.type_veto),
    }
    if settings.llm_base_url:
        from rag.answering.llm import LLMAnswerer  # noqa: PLC0415 - optional mode, imported only when configured

        answerers["llm"] = LLMAnswerer(settings, embedder, view, fallback=answerers["extractive"])
    return Services(settings, embedder, store, view, Assistant(settings, retriever, answerers, pin=view.pinned))


def ensure_default_index(settings: Settings, echo: Callable[[str], None] | None = None) -> None:
    """With the default index location and none built yet, build it from seeds/ so a first `ask` just works. An
    index written under other reading rules (PARSING_VERSION: units, sections, keyword terms) is used as it is,
    with one note saying how to bring it up to date."""
    from rag.ingest.indexer import index_paths
    from rag.ingest.structure import PARSING_VERSION

    store = open_store(settings)
    try:
        manifest = store.manifest()
    finally:
        close = getattr(store, "close", None)  # a PostgreSQL store's connection; build_services opens its own
        if close is not None:
            close()
    if manifest is not None and manifest.get("parsing") != PARSING_VERSION and echo:
        echo(f"note: the index in {store.location} was written under earlier reading rules (version "
             f"{manifest.get('parsing')}, now {PARSING_VERSION}); run `rag index` on its folders to read them again "
             "(it re-reads every file once). Until then it is used as it is, and some answers may differ.")
    if settings.store_url or manifest is not None:
        return  # a shared PostgreSQL store is filled on purpose (`rag index`), never with the seeds by default
    if Path(settings.index_dir) != Settings.model_fields["index_dir"].default or not Path(settings.seeds_dir).is_dir():
        return
    if echo:
        echo(f"No index yet; building it from {settings.seeds_dir}/ ...")
    report = index_paths([settings.seeds_dir], settings)
    if echo:
        echo(report.summary())
