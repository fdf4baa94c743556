"""The answering chain (a LangChain runnable): question -> retriever -> answerer -> cited Answer.

`Assistant` is what every front end uses (CLI, chat, eval): `ask` runs the chain, `stream` yields text as the
answerer produces it and then the final Answer, `retrieve` exposes the retrieval step alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.timelimit import iterate_with_timeout
from rag.types import Answer, Passage
from rag.validation import Request, validate_request


class Answerer(Protocol):
    """Turns retrieved passages into a cited Answer. ``stream`` yields text pieces, then the final Answer;
    ``condense`` rewrites a follow-up into a standalone retrieval question (or returns it unchanged)."""

    name: str

    def answer(self, question: str, passages: list[Passage], question_vector=None) -> Answer: ...

    def stream(self, question: str, passages: list[Passage], question_vector=None) -> Iterator[str | Answer]: ...

    def condense(self, question: str, history: list[dict] | None) -> str: ...


@dataclass
class ChainState:
    """What flows between the chain's steps."""

    question: str  # cleaned
    query: str  # what is searched: the question, or a follow-up rewritten to stand alone
    k: int
    mode: str
    started: float
    passages: list[Passage] = field(default_factory=list)
    query_vector: np.ndarray | None = None
    retrieve_ms: float = 0.0


class Assistant:
    """The chain every front end uses (CLI, chat, API, eval): prepare -> retrieve -> answer, as one LangChain
    runnable. ``stream`` runs it and yields the answer's text pieces then the final Answer; ``ask`` is the same
    run, consumed."""

    def __init__(self, settings: Settings, retriever: HybridRetriever, answerers: dict[str, Answerer],
                 pin: Callable[[], AbstractContextManager] = nullcontext):
        self.settings = settings
        self.retriever = retriever
        self.answerers = answerers
        # Entered around each question: the index snapshot is held for it (rag.services.CheckedViews.pinned), so
        # retrieval and answering read one version even when a writer (`--watch`, an upload) publishes another.
        self.pin = pin
        self.chain: Runnable = (
            RunnableLambda(self._prepare, name="prepare")
            | RunnableLambda(self._retrieve_step, name="retrieve")
            | RunnableGenerator(self._answer_step, name="answer")
        )

    @property
    def modes(self) -> list[str]:
        return list(self.answerers)

    def effective_mode(self, mode: str | None = None) -> str:
        """The answer mode a question gets: ``mode`` or the configured one, when that answerer exists (llm mode
        needs RAG_LLM_BASE_URL), else extractive."""
        mode = mode or self.settings.answer_mode
        return mode if mode in self.answerers else "extractive"

    def _validated(self, question, k, history, mode) -> Request:
        """The request checked once for every front end (rag.validation): QuestionError when it cannot be asked."""
        return validate_request(question, k, mode, history, self.settings.max_question_chars)

    def _prepare(self, request: Request) -> ChainState:
        question = request.question  # validated by the caller of the chain
        mode = self.effective_mode(request.mode)
        query = self.answerers[mode].condense(question, request.history) if request.history else question
        return ChainState(question=question, query=query, k=request.k or self.settings.k, mode=mode,
                          started=time.perf_counter())

    def _retrieve_step(self, state: ChainState) -> ChainState:
        started = time.perf_counter()
        # The query is embedded once here; the retriever and the extractive answerer both use this vector.
        state.query_vector = self.retriever.embedder.embed_array([state.query])[0]
        state.passages = self.retriever.retrieve(state.query, k=state.k, query_vector=state.query_vector)
        state.retrieve_ms = (time.perf_counter() - started) * 1000
        return state

    def _answer_step(self, states: Iterator[ChainState]) -> Iterator[str | Answer]:
        for state in states:
            started = time.perf_counter()
            for item in self.answerers[state.mode].stream(state.query, state.passages, state.query_vector):
                yield self._finish(item, state, started) if isinstance(item, Answer) else item

    def _finish(self, answer: Answer, state: ChainState, started: float) -> Answer:
        now = time.perf_counter()
        answer.question = state.question
        answer.mode = answer.mode or state.mode
        answer.timings_ms = {
            "retrieve": state.retrieve_ms,
            "answer": (now - started) * 1000,
            "total": (now - state.started) * 1000,
        }
        return answer

    def ask(self, question: str, k: int | None = None, history: list[dict] | None = None,
            mode: str | None = None) -> Answer:
        final: Answer | None = None
        for item in self.stream(question, k, history, mode):
            if isinstance(item, Answer):
                final = item
        if final is None:  # every answerer ends its stream with the Answer; guard the contract anyway
            raise RuntimeError("the answerer produced no Answer")
        return final

    def _time_limit(self, mode: str | None) -> float:
        """RAG_QUESTION_TIMEOUT; in llm mode at least the LLM's own timeout plus time for the extractive fallback,
        so a slow server ends in the fallback answer rather than in a timeout."""
        if self.effective_mode(mode) == "llm":
            return max(self.settings.question_timeout, self.settings.llm_timeout + 15)
        return self.settings.question_timeout

    def retrieve(self, question: str, k: int | None = None, history: list[dict] | None = None) -> list[Passage]:
        return self.retrieve_state(question, k, history).passages

    def retrieve_state(self, question: str, k: int | None = None, history: list[dict] | None = None) -> ChainState:
        """The chain's state after retrieval: the ``query`` actually searched (follow-ups rewritten), its
        ``query_vector``, the ``passages``; what the answer step receives (`rag calibrate` featurises from it)."""
        return self._retrieve_step(self._prepare(self._validated(question, k, history, None)))

    def stream(self, question: str, k: int | None = None, history: list[dict] | None = None,
               mode: str | None = None) -> Generator[str | Answer, None, None]:
        """Yield text pieces as they are produced, then the final Answer, within RAG_QUESTION_TIMEOUT."""
        request = self._validated(question, k, history, mode)  # a bad request fails here, not in a thread
        yield from iterate_with_timeout(lambda: self._pinned_stream(request), self._time_limit(mode))

    def _pinned_stream(self, request: Request) -> Iterator[str | Answer]:
        """The chain's run inside the pin (in the worker thread that runs it): retrieval and answering read one
        view of the index."""
        with self.pin():
            yield from self.chain.stream(request)
