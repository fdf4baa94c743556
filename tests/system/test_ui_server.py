"""`rag serve` as a real subprocess on a free port, driven by gradio_client and by headless Chromium.

One server per module (a copy of the session's real seeds index, its own data dir). The browser tests run in
file order against the same page: chat and citation first, then uploads.

Set RAG_SCREENSHOT=docs/screenshot-chat.png to save the chat with a highlighted citation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED_FILE
from tests.support.serve_process import rag_serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MISSILE_Q = "Which missile has North Korea likely provided to Russia?"

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="/usr/bin/chromium is not installed (run `make browser` as root)")
browser_test = [pytest.mark.server, pytest.mark.browser, pytest.mark.slow, needs_chromium]


class Server:
    def __init__(self, url: str, root: Path, proc: subprocess.Popen, log: list[str]):
        self.url, self.root, self.proc, self.log = url, root, proc, log


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeds_index_dir):
    root = tmp_path_factory.mktemp("ui-server")
    index_dir = root / "index"
    shutil.copytree(seeds_index_dir, index_dir, symlinks=True)
    # The chat's example questions come from RAG_EXAMPLE_QUESTIONS here (derived ones: tests/test_ui_handlers.py).
    with rag_serve(root, index_dir, RAG_EXAMPLE_QUESTIONS='["Where did Kim welcome Putin?"]') as (url, proc, log):
        yield Server(url, root, proc, log)


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


@pytest.mark.server
@pytest.mark.slow
def test_ask_endpoint_returns_the_cli_json(client, seed_text):
    result = client.predict(MISSILE_Q, api_name="/ask")
    assert isinstance(result, dict)
    assert set(result) >= {"question", "answer", "abstained", "citations", "timings_ms"}
    assert "KN-23" in result["answer"] and not result["abstained"]
    cited = result["citations"][0]
    assert cited["source"] == str(SEED_FILE.resolve())
    assert seed_text[cited["start"]:cited["end"]] == cited["quote"]
    assert "KN-23" in cited["quote"]


@pytest.mark.server
@pytest.mark.slow
def test_ask_endpoint_takes_k_and_mode_and_reports_bad_questions(client):
    from gradio_client.exceptions import AppError

    result = client.predict("Where did Kim welcome Putin?", 3, "extractive", api_name="/ask")
    assert "Pyongyang" in result["answer"] and result["mode"] == "extractive"
    with pytest.raises(AppError, match="The question is empty"):
        client.predict("   ", api_name="/ask")


# --- the real browser ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # empty --user-data-dir
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1440, "height": 900},
        )
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.goto(server.url)
        page.wait_for_selector("#question textarea")
        yield page
        context.close()


def _ask(page, question: str) -> None:
    before = page.locator("#chat .rag-answer, #chat .rag-error").count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#chat .rag-answer, #chat .rag-error').length > {before}")


def _upload(page, path: Path) -> str:
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    page.wait_for_function(
        "(name) => { const m = document.querySelector('#upload-message');"
        " return m && m.querySelector('.summary') && m.innerText.includes(name); }",
        arg=path.name)
    return page.locator("#upload-message").inner_text()


def browser(test):
    """Marks for a real-browser test against the server: server, browser, slow; skipped without Chromium."""
    for mark in (pytest.mark.server, pytest.mark.browser, pytest.mark.slow, needs_chromium):
        test = mark(test)
    return test


@browser
def test_chat_streams_the_answer_and_a_click_highlights_the_cited_span(page, client, seed_text):
    _ask(page, MISSILE_Q)
    answer = page.locator("#chat .rag-answer").last
    assert "KN-23" in answer.locator(".answer-text").inner_text()
    page.locator("#chat a.cite-chip").last.click()
    card = page.locator("#sources-panel .turn.active .cite-card.selected")
    mark = card.locator("mark.cited")
    expected = client.predict(MISSILE_Q, api_name="/ask")["citations"][0]
    assert mark.inner_text() == expected["quote"]
    start, end = int(card.get_attribute("data-start")), int(card.get_attribute("data-end"))
    assert seed_text[start:end] == mark.inner_text()
    assert card.locator(".doc").inner_text() == SEED_FILE.name

    _ask(page, "Where did Kim welcome Putin?")
    page.locator("#chat a.cite-chip").first.click()  # a chip of the earlier answer selects its own source
    assert page.locator("#sources-panel .turn.active .cite-card.selected mark").inner_text() == expected["quote"]
    page.locator("#chat a.cite-chip").last.click()
    assert "Pyongyang" in page.locator("#sources-panel .turn.active .cite-card.selected mark").inner_text()
    shot = os.environ.get("RAG_SCREENSHOT")
    if shot:  # an answer with two citations, the second one opened, makes the better picture
        _ask(page, "What is the relationship between North Korea and Russia?")
        page.locator("#chat a.cite-chip").last.click()
        path = Path(shot) if Path(shot).is_absolute() else REPO / shot
        page.mouse.move(0, 0)
        page.wait_for_timeout(500)  # let the chips' colour transition finish before the picture
        page.screenshot(path=str(path))


@browser
def test_uploaded_markdown_is_indexed_and_cited(page, server, tmp_path):
    notes = tmp_path / "lab notes.md"
    notes.write_text("# Lab notes\n\nThe zebrafish colony in tank seven was moved to the blue room on Tuesday.\n"
                     "Dr. Okafor approved a feeding schedule of three meals per day.\n", encoding="utf-8")
    message = _upload(page, notes)
    assert "Added lab notes.md" in message
    assert "lab notes.md" in page.locator("#documents-table").inner_text()
    assert "2 documents" in page.locator("#status-line").inner_text()
    assert (server.root / "data" / "uploads" / "lab notes.md").is_file()

    _ask(page, "Where was the zebrafish colony moved?")
    answer = page.locator("#chat .rag-answer").last
    assert "blue room" in answer.locator(".answer-text").inner_text()
    assert "lab notes.md" in answer.locator(".src-chip").first.inner_text()
    answer.locator("a.cite-chip").first.click()
    card = page.locator("#sources-panel .turn.active .cite-card.selected")
    assert card.locator(".doc").inner_text() == "lab notes.md"
    assert "blue room" in card.locator("mark.cited").inner_text()


@browser
def test_binary_upload_shows_a_clear_message_and_loses_nothing(page, tmp_path):
    blob = tmp_path / "blob.txt"
    blob.write_bytes(b"PK\x03\x04\x00\x00binary\x00\x01\x02\xff\xfe" * 10)
    table_before = page.locator("#documents-table").text_content()
    message = _upload(page, blob)
    assert "blob.txt: looks like a binary file, not text" in message
    assert "Traceback" not in message
    assert page.locator("#documents-table").text_content() == table_before
    _ask(page, MISSILE_Q)
    assert "KN-23" in page.locator("#chat .rag-answer").last.inner_text()


@browser
def test_hostile_document_renders_as_text_everywhere(page, tmp_path):
    evil = tmp_path / "evil.md"
    evil.write_text("Harbour report.\n\nThe ferry <script>window.__xss = 1</script> departs from pier "
                    'nineteen <img src=x onerror="window.__xss = 2"> every morning at dawn.\n', encoding="utf-8")
    assert "Added evil.md" in _upload(page, evil)
    _ask(page, "From which pier does the harbour ferry depart every morning?")
    answer = page.locator("#chat .rag-answer").last
    answer.locator("a.cite-chip").first.click()
    mark = page.locator("#sources-panel .turn.active .cite-card.selected mark.cited")
    assert "<script>window.__xss = 1</script>" in mark.inner_text()
    assert "<script>" in answer.locator(".answer-text").inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator("#chat script, #chat img, #sources-panel script, #sources-panel img").count() == 0


@browser
def test_pdf_citation_names_its_page(page, tmp_path):
    from reportlab.pdfgen import canvas

    pdf_path = tmp_path / "orchard survey.pdf"
    pdf = canvas.Canvas(str(pdf_path))
    for line in ("Orchard survey, summer edition.", "The quince trees in the north orchard were planted in 1987."):
        pdf.drawString(72, 720, line)
        pdf.showPage()
    pdf.save()
    assert "Added orchard survey.pdf" in _upload(page, pdf_path)
    _ask(page, "When were the quince trees in the north orchard planted?")
    answer = page.locator("#chat .rag-answer").last
    assert "1987" in answer.locator(".answer-text").inner_text()
    answer.locator("a.cite-chip").first.click()
    card = page.locator("#sources-panel .turn.active .cite-card.selected")
    assert card.locator(".doc").inner_text() == "orchard survey.pdf"
    assert card.locator(".loc").inner_text().startswith("page 2 · chars ")


@browser
def test_clear_examples_retry_and_copy(page):
    page.locator("#clear-button").click()
    page.wait_for_function("document.querySelectorAll('#chat .rag-answer').length === 0")
    assert "Ask a question" in page.locator("#sources-panel").inner_text()
    page.get_by_text("Where did Kim welcome Putin?").first.click()  # an example question of the empty chat
    page.wait_for_function("document.querySelectorAll('#chat .rag-answer').length === 1")
    assert "Pyongyang" in page.locator("#chat .rag-answer .answer-text").inner_text()

    # Retry removes the answer and asks again: an observer records the moment it is gone (however brief).
    page.evaluate("""() => { window.__answerGone = false;
        new MutationObserver(() => { if (!document.querySelector('#chat .rag-answer')) window.__answerGone = true; })
          .observe(document.querySelector('#chat'), {childList: true, subtree: true}); }""")
    page.locator("#retry-button").click()
    page.wait_for_function("window.__answerGone && document.querySelectorAll('#chat .rag-answer').length === 1")
    assert page.locator("#chat .message-row, #chat [data-testid='user']").count() >= 1
    assert "Pyongyang" in page.locator("#chat .rag-answer .answer-text").inner_text()

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("#chat .copy-answer").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Pyongyang" in copied and copied.endswith("[1]") and "<" not in copied

    _ask(page, "What is the best recipe for a lemon drizzle cake?")
    assert "don't contain an answer" in page.locator("#chat .rag-answer .abstain").last.inner_text()
    assert "don't answer this question" in page.locator("#sources-panel .turn.active").inner_text()


@browser
def test_remove_a_document_from_the_index(page, server):
    page.get_by_role("tab", name="Documents").click()
    assert "evil.md" in page.locator("#documents-table").inner_text()
    count = int(page.locator("#status-line").inner_text().split()[0])
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="evil.md (1 chunks)").click()
    page.locator("#remove-button").click()
    page.wait_for_function("document.querySelector('#upload-message').innerText.includes('Removed evil.md')")
    assert "evil.md" not in page.locator("#documents-table").inner_text()
    assert not (server.root / "data" / "uploads" / "evil.md").exists()
    assert page.locator("#status-line").inner_text().startswith(f"{count - 1} documents")
