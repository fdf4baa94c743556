"""Start a real `rag serve` process on a free loopback port for a test, and stop it afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.answering.llm_server import free_port


@contextmanager
def rag_serve(root: Path, index_dir: Path, args: Sequence[str] = (),
              **env_overrides: str) -> Iterator[tuple[str, subprocess.Popen, list]]:
    """Yield (url, process, output lines) once the server says it is running; fail the test if it never does.
    ``args`` are more options for `rag serve` (``["--watch", "docs"]``)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(root / "data"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", **env_overrides)
    rag = Path(sys.executable).parent / "rag"
    proc = subprocess.Popen([str(rag), "serve", "--port", str(port), "--index-dir", str(index_dir), *args], cwd=root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    try:
        deadline = time.monotonic() + 300
        while not any("Chat running at " in line for line in log):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("rag serve did not start:\n" + "".join(log))
            time.sleep(0.2)
        url = next(line for line in log if "Chat running at " in line).split(" at ", 1)[1].split()[0]
        assert url == f"http://127.0.0.1:{port}/"
        yield url, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
