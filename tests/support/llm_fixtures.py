"""Shared helpers for the llm-mode tests: a three-document corpus indexed with the HashEmbedder fake."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from rag.embedding import HashEmbedder
from rag.ingest.indexer import index_paths
from rag.services import Services, build_services
from rag.settings import Settings
from rag.types import Passage

# One short chunk per document, so passage n is document n (a.txt, b.txt, c.txt).
DOCS = {
    "a.txt": "Kim Jong Un welcomed Vladimir Putin with fanfare in Pyongyang in June. The two leaders signed a "
    "comprehensive military cooperation agreement. North Korea has been supplying Russia with KN-23 missiles "
    "to attack Ukraine.\n",
    "b.txt": "Japan has provided Ukraine with $12 billion of humanitarian aid and other assistance. Japan also "
    "froze the assets of the Russian central bank. Prime Minister Kishida addressed a joint session of the "
    "U.S. Congress last year.\n",
    "c.txt": "The Sydney Harbour Bridge opened in 1932. It is 1,149 metres long and carries rail, road and foot "
    "traffic. Workers used six million rivets to build the arch.\n",
}


def make_services(root: Path, **overrides) -> Services:
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    embedder = HashEmbedder()
    settings = Settings(index_dir=root / "index", _env_file=None, **overrides)
    index_paths([docs], settings, embedder=embedder)
    return build_services(settings, embedder=embedder)


def ranked_passages(services: Services) -> list[Passage]:
    """Every chunk as a passage, ranked a.txt, b.txt, c.txt."""
    chunks = sorted(services.view().chunks, key=lambda c: (Path(c.source).name, c.start))
    return [Passage(chunk, 1.0 / i, i) for i, chunk in enumerate(chunks, start=1)]


@pytest.fixture(scope="module")
def hash_services(tmp_path_factory) -> Services:
    """The three-document corpus indexed with the HashEmbedder, once per test module."""
    return make_services(tmp_path_factory.mktemp("llm-corpus"))


@pytest.fixture(scope="module")
def passages(hash_services) -> list[Passage]:
    return ranked_passages(hash_services)


@lru_cache(maxsize=1)
def llama_cannot_run() -> str | None:
    """Why the local llama.cpp build cannot generate on this CPU (None when it can): a build compiled for other CPU
    features dies with SIGILL on its first token. Probed once, in a child process, with a real one-token
    completion of the bundled model."""
    import subprocess
    import sys

    code = ("from llama_cpp import Llama\nfrom rag.answering.llm_server import bundled_gguf\n"
            "m = Llama(model_path=str(bundled_gguf()), n_ctx=1024, verbose=False)\n"
            "text = ' '.join(['The passage says the ferry leaves at seven.'] * 40)\n"  # a prompt batch, as tests send
            "m.create_chat_completion(messages=[{'role': 'user', 'content': text}], max_tokens=8)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    if proc.returncode in (-4, 132):  # SIGILL
        return ("the installed llama-cpp-python build uses CPU instructions this machine lacks (SIGILL); rebuild "
                "it with CMAKE_ARGS=-DGGML_NATIVE=OFF (the Makefile does) after `pip cache remove llama_cpp_python`")
    if proc.returncode != 0:
        return f"llama-cpp-python cannot generate here: {proc.stderr.strip().splitlines()[-1:]}"
    return None
