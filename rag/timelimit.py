"""A time limit per question (RAG_QUESTION_TIMEOUT) for calls and streams that cannot be interrupted.

The work runs in a daemon worker thread and the caller waits at most ``timeout`` seconds in total; past that it
gets a QuestionError and carries on (the abandoned worker finishes in the background and its result is
dropped). Python threads cannot be killed, so this bounds the caller's wait, not the CPU spent.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from rag.errors import QuestionError

T = TypeVar("T")
_DONE = object()


def _timeout_error(timeout: float) -> QuestionError:
    return QuestionError(
        f"Answering took longer than the {timeout:g} s limit (RAG_QUESTION_TIMEOUT); try a shorter or more "
        "specific question, or raise the limit."
    )


def iterate_with_timeout(make: Callable[[], Iterator[T]], timeout: float,
                         on_timeout: Callable[[], Exception] | None = None) -> Iterator[T]:
    """Items of ``make()`` produced in a worker thread; QuestionError (or ``on_timeout()``) once ``timeout``
    seconds have passed in total. Closing the returned generator early tells the worker to stop after its
    current item."""
    items: queue.Queue = queue.Queue()  # unbounded: a worker must never block on a consumer that left
    stop = threading.Event()

    def work() -> None:
        try:
            for item in make():
                if stop.is_set():
                    return
                items.put(("item", item))
            items.put(("done", _DONE))
        except BaseException as err:
            items.put(("error", err))

    threading.Thread(target=work, name="question-stream", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                kind, value = items.get(timeout=max(remaining, 0.0)) if remaining > 0 else items.get_nowait()
            except queue.Empty:
                raise (on_timeout() if on_timeout else _timeout_error(timeout)) from None
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
