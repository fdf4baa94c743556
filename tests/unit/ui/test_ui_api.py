"""The HTTP API in-process (FastAPI's TestClient, the hashing embedder): shapes, keys, limits, conversation rules.

The same routes against a real `rag serve` with the real model are in test_ui_api_server.py.
"""

from __future__ import annotations

import json
import tomllib
from importlib.metadata import EntryPoint

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.errors import ConfigError
from tests.conftest import REPO
from tests.support.llm_fixtures import make_services
from ui.api import install_api
from ui.api.auth import KeyCheck, api_keys
from ui.api.openai_compat import split_conversation
from ui.api.schemas import ChatMessage

KEY = "test-key-0123456789"


def api_client(services, **settings_overrides) -> TestClient:
    settings = type(services.settings)(_env_file=None, **{**services.settings.model_dump(), **settings_overrides})
    app = FastAPI()
    install_api(app, settings, services)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    return make_services(tmp_path_factory.mktemp("api-corpus"))


@pytest.fixture(scope="module")
def client(services):
    return api_client(services)


KIM_Q = "Kim Jong Un welcomed Vladimir Putin where?"


def chat(client, content=KIM_Q, **extra):
    body = {"model": "rag-extractive", "messages": [{"role": "user", "content": content}], **extra}
    return client.post("/v1/chat/completions", json=body)


def test_completion_keeps_answer_markers_sources_and_structured_citations(client, services):
    response = chat(client)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = services.assistant.ask(KIM_Q).to_json()
    message = body["choices"][0]["message"]
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert expected["citations"], "the fake corpus must answer this question with a citation"
    assert message["citations"] == expected["citations"]
    lines = [f'[{c["n"]}] a.txt (chars {c["start"]}-{c["end"]}): "{c["quote"]}"' for c in expected["citations"]]
    short = f'\nShort answer: {expected["short_answer"]["text"]}' if expected.get("short_answer") else ""
    assert message["content"] == expected["answer"] + short + "\n\nSources:\n" + "\n".join(lines)
    assert "[1]" in expected["answer"]
    assert body["rag"]["answer"] == expected["answer"] and body["rag"]["abstained"] is False
    assert "citations" not in body["rag"]


def test_stream_sends_the_same_content_and_citations_last(client):
    whole = chat(client).json()
    with client.stream("POST", "/v1/chat/completions", json={
            "model": "rag-extractive", "stream": True,
            "messages": [{"role": "user", "content": KIM_Q}]}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == whole["choices"][0]["message"]["content"]
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["choices"][0]["delta"]["citations"] == whole["choices"][0]["message"]["citations"]
    assert last["rag"]["answer"] == whole["rag"]["answer"]


def test_official_openai_client_in_process(client):
    openai = pytest.importorskip("openai", reason="the openai client is in the test extra")
    oa = openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client, max_retries=0)
    assert [m.id for m in oa.models.list()] == ["rag-extractive"]
    question = "How many rivets did workers use to build the arch?"
    reply = oa.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": question}])
    assert "six million rivets" in reply.choices[0].message.content
    assert reply.choices[0].message.citations[0]["source"].endswith("c.txt")
    with pytest.raises(openai.NotFoundError) as err:
        oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert err.value.code == "model_not_found" and "rag-extractive" in err.value.message


def test_llm_model_only_when_configured_and_its_failure_is_noted(services, tmp_path):
    assert [m["id"] for m in api_client(services).get("/v1/models").json()["data"]] == ["rag-extractive"]
    llm_services = make_services(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_timeout=5)
    llm = api_client(llm_services)
    assert [m["id"] for m in llm.get("/v1/models").json()["data"]] == ["rag-extractive", "rag-llm"]
    body = chat(llm, model="rag-llm").json()
    assert body["rag"]["mode"] == "extractive" and "failed" in body["rag"]["notice"]
    assert "\nnote: LLM server at http://127.0.0.1:9/v1 failed" in body["choices"][0]["message"]["content"]
    assert body["choices"][0]["message"]["citations"]


def test_history_is_the_earlier_turns_without_our_sources_list():
    messages = [ChatMessage(role="system", content="Be brief."),
                ChatMessage(role="user", content="Who did Biden meet?"),
                ChatMessage(role="assistant", content='The IP4 leaders. [1]\n\nSources:\n[1] a.txt (chars 0-9): "x"'),
                ChatMessage(role="user", content=[{"type": "text", "text": "and who represented "},
                                                  {"type": "text", "text": "Australia?"}])]
    question, history = split_conversation(messages)
    assert question == "and who represented Australia?"
    assert history == [{"role": "user", "content": "Who did Biden meet?"},
                       {"role": "assistant", "content": "The IP4 leaders. [1]"}]


def test_follow_up_through_messages_matches_assistant_with_history(client, services):
    history = [{"role": "user", "content": "Which missiles did North Korea supply to Russia?"},
               {"role": "assistant", "content": "KN-23 missiles. [1]"}]
    body = client.post("/v1/chat/completions", json={
        "model": "rag-extractive", "messages": [*history, {"role": "user", "content": "And where did they meet?"}]})
    expected = services.assistant.ask("And where did they meet?", history=history).to_json()
    assert not expected["abstained"] and services.assistant.ask("And where did they meet?").abstained
    assert body.json()["rag"]["answer"] == expected["answer"]
    assert body.json()["choices"][0]["message"]["citations"] == expected["citations"]


