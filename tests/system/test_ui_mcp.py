"""`rag mcp` as a real stdio subprocess (real model, a copy of the seeds index), called with the official MCP SDK
client.

The subprocess runs ``python -m ui.mcp_server``, the click command the ``rag.commands`` entry point ``mcp`` loads
(test_ui_api.py checks that registration), so the test does not depend on the installed entry-point metadata.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading

import anyio
import pytest

from tests.conftest import SEED_FILE

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def mcp_index(tmp_path_factory, seeds_index_dir):
    root = tmp_path_factory.mktemp("mcp")
    shutil.copytree(seeds_index_dir, root / "index", symlinks=True)
    return root


def server_command(root) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", RAG_DATA_DIR=str(root / "data"))
    return [sys.executable, "-m", "ui.mcp_server", "--index-dir", str(root / "index")], env


def call_tools(root, calls: list[tuple[str, dict]]) -> tuple[list[str], list]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    command, env = server_command(root)

    async def main():
        params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(root))
        async with Client(params, read_timeout_seconds=300) as client:
            tools = sorted(tool.name for tool in (await client.list_tools()).tools)
            return tools, [await client.call_tool(name, arguments) for name, arguments in calls]

    return anyio.run(main)


def test_mcp_tools_answer_like_rag_ask_json(mcp_index, seeds_services, seed_text):
    question = "Which missile has North Korea likely provided to Russia?"
    tools, (ask, search, empty, bad_k) = call_tools(mcp_index, [
        ("ask", {"question": question}),
        ("search_documents", {"query": "Indo-Pacific Four leaders", "k": 3}),
        ("ask", {"question": "   "}),
        ("search_documents", {"query": "IP4", "k": 500}),
    ])
    assert tools == ["ask", "search_documents"]

    assert not ask.is_error
    reference = seeds_services.assistant.ask(question).to_json()
    got = ask.structured_content
    assert got["answer"] == reference["answer"] and "KN-23" in got["answer"]
    assert [{k: v for k, v in c.items() if k != "score"} for c in got["citations"]] == \
        [{k: v for k, v in c.items() if k != "score"} for c in reference["citations"]]
    for citation in got["citations"]:
        assert citation["source"] == str(SEED_FILE.resolve())
        assert seed_text[citation["start"]:citation["end"]] == citation["quote"]

    assert not search.is_error
    passages = search.structured_content["passages"]
    expected = seeds_services.assistant.retrieve("Indo-Pacific Four leaders", k=3)
    assert [p["chunk_id"] for p in passages] == [p.chunk.chunk_id for p in expected]
    for passage in passages:
        assert seed_text[passage["start"]:passage["end"]] == passage["text"] and passage["score"] > 0

    assert empty.is_error and "The question is empty" in empty.content[0].text
    assert bad_k.is_error and "less than or equal to 100" in bad_k.content[0].text


def test_mcp_stdout_carries_only_the_protocol(mcp_index):
    """Raw JSON-RPC over the pipes: every line the server writes to stdout is a JSON-RPC message."""
    command, env = server_command(mcp_index)
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "ask", "arguments": {"question": "Where did Kim welcome Putin?"}}},
    ]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=mcp_index)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        proc.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        proc.stdin.flush()
        messages = []
        while not any(m.get("id") == 2 for m in messages):  # ends with the answer, or fails on the timeout
            messages.append(json.loads(lines.get(timeout=300)))  # json.loads fails on any stray print
        proc.stdin.close()  # end of input: the server exits; whatever else it wrote must be protocol too
        proc.wait(timeout=60)
        reader.join(timeout=10)
        while not lines.empty():
            messages.append(json.loads(lines.get_nowait()))
    finally:
        proc.kill()
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    answer = next(m for m in messages if m.get("id") == 2)["result"]
    assert "Pyongyang" in answer["structuredContent"]["answer"]
    stderr = proc.stderr.read()
    assert "rag mcp: serving" in stderr and "Traceback" not in stderr
