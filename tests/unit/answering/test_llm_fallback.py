"""The llm mode against a small OpenAI-protocol HTTP server on 127.0.0.1 (a thread in this process).

It streams a canned answer (checks streaming, renumbering and verification end to end over real HTTP) or
misbehaves: HTTP 500, malformed JSON, empty output, no response at all, a stream that stalls, a closed
port. Every failure must end in the extractive answer with a one-line notice, within the timeout.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.answering.llm import LLMAnswerer
from rag.answering.llm_server import free_port
from rag.settings import Settings
from rag.types import Answer

TIMEOUT = 2.0
CANNED = ["Kim welcomed", " Putin in Pyong", "yang [", "1]. The bridge opened in 1932 [3", "]. ",
          "Kim welcomed Putin in Moscow [1][9]."]


def sse(content: str) -> bytes:
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "fake",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


class FakeOpenAI(BaseHTTPRequestHandler):
    release = threading.Event()  # set at teardown so hanging handlers end

    def log_message(self, *args):  # keep the test output clean
        pass

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

    def do_POST(self):  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        mode = self.server.mode
        if mode == "ok":
            assert request["stream"] is True and request["messages"][0]["role"] == "system"
            self._start_stream()
            for piece in CANNED:
                self.wfile.write(sse(piece))
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
        elif mode == "http500":
            body = b'{"error": {"message": "model crashed"}}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif mode == "malformed":
            self._start_stream()
            self.wfile.write(b"data: {this is not json\n\n")
        elif mode == "not-a-stream":
            body = b'{"choices": "nonsense"'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif mode == "empty":
            self._start_stream()
            self.wfile.write(sse("") + sse("  ") + sse("[1]") + b"data: [DONE]\n\n")
        elif mode == "hang":
            self.release.wait(60)
        elif mode == "stall":
            self._start_stream()
            self.wfile.write(sse("Kim welcomed "))
            self.wfile.flush()
            self.release.wait(60)


@pytest.fixture(scope="module")
def fake_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    server.daemon_threads = True
    server.mode = "ok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    FakeOpenAI.release.set()
    server.shutdown()
    server.server_close()


def answerer(services, base_url: str) -> LLMAnswerer:
    settings = Settings(index_dir=services.settings.index_dir, llm_base_url=base_url, llm_timeout=TIMEOUT,
                        _env_file=None)
    return LLMAnswerer(settings, services.embedder, services.view,
                       fallback=services.assistant.answerers["extractive"])


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.mark.timeout(60)
def test_streams_renumbers_and_verifies_over_http(fake_server, hash_services, passages):
    fake_server.mode = "ok"
    items = list(answerer(hash_services, url(fake_server)).stream("Where did Kim welcome Putin?", passages))
    pieces, final = items[:-1], items[-1]
    assert len(pieces) >= 4 and all(isinstance(p, str) for p in pieces)
    assert isinstance(final, Answer) and final.mode == "llm" and final.notice is None
    assert final.answer == "".join(pieces).strip()
    assert final.answer == ("Kim welcomed Putin in Pyongyang [1]. The bridge opened in 1932 [2]. "
                            "Kim welcomed Putin in Moscow [1].")
    assert [(s.citations, s.supported) for s in final.sentences] == [([1], True), ([2], True), ([1], False)]
    assert [c.n for c in final.citations] == [1, 2]
    for citation in final.citations:
        assert hash_services.view().document(citation.source).text[citation.start:citation.end] == citation.quote
    assert "Pyongyang" in final.citations[0].quote and "1932" in final.citations[1].quote
    assert final.to_json()["sentences"][2]["supported"] is False


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode, reason", [
    ("http500", "HTTP 500"),
    ("malformed", "JSONDecodeError"),
    ("not-a-stream", None),
    ("empty", "empty answer"),
    ("hang", f"no answer within {TIMEOUT:g} s"),
    ("stall", f"no answer within {TIMEOUT:g} s"),
])
def test_server_failures_fall_back_to_the_extractive_answer(mode, reason, fake_server, hash_services,
                                                            passages):
    fake_server.mode = mode
    base = url(fake_server)
    items = list(answerer(hash_services, base).stream("Where did Kim welcome Putin?", passages))
    final = items[-1]
    expected = hash_services.assistant.answerers["extractive"].answer("Where did Kim welcome Putin?", passages)
    assert final.mode == "extractive" and final.answer == expected.answer
    assert final.notice.startswith(f"LLM server at {base} failed (")
    assert final.notice.endswith("; showing the extractive answer.") and "\n" not in final.notice
    if reason:
        assert f"({reason})" in final.notice
    assert items[-2].endswith(expected.answer)  # the fallback text is streamed too, so the CLI prints it


@pytest.mark.timeout(60)
def test_unreachable_server_falls_back(hash_services, passages):
    base = f"http://127.0.0.1:{free_port()}/v1"
    final = answerer(hash_services, base).answer("Where did Kim welcome Putin?", passages)
    assert final.notice == f"LLM server at {base} failed (ConnectError); showing the extractive answer."
    expected = hash_services.assistant.answerers["extractive"].answer("Where did Kim welcome Putin?", passages)
    assert final.answer == expected.answer and final.mode == "extractive"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["http500", "hang"])
def test_condense_falls_back_to_the_keyword_query_when_the_server_fails(mode, fake_server, hash_services):
    fake_server.mode = mode
    history = [{"role": "user", "content": "Where did Kim welcome Putin?"}]
    llm = answerer(hash_services, url(fake_server))
    assert llm.condense("And when?", history) == "And when? kim welcome putin"
    assert llm.condense("Which bridge opened in 1932?", history) == "Which bridge opened in 1932?"


def test_no_passages_abstains_without_calling_the_server(hash_services):
    final = answerer(hash_services, "http://127.0.0.1:9/v1").answer("Anything?", [])
    assert final.abstained and final.notice is None and final.mode == "llm"