def test_rest_ask_search_health_documents(client, services):
    ask = client.post("/api/ask", json={"question": "When did the Sydney Harbour Bridge open?", "k": 2}).json()
    assert "1932" in ask["answer"]
    assert ask == {**services.assistant.ask("When did the Sydney Harbour Bridge open?", k=2).to_json(),
                   "timings_ms": ask["timings_ms"]}
    found = client.post("/api/search", json={"query": "Harbour Bridge rivets", "k": 2}).json()
    assert len(found["passages"]) == 2 and found["passages"][0]["source"].endswith("c.txt")
    for passage in found["passages"]:
        doc = services.view().documents().get(passage["source"])
        assert doc.text[passage["start"]:passage["end"]] == passage["text"]
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["index"]["documents"] == 3 and health["modes"] == ["extractive"]
    docs = client.get("/api/documents").json()
    assert docs["count"] == 3 and {d["name"] for d in docs["documents"]} == {"a.txt", "b.txt", "c.txt"}


@pytest.mark.parametrize(("path", "body", "status", "fragment"), [
    ("/v1/chat/completions", "{not json", 400, "not valid JSON"),
    ("/v1/chat/completions", {"model": "rag-extractive"}, 422, "messages: is required"),
    ("/v1/chat/completions", {"model": "rag-extractive", "messages": []}, 422, "messages: List should have"),
    ("/v1/chat/completions", {"model": "rag-extractive", "messages": [{"role": "tool", "content": "x"}]}, 422,
     "messages[0].role"),
    ("/v1/chat/completions", {"model": "rag-extractive", "messages": [{"role": "system", "content": "x"}]}, 400,
     "no user message"),
    ("/v1/chat/completions", {"model": "rag-extractive", "k": True, "messages": [{"role": "user", "content": "x"}]},
     422, "k: Input should be a valid integer"),
    ("/api/ask", {"question": "x", "mode": "llm"}, 400, "RAG_LLM_BASE_URL"),
    ("/api/ask", {"question": "x", "history": [{"role": "system", "content": "y"}]}, 422, "history[0].role"),
    ("/api/search", {"query": ["x"]}, 422, "query: Input should be a valid string"),
])
def test_errors_are_one_clear_line_in_the_route_shape(client, path, body, status, fragment):
    kwargs = {"content": body, "headers": {"content-type": "application/json"}} if isinstance(body, str) else {
        "json": body}
    response = client.post(path, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    message = error["message"] if path.startswith("/v1") else error
    assert fragment in message and "\n" not in message and "Traceback" not in response.text
    if path.startswith("/v1"):
        assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"


def test_keys_are_required_when_configured(services):
    keyed = api_client(services, api_keys=f"{KEY},second-key-abcdef")
    for path in ("/v1/models", "/api/health", "/api/documents", "/v1/no-such-route"):
        refused = keyed.get(path)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert "Invalid API key" in keyed.get("/v1/models", headers={"Authorization": "Bearer nope-nope-nope"}).text
    assert keyed.post("/v1/chat/completions", content="{bad").status_code == 401  # the key is checked first
    assert keyed.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert keyed.get("/api/health", headers={"Authorization": "bearer second-key-abcdef"}).status_code == 200


def test_a_chat_login_without_keys_locks_the_api(services):
    locked = api_client(services, auth_user="ann", auth_password="correct horse")
    response = locked.get("/api/health")
    assert response.status_code == 401 and "RAG_API_KEYS is not set" in response.json()["error"]


def test_exposed_bind_needs_keys_and_keys_must_be_long(make_settings):
    with pytest.raises(ConfigError, match="Refusing to serve the API on 0.0.0.0 without keys; set RAG_API_KEYS"):
        api_keys(make_settings(host="0.0.0.0", auth_user="ann", auth_password="s3cret"))
    assert api_keys(make_settings(host="0.0.0.0", api_keys=f" {KEY} , {KEY},other-key-xyz ")) == (KEY, "other-key-xyz")
    with pytest.raises(ConfigError, match="RAG_API_KEYS has a key of 3 characters"):
        api_keys(make_settings(api_keys="abc"))
    assert KeyCheck.from_settings(make_settings()).required is False
    assert KeyCheck.from_settings(make_settings(api_keys=KEY)).required is True


def test_serve_refuses_an_exposed_bind_without_keys(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from rag.cli import cli

    monkeypatch.setenv("RAG_AUTH_USER", "ann")
    monkeypatch.setenv("RAG_AUTH_PASSWORD", "s3cret")
    monkeypatch.delenv("RAG_API_KEYS", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--index-dir", str(tmp_path / "ix")],
                                standalone_mode=False)
    assert isinstance(result.exception, ConfigError) and "RAG_API_KEYS" in str(result.exception)
    assert not (tmp_path / "ix").exists()  # refused before building anything


def test_json_body_limit(client):
    response = client.post("/api/ask", content=b'{"question": "' + b"x" * (2 << 20) + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and "larger than 1024 KB" in response.json()["error"]


def test_mcp_command_is_registered_as_a_rag_command():
    entry = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]["rag.commands"]["mcp"]
    command = EntryPoint("mcp", entry, "rag.commands").load()
    assert command.name == "mcp" and "stdio" in command.help
