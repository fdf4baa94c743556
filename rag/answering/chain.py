"""The answering chain (a LangChain runnable): question -> retriever -> answerer -> cited Answer.

`Assistant` is what every front end uses (CLI, chat, eval): `ask` runs the chain, `stream` yields text as the
answerer produces it and then the final Answer, `retrieve` exposes the retrieval step alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from rag.errors import QuestionError
from rag.retrieval.followup import contextual_query
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.timelimit import call_with_timeout, iterate_with_timeout
from rag.types import Answer, Passage

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Answerer(Protocol):
    name: str

    def answer(self, question: str, passages: list[Passage], question_vector=None) -> Answer: ...

    def stream(self, question: str, passages: list[Passage], question_vector=None) -> Iterator[str | Answer]: ...


def clean_question(question: str, max_chars: int) -> str:
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    cleaned = _CONTROL.sub(" ", question).strip()
    if not cleaned:
        raise QuestionError("The question is empty; type a question about your documents.")
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,} "
            "(RAG_MAX_QUESTION_CHARS). Shorten it."
        )
    return cleaned


class Assistant:
    def __init__(self, settings: Settings, retriever: HybridRetriever, answerers: dict[str, Answerer],
                 pin: Callable[[], AbstractContextManager] = nullcontext):
        self.settings = settings
        self.retriever = retriever
        self.answerers = answerers
        # Entered around each question: the index snapshot is held for it (rag.services.IndexHandle.pinned), so
        # retrieval and answering read one version even when a writer (`--watch`, an upload) publishes another.
        self.pin = pin
        self.chain: Runnable = (
            RunnableLambda(self._prepare, name="prepare")
            | RunnableLambda(self._retrieve_step, name="retrieve")
            | RunnableLambda(self._answer_step, name="answer")
        )

    @property
    def modes(self) -> list[str]:
        return list(self.answerers)

    def effective_mode(self, mode: str | None = None) -> str:
        """The answer mode a question gets: ``mode`` or the configured one, when that answerer exists (llm mode
        needs RAG_LLM_BASE_URL), else extractive."""
        mode = mode or self.settings.answer_mode
        return mode if mode in self.answerers else "extractive"

    def _prepare(self, inputs: dict) -> dict:
        question = clean_question(inputs["question"], self.settings.max_question_chars)
        mode = self.effective_mode(inputs.get("mode"))
        query = contextual_query(question, inputs.get("history"))
        condense = getattr(self.answerers[mode], "condense", None)
        if inputs.get("history") and condense is not None:  # the llm mode rewrites follow-ups with the model
            query = condense(question, inputs["history"])
        return {
            "question": question,
            "query": query,
            "k": inputs.get("k") or self.settings.k,
            "mode": mode,
            "t0": time.perf_counter(),
        }

    def _retrieve_step(self, state: dict) -> dict:
        started = time.perf_counter()
        # The query is embedded once here; the retriever and the extractive answerer both use this vector.
        vector = self.retriever.embedder.embed_array([state["query"]])[0]
        passages = self.retriever.retrieve(state["query"], k=state["k"], query_vector=vector)
        return dict(state, passages=passages, query_vector=vector,
                    retrieve_ms=(time.perf_counter() - started) * 1000)

    def _answer_step(self, state: dict) -> Answer:
        started = time.perf_counter()
        answer = self.answerers[state["mode"]].answer(state["query"], state["passages"], state["query_vector"])
        return self._finish(answer, state, started)

    def _finish(self, answer: Answer, state: dict, started: float) -> Answer:
        now = time.perf_counter()
        answer.question = state["question"]
        answer.mode = answer.mode or state["mode"]
        answer.timings_ms = {
            "retrieve": state["retrieve_ms"],
            "answer": (now - started) * 1000,
            "total": (now - state["t0"]) * 1000,
        }
        return answer

    def ask(self, question: str, k: int | None = None, history: list[dict] | None = None,
            mode: str | None = None) -> Answer:
        inputs = {"question": question, "k": k, "history": history, "mode": mode}
        return call_with_timeout(lambda: self._invoke(inputs), self._time_limit(mode))

    def _invoke(self, inputs: dict) -> Answer:
        with self.pin():
            return self.chain.invoke(inputs)

    def _time_limit(self, mode: str | None) -> float:
        """RAG_QUESTION_TIMEOUT; in llm mode at least the LLM's own timeout plus time for the extractive fallback,
        so a slow server ends in the fallback answer rather than in a timeout."""
        if self.effective_mode(mode) == "llm":
            return max(self.settings.question_timeout, self.settings.llm_timeout + 15)
        return self.settings.question_timeout

    def retrieve(self, question: str, k: int | None = None, history: list[dict] | None = None) -> list[Passage]:
        return self.retrieve_state(question, k, history)["passages"]

    def retrieve_state(self, question: str, k: int | None = None, history: list[dict] | None = None) -> dict:
        """The chain's state after retrieval: the ``query`` actually searched (follow-ups rewritten), its
        ``query_vector``, the ``passages``; what the answer step receives (`rag calibrate` featurises from it)."""
        return self._retrieve_step(self._prepare({"question": question, "k": k, "history": history}))

    def stream(self, question: str, k: int | None = None, history: list[dict] | None = None,
               mode: str | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they are produced, then the final Answer (same chain steps as ``ask``)."""
        clean_question(question, self.settings.max_question_chars)  # a bad question fails here, not in a thread
        yield from iterate_with_timeout(lambda: self._stream(question, k, history, mode), self._time_limit(mode))

    def _stream(self, question: str, k: int | None, history: list[dict] | None,
                mode: str | None) -> Iterator[str | Answer]:
        with self.pin():
            state = self._retrieve_step(self._prepare({"question": question, "k": k, "history": history,
                                                       "mode": mode}))
            started = time.perf_counter()
            for item in self.answerers[state["mode"]].stream(state["query"], state["passages"],
                                                             state["query_vector"]):
                if isinstance(item, Answer):
                    yield self._finish(item, state, started)
                else:
                    yield item
