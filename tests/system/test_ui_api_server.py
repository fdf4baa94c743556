"""The HTTP API on a real `rag serve` (real model, a copy of the seeds index, RAG_API_KEYS set), driven by the
official `openai` client and httpx: same answers and citations as `rag ask --json`, streaming, keys, 40+ hostile
requests, uploads, and 50 concurrent API clients while the chat's Gradio /ask keeps answering.

RAG_LOAD_SECONDS sets the load test's length (default 20 s; the issue's figure is for 60 s).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, SEED_FILE
from tests.support.load import latency_line, run_clients
from tests.support.serve_process import rag_serve

openai = pytest.importorskip("openai", reason="the official openai client is in the test extra (make install)")

pytestmark = [pytest.mark.server, pytest.mark.slow]

KEY = "api-test-key-5f3a9c1e"
CLIENTS = 50
SAMPLE = 10


class Api:
    def __init__(self, url: str, root: Path, index_dir: Path, log: list[str]):
        self.url, self.root, self.index_dir, self.log = url, root, index_dir, log
        self.headers = {"Authorization": f"Bearer {KEY}"}

    def openai(self, key: str = KEY):
        return openai.OpenAI(base_url=f"{self.url}v1", api_key=key, max_retries=0, timeout=300)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=120)


@pytest.fixture(scope="module")
def api(tmp_path_factory, seeds_index_dir):
    root = tmp_path_factory.mktemp("api-server")
    index_dir = root / "index"
    shutil.copytree(seeds_index_dir, index_dir, symlinks=True)
    with rag_serve(root, index_dir, RAG_API_KEYS=KEY, RAG_MAX_UPLOAD_MB="1") as (url, _proc, log):
        yield Api(url, root, index_dir, log)


def gold(name: str) -> list[dict]:
    return [json.loads(line) for line in (REPO / "eval" / "gold" / name).read_text().splitlines() if line.strip()]


def sample_questions() -> list[str]:
    """Every eighth seed gold question (answerable and not), SAMPLE of them."""
    return [row["question"] for row in gold("seeds.jsonl")[::8]][:SAMPLE]


def expected_content(reference: dict) -> str:
    """The message content a client must see: the answer, its short answer line when there is one, a blank line,
    the plain Sources list."""
    short = f"\nShort answer: {reference['short_answer']['text']}" if reference.get("short_answer") else ""
    lines = []
    for c in reference["citations"]:
        page = f"page {c['page']}, " if c.get("page") else ""
        lines.append(f"[{c['n']}] {Path(c['source']).name} ({page}chars {c['start']}-{c['end']}): \"{c['quote']}\"")
    return reference["answer"] + short + ("\n\nSources:\n" + "\n".join(lines) if lines else "")


def assert_same_citations(got: list[dict], reference: list[dict], texts: dict[str, str]) -> None:
    assert len(got) == len(reference)
    for mine, theirs in zip(got, reference):
        assert {k: v for k, v in mine.items() if k != "score"} == {k: v for k, v in theirs.items() if k != "score"}
        assert mine["score"] == pytest.approx(theirs["score"], abs=1e-4)  # another process, same model and index
        assert texts[mine["source"]][mine["start"]:mine["end"]] == mine["quote"]


def test_openai_client_gets_the_cli_answer_and_citations(api, seeds_services, seed_text):
    client = api.openai()
    assert [m.id for m in client.models.list()] == ["rag-extractive"]
    texts = {str(SEED_FILE.resolve()): seed_text}
    cited = 0
    for question in sample_questions():
        reply = client.chat.completions.create(model="rag-extractive",
                                               messages=[{"role": "user", "content": question}])
        reference = seeds_services.assistant.ask(question).to_json()
        message = reply.choices[0].message
        assert message.content == expected_content(reference), question
        assert_same_citations(message.citations, reference["citations"], texts)
        assert reply.rag["answer"] == reference["answer"] and reply.rag["abstained"] == reference["abstained"]
        assert reply.choices[0].finish_reason == "stop" and reply.usage.total_tokens == 0
        cited += bool(message.citations)
    assert cited >= SAMPLE // 2, "most sampled gold questions must be answered with citations"


def test_the_cli_json_is_what_the_api_returns(api, seed_text):
    question = sample_questions()[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    cli = subprocess.run([sys.executable, "-m", "rag", "ask", question, "--json", "--index-dir",
                          str(api.index_dir)], capture_output=True, text=True, env=env, cwd=api.root, timeout=300)
    assert cli.returncode == 0, cli.stderr
    reference = json.loads(cli.stdout)
    with api.http() as http:
        rest = http.post("/api/ask", json={"question": question}).json()
    reply = api.openai().chat.completions.create(model="rag-extractive",
                                                 messages=[{"role": "user", "content": question}])
    texts = {str(SEED_FILE.resolve()): seed_text}
    for got in (rest["citations"], reply.choices[0].message.citations):
        assert_same_citations(got, reference["citations"], texts)
    assert rest["answer"] == reply.rag["answer"] == reference["answer"]
    assert reply.choices[0].message.content == expected_content(reference)


def test_streaming_and_not_streaming_agree(api):
    client = api.openai()
    for question in sample_questions():
        whole = client.chat.completions.create(model="rag-extractive",
                                               messages=[{"role": "user", "content": question}])
        chunks = list(client.chat.completions.create(model="rag-extractive", stream=True,
                                                     messages=[{"role": "user", "content": question}]))
        assert {c.object for c in chunks} == {"chat.completion.chunk"} and len({c.id for c in chunks}) == 1
        assert chunks[0].choices[0].delta.role == "assistant"
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
        last = chunks[-1]
        assert [c.choices[0].finish_reason for c in chunks] == [None] * (len(chunks) - 1) + ["stop"]
        assert last.choices[0].delta.citations == whole.choices[0].message.citations
        assert last.rag["answer"] == whole.rag["answer"] and last.rag["abstained"] == whole.rag["abstained"]


def test_follow_ups_are_resolved_from_the_messages(api, seeds_services):
    client = api.openai()
    for row in gold("followups.jsonl")[:3]:
        messages = [*row["history"], {"role": "user", "content": row["question"]}]
        reply = client.chat.completions.create(model="rag-extractive", messages=messages)
        reference = seeds_services.assistant.ask(row["question"], history=row["history"]).to_json()
        assert reply.rag["answer"] == reference["answer"], row["id"]
        assert [c["quote"] for c in reply.choices[0].message.citations] == [c["quote"] for c in reference["citations"]]


def test_unknown_model_and_missing_or_wrong_key(api):
    with pytest.raises(openai.NotFoundError) as missing:
        api.openai().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.code == "model_not_found" and "rag-extractive" in missing.value.message
    with pytest.raises(openai.NotFoundError):  # no LLM is configured on this server
        api.openai().chat.completions.create(model="rag-llm", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.AuthenticationError) as wrong:
        api.openai(key="not-the-key-at-all").models.list()
    assert wrong.value.code == "invalid_api_key"
    for method, path in [("GET", "/api/health"), ("GET", "/api/documents"), ("POST", "/api/ask"),
                         ("DELETE", "/api/documents/000_ae9ece0cf409f084.txt"), ("POST", "/v1/chat/completions")]:
        response = httpx.request(method, f"{api.url}{path.lstrip('/')}", timeout=60)
        assert response.status_code == 401, (method, path, response.text)
    with api.http() as http:
        assert http.get("/api/documents").json()["count"] == 1  # the refused DELETE removed nothing


def test_health_docs_and_openapi(api):
    with api.http() as http:
        health = http.get("/api/health").json()
        assert health["status"] == "ok" and health["index"]["documents"] == 1 and health["modes"] == ["extractive"]
        assert "all-MiniLM-L6-v2" in health["model"]
        schema = http.get("/openapi.json").json()
        assert {"/v1/chat/completions", "/v1/models", "/api/ask", "/api/search", "/api/documents",
                "/api/health"} <= set(schema["paths"])
        assert "swagger" in http.get("/docs").text.lower()


def _multipart(name: str, data: bytes) -> dict:
    return {"files": (name, data, "application/octet-stream")}


HOSTILE: list[tuple[str, str, dict, int, str]] = [
    # (method, path, httpx kwargs, status, fragment of the one-line message)
    ("POST", "/v1/chat/completions", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400,
     "not valid JSON"),
    ("POST", "/v1/chat/completions", {"content": b"model=rag-extractive"}, 422, "Content-Type: application/json"),
    ("POST", "/v1/chat/completions", {"content": b""}, 422, "needs a JSON body"),
    ("POST", "/v1/chat/completions", {"json": ["a", "list"]}, 422, "must be a JSON object"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive"}}, 422, "messages: is required"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "hi"}]}}, 422,
     "model: is required"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "messages": []}}, 422,
     "messages: List should have at least 1 item"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "messages": "hi"}}, 422, "messages"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "tool", "content": "x"}]}}, 422,
     "messages[0].role"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "developer", "content": "x"}]}}, 422,
     "messages[0].role"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "user"}]}}, 422, "messages[0].content"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "user", "content": "hi"},
                                                            {"role": "assistant", "content": "hello"}]}}, 400,
     "last message must be the user's question"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "system", "content": "be nice"}]}}, 400,
     "no user message"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "user", "content": 42}]}}, 422,
     "content must be a string"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "messages": [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]}}, 422,
     "only text parts"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "user", "content": " \x00\x07 "}]}}, 400,
     "The question is empty"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "user", "content": "why? " * 1000}]}}, 400,
     "the limit is 2,000 (RAG_MAX_QUESTION_CHARS)"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive",
                                               "messages": [{"role": "user", "content": "x" * (2 << 20)}]}}, 413,
     "larger than 1024 KB"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "k": 0,
                                               "messages": [{"role": "user", "content": "hi"}]}}, 422, "k: "),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "k": 101,
                                               "messages": [{"role": "user", "content": "hi"}]}}, 422, "k: "),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "k": "5",
                                               "messages": [{"role": "user", "content": "hi"}]}}, 422,
     "k: Input should be a valid integer"),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "k": 2.5,
                                               "messages": [{"role": "user", "content": "hi"}]}}, 422, "k: "),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "stream": "yes",
                                               "messages": [{"role": "user", "content": "hi"}]}}, 422, "stream: "),
    ("POST", "/v1/chat/completions", {"json": {"model": "rag-extractive", "n": 3,
                                               "messages": [{"role": "user", "content": "hi"}]}}, 422, "n: "),
    ("POST", "/v1/chat/completions", {"json": {"model": ["rag-extractive"],
                                               "messages": [{"role": "user", "content": "hi"}]}}, 422, "model: "),
    ("GET", "/v1/chat/completions", {}, 405, "use POST"),
    ("DELETE", "/v1/models", {}, 405, "use GET"),
    ("GET", "/v1/engines", {}, 404, "No such route"),
    ("GET", "/v1/models/gpt-4", {}, 404, "does not exist"),
    ("POST", "/api/ask", {"json": {"questoin": "typo"}}, 422, "question: is required"),
    ("POST", "/api/ask", {"json": {"question": "hi", "verbose": True}}, 422, "verbose: is not a field"),
    ("POST", "/api/ask", {"json": {"question": None}}, 422, "question: "),
    ("POST", "/api/ask", {"json": {"question": "hi", "mode": "llm"}}, 400, "RAG_LLM_BASE_URL"),
    ("POST", "/api/ask", {"json": {"question": "hi", "mode": "magic"}}, 422, "mode: "),
    ("POST", "/api/ask", {"json": {"question": "hi", "history": [{"role": "system", "content": "obey"}]}}, 422,
     "history[0].role"),
    ("POST", "/api/ask", {"content": b"question=hi", "headers": {"content-type": "application/x-www-form-urlencoded"}},
     422, "The request body is not JSON"),
    ("POST", "/api/search", {"json": {"k": 3}}, 422, "query: is required"),
    ("POST", "/api/search", {"json": {"query": "IP4", "k": 1000}}, 422, "k: "),
    ("POST", "/api/search", {"json": {"query": "   "}}, 400, "The question is empty"),
    ("PUT", "/api/documents", {}, 405, "use GET or POST"),
    ("DELETE", "/api/documents", {}, 405, "use GET or POST"),
    ("GET", "/api/secrets", {}, 404, "No such route"),
    ("POST", "/api/documents", {"json": {"files": "x"}}, 400, "No files in the request"),
    ("POST", "/api/documents", {"data": {"files": "not a file"}}, 400, "must be file parts"),
    ("POST", "/api/documents", {"files": _multipart("../../escape.md", b"# hi\n\nText.\n")}, 400, "contains a path"),
    ("POST", "/api/documents", {"files": _multipart("/etc/cron.d/escape.md", b"# hi\n\nText.\n")}, 400,
     "contains a path"),
    ("POST", "/api/documents", {"files": _multipart("..\\..\\escape.md", b"# hi\n\nText.\n")}, 400,
     "contains a path"),
    ("POST", "/api/documents", {"files": _multipart("big.txt", b"word " * (400 << 10))}, 413,
     "1 MB limit (RAG_MAX_UPLOAD_MB)"),
    ("POST", "/api/documents", {"files": _multipart("blob.txt", b"PK\x03\x04\x00\x00binary\x00\x01\xff" * 20)}, 400,
     "blob.txt: looks like a binary file"),
    ("POST", "/api/documents", {"files": _multipart("tool.exe", b"MZ\x90\x00")}, 400, "unsupported file type"),
    ("POST", "/api/documents", {"files": [("files", (f"n{i}.md", b"x")) for i in range(25)]}, 400, "Too many files"),
    ("DELETE", "/api/documents/..%2F..%2Fetc%2Fpasswd", {}, 404, "No indexed document is named '../../etc/passwd'"),
    ("DELETE", "/api/documents/%2Fetc%2Fpasswd", {}, 404, "No indexed document"),
    ("DELETE", "/api/documents/index", {}, 404, "No indexed document"),
]


def test_hostile_requests_get_a_clear_4xx_and_lose_nothing(api, seed_text):
    from rag.store.integrity import check_index

    with api.http() as http:
        before = http.get("/api/documents").json()
        snapshot = os.readlink(api.index_dir / "current")  # the published snapshot must survive every request
        failures = []
        for method, path, kwargs, status, fragment in HOSTILE:
            response = http.request(method, path, **kwargs)
            try:
                body = response.json()
                message = body["error"]["message"] if path.startswith("/v1") else body["error"]
                shape_ok = set(body["error"]) == {"message", "type", "param", "code"} if path.startswith("/v1") \
                    else isinstance(body.get("code"), str)
            except (ValueError, KeyError, TypeError):
                message, shape_ok = response.text[:200], False
            if (response.status_code != status or fragment not in message or not shape_ok or "\n" in message
                    or "Traceback" in response.text):
                failures.append(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        summary = f"{len(failures)} of {len(HOSTILE)} hostile requests misanswered:\n"
        assert failures == [], summary + "\n".join(failures)
        assert len(HOSTILE) >= 30
        assert http.get("/api/documents").json() == before
        answer = http.post("/api/ask", json={"question": "Which missile has North Korea likely provided to Russia?"})
        citation = answer.json()["citations"][0]
        assert "KN-23" in answer.json()["answer"] and seed_text[citation["start"]:citation["end"]] == citation["quote"]
    assert os.readlink(api.index_dir / "current") == snapshot  # nothing was (re)indexed
    assert check_index(api.index_dir).ok
    uploads = api.root / "data" / "uploads"
    assert not uploads.exists() or sorted(p.name for p in uploads.iterdir()) == []
    assert not list(api.root.rglob("escape.md")) and not (api.root.parent / "escape.md").exists()
    assert all("Traceback" not in line for line in api.log)


def test_upload_ask_and_remove_a_document(api, tmp_path):
    text = ("# Greenhouse log\n\nThe orchid seedlings were repotted into bark mix on the ninth of March.\n"
            "Humidity in the east greenhouse is kept at seventy percent.\n")
    with api.http() as http:
        added = http.post("/api/documents", files=_multipart("greenhouse log.md", text.encode()))
        assert added.status_code == 200, added.text
        assert added.json()["indexed"] == ["greenhouse log.md"] and added.json()["errors"] == []
        listed = {d["name"]: d for d in http.get("/api/documents").json()["documents"]}
        assert listed["greenhouse log.md"]["kind"] == "upload"
        source = listed["greenhouse log.md"]["source"]
        assert Path(source).parent == (api.root / "data" / "uploads").resolve()
        reply = api.openai().chat.completions.create(
            model="rag-extractive", messages=[{"role": "user", "content": "When were the orchid seedlings repotted?"}])
        assert "ninth of March" in reply.choices[0].message.content
        citation = reply.choices[0].message.citations[0]
        assert citation["source"] == source and text[citation["start"]:citation["end"]] == citation["quote"]
        removed = http.delete("/api/documents/greenhouse log.md")
        assert removed.status_code == 200 and removed.json()["source"] == source
        assert [d["name"] for d in http.get("/api/documents").json()["documents"]] == [SEED_FILE.name]
        assert not Path(source).exists()


def test_fifty_api_clients_while_the_chat_answers(api):
    from gradio_client import Client

    seconds = float(os.environ.get("RAG_LOAD_SECONDS", "20"))
    questions = [row["question"] for row in gold("seeds.jsonl")]
    latencies: list[float] = []
    chat_latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def one_request(client, http, i: int) -> str | None:
        question = questions[i % len(questions)]
        messages = [{"role": "user", "content": question}]
        if i % 3 == 0:
            chunks = list(client.chat.completions.create(model="rag-extractive", messages=messages, stream=True))
            ok = chunks and chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].rag["answer"]
        elif i % 3 == 1:
            ok = client.chat.completions.create(model="rag-extractive", messages=messages).rag["answer"]
        else:
            response = http.post("/api/ask", json={"question": question})
            ok = response.status_code == 200 and response.json()["answer"]
        return None if ok else f"empty or malformed answer to {question!r}"

    def api_loop(number: int) -> None:
        client = api.openai()
        with api.http() as http:
            start.wait(timeout=120)
            deadline, i = time.monotonic() + seconds, number
            while time.monotonic() < deadline:  # bounded: stops at the deadline
                began = time.perf_counter()
                try:
                    problem = one_request(client, http, i)
                except Exception as err:  # noqa: BLE001 - every failure is counted and shown
                    problem = f"{type(err).__name__}: {err}"
                with lock:
                    (errors.append(f"client {number}: {problem}") if problem
                     else latencies.append(time.perf_counter() - began))
                i += CLIENTS

    chat = Client(api.url, verbose=False, httpx_kwargs={"timeout": 300})

    def chat_loop() -> None:
        start.wait(timeout=120)
        deadline, i = time.monotonic() + seconds, 0
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                result = chat.predict(questions[i % len(questions)], api_name="/ask")
                problem = None if isinstance(result.get("answer"), str) else f"malformed {result!r:.200}"
            except Exception as err:  # noqa: BLE001
                problem = f"{type(err).__name__}: {err}"
            with lock:
                (errors.append(f"chat: {problem}") if problem else chat_latencies.append(time.perf_counter() - began))
            i += 7

    wall = run_clients([functools.partial(api_loop, n) for n in range(CLIENTS)] + [chat_loop], seconds)
    assert errors == [], f"{len(errors)} errors, first: {errors[:3]}"
    assert latencies and chat_latencies, "both the API clients and the chat must have been answered"
    print(f"\napi load: {CLIENTS} clients x {seconds:.0f} s: {len(latencies)} answers, 0 errors, "
          f"{len(latencies) / wall:.1f} answers/s, latency {latency_line(latencies)}; chat /ask meanwhile: "
          f"{len(chat_latencies)} answers, {latency_line(chat_latencies)}")
