"""What the chat does, as plain functions of plain data: no Gradio here, so they are tested directly.

ui/app.py lays out the page and adapts these to Gradio's events (``None`` in a result means "leave that output
as it is").
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError
from rag.types import Answer, Document
from ui import render
from ui.documents import (
    add_documents,
    current_manifest,
    delete_document,
    documents_table_html,
    index_status,
    list_documents,
    uploads_dir,
)

log = logging.getLogger(__name__)


def history(turns: list[dict]) -> list[dict]:
    """Earlier turns as ``rag ask --history`` takes them (errors left out)."""
    out: list[dict] = []
    for turn in turns:
        if turn.get("answer"):
            out.append({"role": "user", "content": turn["question"]})
            out.append({"role": "assistant", "content": turn["answer"]})
    return out


def sources_panel(turns: list[dict]) -> str:
    return render.sources_panel([t["section"] for t in turns if t.get("section")])


@dataclass
class ChatUpdate:
    """One step of an answer being shown: new values of the question box, the chat, the sources panel and the
    turns (``None`` = unchanged)."""

    question: str | None
    chat: list[dict]
    sources: str | None
    turns: list[dict]


@dataclass
class DocumentsView:
    message: str
    table: str
    choices: list[tuple[str, str]]
    status: str


class ChatHandlers:
    def __init__(self, settings, services):
        self.settings = settings
        self.services = services
        self.default_mode = services.assistant.effective_mode()

    def document(self, source: str) -> Document | None:
        try:
            return self.services.view().documents().get(source)
        except RagError:
            return None

    def status_html(self) -> str:
        line = index_status(current_manifest(self.services), self.default_mode)
        return f'<span class="dot"></span>{html.escape(line)}'

    def respond(self, question: str | None, chat: list[dict] | None, turns: list[dict] | None, k, mode
                ) -> Iterator[ChatUpdate]:
        """Stream an answer into the chat; a failure becomes one line in the chat, never a traceback."""
        chat, turns = list(chat or []), list(turns or [])
        question = (question or "").strip()
        if not question:
            yield ChatUpdate(None, chat, None, turns)
            return
        number = len(turns) + 1
        chat = chat + [{"role": "user", "content": render.question_html(question)},
                       {"role": "assistant", "content": render.streaming_html("")}]
        yield ChatUpdate("", chat, None, turns)
        text, answer, failure = "", None, None
        try:
            for item in self.services.assistant.stream(question, k=int(k) if k else None, history=history(turns),
                                                       mode=mode or None):
                if isinstance(item, Answer):
                    answer = item
                else:
                    text += item
                    chat[-1] = {"role": "assistant", "content": render.streaming_html(text)}
                    yield ChatUpdate("", chat, None, turns)
            if answer is None:
                failure = "The answerer stopped without an answer; try again."
        except RagError as err:
            failure = str(err)
        except Exception as err:  # never a traceback in the chat; the server log keeps it
            log.exception("answering %r failed", question)
            failure = f"Something went wrong while answering ({type(err).__name__}); the server log has the details."
        if failure or answer is None:
            chat[-1] = {"role": "assistant", "content": render.error_html(failure or "")}
            turns.append({"question": question, "answer": "", "section": ""})
            yield ChatUpdate("", chat, None, turns)
            return
        chat[-1] = {"role": "assistant", "content": render.answer_html(answer, number)}
        turns.append({"question": question, "answer": answer.answer,
                      "section": render.sources_section(answer, number, self.document)})
        yield ChatUpdate("", chat, sources_panel(turns), turns)

    @staticmethod
    def pop_last(chat: list[dict] | None, turns: list[dict] | None) -> tuple[str | None, list, list, str | None]:
        """Retry: take back the last question (and its answer) so it can be asked again."""
        chat, turns = list(chat or []), list(turns or [])
        if not turns:
            return None, chat, turns, None
        question = turns.pop()["question"]
        return question, chat[:-2], turns, sources_panel(turns)

    def documents(self, message: str = "") -> DocumentsView:
        manifest = current_manifest(self.services)
        choices = [(f"{name} ({chunks} chunks)", source) for name, source, chunks, _ in list_documents(manifest)]
        return DocumentsView(message, documents_table_html(manifest, uploads_dir(self.settings)), choices,
                             self.status_html())

    def upload(self, paths: list[Path], progress=None) -> DocumentsView:
        if not paths:
            return self.documents()
        result = add_documents([(p, p.name) for p in paths], self.settings, self.services.embedder, progress=progress)
        return self.documents(upload_message(result))

    def delete(self, source: str | None) -> DocumentsView:
        if not source:
            return self.documents('<span class="bad">Choose a document to remove first.</span>')
        try:
            done = delete_document(source, self.settings, self.services.embedder)
            return self.documents(f'<span class="ok">{html.escape(done)}</span>')
        except RagError as err:
            return self.documents(f'<span class="bad">{html.escape(str(err))}</span>')

    def ask(self, question, k=None, mode=None) -> dict:
        """The `/ask` endpoint: the same JSON object as `rag ask --json`. The assistant validates question, k and
        mode (rag.validation: null means the default, a wrong type or range is a RagError)."""
        return self.services.assistant.ask(question, k=k, mode=mode).to_json()


def upload_message(result) -> str:
    parts = []
    if result.indexed:
        parts.append(f'<div class="ok">✓ Added {html.escape(", ".join(result.indexed))}</div>')
    if result.unchanged:
        parts.append(f'<div class="ok">✓ Already indexed: {html.escape(", ".join(result.unchanged))}</div>')
    if result.errors:
        items = "".join(f"<li>{html.escape(e)}</li>" for e in result.errors)
        parts.append(f'<div class="bad">✗ Not added:<ul>{items}</ul></div>')
    parts.append(f'<div class="summary">{html.escape(result.summary)}</div>')
    return "".join(parts)
