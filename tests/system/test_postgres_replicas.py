"""Stateless chat replicas: two real `rag serve` processes on different ports share one PostgreSQL store (and one
data folder for the uploaded files' bytes), nothing else.

- A file uploaded through one replica's Documents tab (the browser's own protocol: POST /gradio_api/upload,
  then the upload event on the queue) is answered by the other with the same citations.
- 50 gradio_client clients ask both replicas for RAG_LOAD_SECONDS (default 20 s); half-way one replica is
  SIGKILLed. A client whose replica is gone goes to the survivor, as a load balancer would send it, and retries
  there. Every request to the survivor, and every request to the killed replica before the kill, must succeed:
  0 errors. (Requests to the killed replica after the kill are counted as redirected, not as errors.)
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import SEEDS
from tests.support.load import run_clients, seeds_questions
from tests.support.serve_process import rag_serve

pytestmark = [pytest.mark.server, pytest.mark.slow]

CLIENTS = 50
NOTE = ("Cryostat log. The cryostat in room 4B is refilled with liquid helium every Thursday by Dr. Okafor. "
        "The backup compressor is serviced in March.\n")
QUESTION = "Who refills the cryostat in room 4B?"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, real_embedder):
    from rag.ingest.indexer import index_paths
    from rag.settings import Settings
    from tests.support.pg_server import fresh_database

    url = fresh_database("replicas")
    index_paths([SEEDS], Settings(_env_file=None, store_url=url), embedder=real_embedder)
    root = tmp_path_factory.mktemp("replicas")  # both replicas get RAG_DATA_DIR=root/data: the shared folder
    with rag_serve(root, root / "no-index", RAG_STORE_URL=url) as a, \
            rag_serve(root, root / "no-index", RAG_STORE_URL=url) as b:
        assert a[0] != b[0]
        yield {"url": url, "root": root, "a": a, "b": b}


def browser_upload(url: str, path: Path) -> str:
    """Upload ``path`` through the Documents tab as the browser does; returns the upload message (HTML)."""
    import httpx

    with httpx.Client(base_url=url, timeout=600) as http:
        config = http.get("config").json()
        component = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "upload")
        fn_index = next(d.get("id", i) for i, d in enumerate(config["dependencies"])
                        if [component["id"], "upload"] in [list(t) for t in d["targets"]])
        with open(path, "rb") as handle:
            response = http.post("gradio_api/upload", files={"files": (path.name, handle, "text/markdown")})
        response.raise_for_status()
        session = uuid.uuid4().hex[:11]
        body = {"data": [[{"path": response.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}]],
                "fn_index": fn_index, "session_hash": session, "trigger_id": component["id"], "event_data": None}
        http.post("gradio_api/queue/join", json=body).raise_for_status()
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message.get("success"), message
                    return message["output"]["data"][1]
    raise AssertionError("the upload event never completed")


def citations(answer: dict) -> list[tuple]:
    return [(c["source"], c["chunk_id"], c["start"], c["end"], c["quote"]) for c in answer["citations"]]


def test_an_upload_to_one_replica_is_answered_by_the_other_with_the_same_citations(replicas, tmp_path):
    from gradio_client import Client

    note = tmp_path / "cryostat notes.md"
    note.write_text(NOTE, encoding="utf-8")
    message = browser_upload(replicas["a"][0], note)
    assert "Added cryostat notes.md" in message, message
    stored = replicas["root"] / "data" / "uploads" / "cryostat notes.md"
    assert stored.is_file()  # the bytes: in the shared folder; the text: in the store

    from_b = Client(replicas["b"][0], verbose=False).predict(QUESTION, api_name="/ask")
    from_a = Client(replicas["a"][0], verbose=False).predict(QUESTION, api_name="/ask")
    assert "Okafor" in from_b["answer"] and not from_b["abstained"]
    assert citations(from_b) == citations(from_a)
    assert any(c[0] == str(stored.resolve()) for c in citations(from_b))
    assert all(NOTE[c[2]:c[3]] == c[4] for c in citations(from_b) if c[0] == str(stored.resolve()))


def test_fifty_clients_keep_getting_answers_when_one_replica_is_killed(replicas):
    from gradio_client import Client

    urls = {"a": replicas["a"][0], "b": replicas["b"][0]}
    victim = replicas["a"][1]
    seconds = float(os.environ.get("RAG_LOAD_SECONDS", "20"))
    questions = seeds_questions() + [QUESTION]
    lock = threading.Lock()
    errors: list[str] = []
    answers = {"a": 0, "b": 0, "b_after_kill": 0}
    redirected: list[int] = []
    killed = threading.Event()
    a_answered = threading.Event()  # replica a has served a client: the kill comes after that
    rescued: set[int] = set()  # clients of the killed replica answered by the survivor since
    all_rescued = threading.Event()
    stop = threading.Event()
    start = threading.Barrier(CLIENTS + 1)

    def ask(client, question: str) -> str | None:
        result = client.predict(question, api_name="/ask")
        ok = isinstance(result, dict) and isinstance(result.get("answer"), str) and "citations" in result
        return None if ok else f"malformed result {result!r:.200}"

    def client_loop(number: int) -> None:
        target = "a" if number % 2 else "b"
        try:
            client = Client(urls[target], verbose=False, httpx_kwargs={"timeout": 300})
        except Exception as err:  # noqa: BLE001 - every failure is counted and shown
            with lock:
                errors.append(f"client {number} could not connect to {target}: {err!r}")
            start.abort()
            return
        start.wait()
        i = number
        while not stop.is_set():  # bounded: the test sets stop, or run_clients fails it after 10 minutes
            question = questions[i % len(questions)]
            try:
                problem = ask(client, question)
            except Exception as err:  # noqa: BLE001
                if target == "a" and killed.is_set():
                    # The replica is gone: the load balancer's health check sends this client to the survivor.
                    with lock:
                        redirected.append(number)
                    target = "b"
                    try:
                        client = Client(urls["b"], verbose=False, httpx_kwargs={"timeout": 300})
                    except Exception as connect_err:  # noqa: BLE001
                        with lock:
                            errors.append(f"client {number} could not reach the survivor: {connect_err!r}")
                        return
                    continue  # the same question again, on the survivor
                problem = f"{type(err).__name__}: {err}"
            i += CLIENTS
            with lock:
                if problem:
                    errors.append(f"client {number} on {target}, {question!r}: {problem}")
                else:
                    answers[target] += 1
                    answers["b_after_kill"] += target == "b" and killed.is_set()
                    if target == "a":
                        a_answered.set()
                    if number in redirected:
                        rescued.add(number)
                        if len(rescued) == CLIENTS // 2:
                            all_rescued.set()

    def kill_half_way() -> None:
        try:
            start.wait()
            time.sleep(seconds / 2)  # the first half of the load (a duration of load, not a wait for a state)
            assert a_answered.wait(timeout=600), "replica a never answered before the kill"
            killed.set()
            victim.kill()  # SIGKILL: no goodbye to the clients or the database
            victim.wait(timeout=60)
            time.sleep(seconds / 2)  # the second half, on the survivor alone
            all_rescued.wait(timeout=600)  # every client of the killed replica answered by the survivor
        finally:
            stop.set()

    run_clients([functools.partial(client_loop, n) for n in range(CLIENTS)], seconds, during=kill_half_way)
    print(f"\nreplicas: {CLIENTS} clients x {seconds:.0f} s, replica a killed at {seconds / 2:.0f} s: "
          f"{answers['a']} answers from a before the kill, {answers['b']} from b ({answers['b_after_kill']} after "
          f"the kill), {len(redirected)} clients redirected to b, {len(errors)} errors")
    assert errors == [], f"{len(errors)} errors, first: {errors[:3]}"
    assert answers["a"] > 0 and answers["b_after_kill"] > 0
    assert sorted(redirected) == list(range(1, CLIENTS, 2))  # every client of the killed replica, once
    assert rescued == set(redirected)  # ... and each was answered by the survivor afterwards
