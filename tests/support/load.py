"""Many clients at once against a running server: the thread plumbing the load tests share.

Each test keeps its own client loop (what it asks, what counts as an error); this module starts the loops,
waits for them with a bound, and formats the latency line the tests print.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable

from tests.conftest import REPO


def seeds_questions() -> list[str]:
    """The questions of the seeds gold set (eval/gold/seeds.jsonl), in file order."""
    lines = (REPO / "eval" / "gold" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def run_clients(loops: list[Callable[[], None]], seconds: float, during: Callable[[], None] | None = None) -> float:
    """Run every loop in its own thread, call ``during`` (if any) in this thread meanwhile, and wait for all of
    them; every loop must stop on its own deadline (``seconds``), so one still running ten minutes after it fails
    the test. Returns the wall time in seconds."""
    threads = [threading.Thread(target=loop, daemon=True) for loop in loops]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    for thread in threads:
        thread.join(timeout=seconds + 600)
    assert not any(t.is_alive() for t in threads), "a client is still waiting long after the deadline"
    return time.monotonic() - began


def latency_line(latencies: list[float]) -> str:
    """'p50 N ms, p95 N ms, max N ms' of a list of seconds (at least one)."""
    if len(latencies) == 1:
        only = latencies[0] * 1000
        return f"p50 {only:.0f} ms, p95 {only:.0f} ms, max {only:.0f} ms"
    cuts = statistics.quantiles(latencies, n=100)
    return f"p50 {cuts[49] * 1000:.0f} ms, p95 {cuts[94] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
