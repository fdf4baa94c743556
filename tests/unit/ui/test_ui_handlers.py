"""The chat's behaviour without Gradio: ui.handlers.ChatHandlers on a real (hashing-embedder) index."""

from __future__ import annotations

import pytest

from rag.types import Document
from tests.support.llm_fixtures import make_services
from ui.examples import document_title, example_questions
from ui.handlers import ChatHandlers


@pytest.fixture(scope="module")
def handlers(tmp_path_factory):
    services = make_services(tmp_path_factory.mktemp("handlers"), data_dir=tmp_path_factory.mktemp("data"))
    return ChatHandlers(services.settings, services)


def test_respond_streams_then_shows_the_cited_answer_and_its_sources(handlers):
    steps = list(handlers.respond("When did the Sydney Harbour Bridge open?", [], [], 3, "extractive"))
    assert len(steps) >= 2
    first, last = steps[0], steps[-1]
    assert first.question == "" and first.sources is None and len(first.chat) == 2
    assert len(last.chat) == 2 and last.chat[0]["role"] == "user" and last.chat[1]["role"] == "assistant"
    assert "1932" in last.chat[1]["content"] and 'href="#cite-1-1"' in last.chat[1]["content"]
    assert last.sources is not None and "Sydney Harbour Bridge" in last.sources
    assert last.turns == [{"question": "When did the Sydney Harbour Bridge open?",
                           "answer": last.turns[0]["answer"], "section": last.turns[0]["section"]}]
    assert "1932" in last.turns[0]["answer"]


def test_an_empty_question_changes_nothing_and_a_bad_one_is_one_line_in_the_chat(handlers):
    (step,) = list(handlers.respond("   ", [{"role": "user", "content": "x"}], [], 3, None))
    assert step.question is None and step.sources is None and step.chat == [{"role": "user", "content": "x"}]
    steps = list(handlers.respond("x" * (handlers.settings.max_question_chars + 1), [], [], 3, None))
    error = steps[-1].chat[-1]["content"]
    assert "characters long; the limit is" in error and "Traceback" not in error
    assert steps[-1].turns[-1]["answer"] == ""


def test_retry_takes_back_the_last_question(handlers):
    last = list(handlers.respond("Who welcomed Putin?", [], [], 3, None))[-1]
    question, chat, turns, sources = handlers.pop_last(last.chat, last.turns)
    assert question == "Who welcomed Putin?" and chat == [] and turns == []
    assert handlers.pop_last([], []) == (None, [], [], None)


def test_documents_view_and_remove_without_a_choice(handlers):
    view = handlers.documents()
    assert sorted(label.split(" (")[0] for label, _ in view.choices) == ["a.txt", "b.txt", "c.txt"]
    assert "3 documents" in view.status
    assert "Choose a document" in handlers.delete(None).message


def test_ask_returns_the_rag_ask_json_object(handlers):
    data = handlers.ask("How long is the Sydney Harbour Bridge?", 3, None)
    assert set(data) >= {"question", "answer", "abstained", "citations", "timings_ms"}
    quote = data["citations"][0]
    text = handlers.services.view().document(quote["source"]).text
    assert text[quote["start"]:quote["end"]] == quote["quote"]


def test_example_questions_come_from_the_indexed_documents():
    docs = {
        "/d/pods.md": Document("/d/pods.md", "---\ntitle: Pods\nweight: 10\n---\nPods are the smallest units.\n" * 3,
                               "a"),
        "/d/guide.md": Document("/d/guide.md", "# Getting started with the tool { #start }\n\nInstall it.\n", "b"),
        "/d/news.txt": Document("/d/news.txt", "Leaders met Joe Biden in the capital. Later Joe Biden spoke.", "c"),
    }
    assert document_title(docs["/d/guide.md"]) == "Getting started with the tool"
    assert example_questions(docs) == ["What are Pods?", "What do the documents say about Joe Biden?",
                                       "What does “Getting started with the tool” cover?"]  # largest first
    assert example_questions(docs, ["Mine?"]) == ["Mine?"]
    assert example_questions({}) == []
