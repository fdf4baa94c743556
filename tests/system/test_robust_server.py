"""`rag serve` under load and under attack: a real server process (real model) on 127.0.0.1.

- Load: 50 concurrent gradio_client clients call the /ask endpoint in bounded loops for RAG_LOAD_SECONDS
  (default 20 s in CI; the 60 s figure in docs/RELIABILITY.md was measured with RAG_LOAD_SECONDS=60): zero
  errors, p50/p95 latency printed.
- XSS: a document containing <script> and <img onerror> is answered and shown in the real browser as text,
  with no script run and no such element in the page (skipped with the reason when Chromium is absent).
- Size limit: an upload over RAG_MAX_UPLOAD_MB is refused by the server itself.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.support.load import latency_line, run_clients, seeds_questions
from tests.support.serve_process import rag_serve

pytestmark = [pytest.mark.server, pytest.mark.slow]

CLIENTS = 50
XSS_TEXT = ("Security drill notes. The evacuation beacon is tested every Tuesday at noon. "
            "<script>alert('xss')</script> <img src=x onerror=alert('img')> marks where attackers hide code.\n")
XSS_QUESTION = "When is the evacuation beacon tested?"


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeds_index_dir, real_embedder):
    from rag.ingest.indexer import index_paths
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("robust-server")
    index_dir = root / "index"
    shutil.copytree(seeds_index_dir, index_dir, symlinks=True)
    docs = root / "docs"
    docs.mkdir()
    (docs / "<img src=x onerror=alert(1)>.txt").write_text(XSS_TEXT, encoding="utf-8")
    index_paths([docs], Settings(_env_file=None, index_dir=index_dir), embedder=real_embedder)

    with rag_serve(root, index_dir, RAG_MAX_UPLOAD_MB="1") as (url, _proc, log):
        yield url, log


def test_fifty_concurrent_clients_get_answers_without_errors(server):
    from gradio_client import Client

    url, log = server
    seconds = float(os.environ.get("RAG_LOAD_SECONDS", "20"))
    questions = seeds_questions()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client_loop(number: int) -> None:
        try:
            # Waiting in Gradio's queue is part of the latency measured, so the client must not give up first.
            client = Client(url, verbose=False, httpx_kwargs={"timeout": 300})
        except Exception as err:  # noqa: BLE001 - every failure is counted and shown
            with lock:
                errors.append(f"client {number} could not connect: {err!r}")
            start.abort()
            return
        start.wait()
        deadline = time.monotonic() + seconds
        i = number
        while time.monotonic() < deadline:  # bounded loop: stops at the deadline
            question = questions[i % len(questions)]
            i += CLIENTS
            began = time.perf_counter()
            try:
                result = client.predict(question, api_name="/ask")
                ok = isinstance(result, dict) and isinstance(result.get("answer"), str)
                problem = None if ok else f"malformed result {result!r:.200}"
            except Exception as err:  # noqa: BLE001
                problem = f"{type(err).__name__}: {err}"
            elapsed = time.perf_counter() - began
            with lock:
                if problem:
                    errors.append(f"client {number}, {question!r}: {problem}")
                else:
                    latencies.append(elapsed)

    wall = run_clients([functools.partial(client_loop, n) for n in range(CLIENTS)], seconds)
    assert errors == [], f"{len(errors)} errors, first: {errors[:3]}"
    assert latencies
    print(f"\nload: {CLIENTS} clients x {seconds:.0f} s: {len(latencies)} answers, 0 errors, "
          f"{len(latencies) / wall:.1f} answers/s, latency {latency_line(latencies)}")


def _call_ask(url: str, data: list) -> tuple[str, object]:
    """(event, data) of one raw call of the /ask endpoint, JSON written by hand (a lone surrogate as \\udcff)."""
    import httpx

    posted = httpx.post(f"{url}gradio_api/call/ask", content=json.dumps({"data": data}),
                        headers={"content-type": "application/json"}, timeout=60)
    assert posted.status_code == 200, posted.text[:300]
    stream = httpx.get(f"{url}gradio_api/call/ask/{posted.json()['event_id']}", timeout=120)
    assert stream.status_code == 200
    event = next(line[7:] for line in stream.text.splitlines() if line.startswith("event: "))
    payload = next(line[6:] for line in stream.text.splitlines() if line.startswith("data: "))
    return event, json.loads(payload)


K_ERROR = "k must be a whole number from 1 to 100 (or null for the default, RAG_K), not {}."
MODE_ERROR = "mode must be one of extractive, llm (or null for the default, RAG_ANSWER_MODE), not {}."
ASK_ERRORS = [  # (data sent to /ask, the error the client must get); was {"error": null} and a traceback in the log
    (["which missile \udcff?", None, None],
     "The question is not valid text: character 15 is not UTF-8 (an undecodable byte or a lone surrogate); retype it."),
    ([None, None, None], "The question must be text."),
    ([{"q": 1}, None, None], "The question must be text."),
    (["Where?", "abc", None], K_ERROR.format("'abc'")),
    (["Where?", "nan", None], K_ERROR.format("'nan'")),
    (["Where?", "inf", None], K_ERROR.format("'inf'")),
    (["Where?", float("inf"), None], K_ERROR.format("inf")),
    (["Where?", [1], None], K_ERROR.format("[1]")),
    (["Where?", {}, None], K_ERROR.format("{}")),
    (["Where?", True, None], K_ERROR.format("True")),
    (["Where?", -1, None], K_ERROR.format("-1")),
    (["Where?", 10**9, None], K_ERROR.format("1000000000")),
    (["Where?", "2.5", None], K_ERROR.format("'2.5'")),
    (["Where?", 3, ["llm"]], MODE_ERROR.format("['llm']")),
    (["Where?", 3, "magic"], MODE_ERROR.format("'magic'")),
    (["Where?", 3, 7], MODE_ERROR.format("7")),
]


def test_ask_endpoint_refuses_bad_input_with_one_clear_error(server):
    url, log = server
    seen = len(log)
    for data, message in ASK_ERRORS:
        event, payload = _call_ask(url, data)
        assert (event, payload.get("error")) == ("error", message), data
    # null is the default; numbers as text and whole floats are the same k as on the command line
    for k in (None, "3", 3.0):
        event, payload = _call_ask(url, ["Which missile has North Korea likely provided to Russia?", k, None])
        assert event == "complete" and "KN-23" in payload[0]["answer"], payload
    assert not any("Traceback" in line for line in log[seen:]), "".join(log[seen:])


def test_upload_over_the_size_limit_is_refused_by_the_server(server, tmp_path):
    import httpx

    url, _ = server
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (2 * 2**20))  # 2 MB > RAG_MAX_UPLOAD_MB=1
    with open(big, "rb") as handle:
        response = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.txt", handle, "text/plain")},
                              timeout=60)
    assert response.status_code == 413, response.text[:300]
    small = tmp_path / "small.txt"
    small.write_text("small enough")
    with open(small, "rb") as handle:
        response = httpx.post(f"{url}gradio_api/upload", files={"files": ("small.txt", handle, "text/plain")},
                              timeout=60)
    assert response.status_code == 200


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (run `make browser` as root)")
def test_script_and_onerror_in_a_document_render_as_text_in_the_browser(server):
    from playwright.sync_api import sync_playwright

    url, _ = server
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless"])
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        page.wait_for_selector("#question textarea", timeout=60_000)
        page.locator("#question textarea").fill(XSS_QUESTION)
        page.locator("#ask-button").click()
        page.wait_for_selector("#chat .cite-chip", timeout=120_000)
        page.locator("#chat .cite-chip").first.click()
        page.wait_for_timeout(500)
        sources = page.locator("#sources-panel").inner_text()
        page.get_by_role("tab", name="Documents").click()
        page.wait_for_selector("#documents-table table", timeout=30_000)
        table = page.locator("#documents-table").inner_text()
        injected = page.evaluate(
            "() => document.querySelectorAll('#chat script, #sources-panel script, #documents-table script, "
            "img[onerror], img[src=\"x\"]').length")
        browser.close()
    assert dialogs == [], f"a script ran: {dialogs}"
    assert injected == 0
    assert "<script>alert('xss')</script>" in sources and "<img src=x onerror=alert('img')>" in sources
    assert "<img src=x onerror=alert(1)>.txt" in table
