"""Start a real `rag serve` process on a free loopback port for a test, and stop it afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.answering.llm_server import free_port


@contextmanager
def rag_serve(root: Path, index_dir: Path, *args: str,
              **env_overrides: str) -> Iterator[tuple[str, subprocess.Popen, list]]:
    """Yield (url, process, output lines) once the server says it is running; fail the test if it never does."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(root / "data"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", **env_overrides)
    proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port), "--index-dir", str(index_dir),
                             *args], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []
    ready = threading.Event()  # set when the server says it runs, or when its output ends (it exited)

    def read() -> None:
        for line in iter(proc.stdout.readline, ""):
            log.append(line)
            if "Chat running at " in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(timeout=300) or not any("Chat running at " in line for line in log):
            pytest.fail("rag serve did not start:\n" + "".join(log))
        url = next(line for line in log if "Chat running at " in line).split(" at ", 1)[1].split()[0]
        assert url == f"http://127.0.0.1:{port}/"
        yield url, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
