"""What the API routes share: settings, services, and the worker limits that keep answering off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from rag.settings import Settings

T = TypeVar("T")


@dataclass
class ApiContext:
    settings: Settings
    services: Any  # rag.services.Services
    # Questions answered at once: RAG_CONCURRENCY_LIMIT, as in the chat's queue; the rest wait their turn.
    answering: anyio.CapacityLimiter = field(init=False)
    # One index writer at a time in this process (the index's file lock covers the chat and other processes).
    writing: anyio.CapacityLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.answering = anyio.CapacityLimiter(self.settings.concurrency_limit)
        self.writing = anyio.CapacityLimiter(1)

    @property
    def assistant(self):
        return self.services.assistant

    async def answer(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.answering)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.writing)
