"""The browser chat, built by ``create_app(settings, services)`` and launched separately (see ui/launch.py).

Layout: chat on the left (streamed answers with clickable citation chips, examples, retry/ui.clear, settings),
sources and documents on the right. The endpoint ``/ask`` returns the same JSON as ``rag ask --json``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from rag.errors import RagError
from rag.ingest.loaders import SUPPORTED_SUFFIXES
from rag.settings import Settings
from ui import render
from ui.assets import CITE_JS
from ui.examples import example_questions
from ui.handlers import ChatHandlers, DocumentsView

log = logging.getLogger(__name__)

SUPPORTED = " ".join(sorted(SUPPORTED_SUFFIXES))
SHOW_SCORES_JS = "(on) => { document.body.classList.toggle('rag-show-scores', !!on); return []; }"


@dataclass
class ChatColumn:
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask_btn: gr.Button
    retry_btn: gr.Button
    clear_btn: gr.Button
    k: gr.Slider
    mode: gr.Radio
    show_scores: gr.Checkbox


@dataclass
class SideColumn:
    sources: gr.HTML
    upload: gr.File
    upload_msg: gr.HTML
    docs_table: gr.HTML
    remove_choice: gr.Dropdown
    remove_btn: gr.Button


def chat_column(settings: Settings, modes: list[str], default_mode: str, examples: list[str]) -> ChatColumn:
    with gr.Column(scale=7, min_width=420):
        chatbot = gr.Chatbot(
            value=[], elem_id="chat", show_label=False, height=580, buttons=[], latex_delimiters=[],
            feedback_options=None, group_consecutive_messages=False,
            placeholder="**Ask anything about your documents.**<br>Each answer cites the exact passages it comes from.",
            examples=[{"text": q} for q in examples] or None,
        )
        with gr.Row(equal_height=True):
            question = gr.Textbox(placeholder="Ask a question about your documents…", show_label=False, scale=8,
                                  lines=1, max_lines=4, autofocus=True, elem_id="question",
                                  max_length=settings.max_question_chars)
            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="ask-button")
        with gr.Row(elem_id="chat-actions"):
            retry_btn = gr.Button("↻ Retry", size="sm", scale=0, elem_id="retry-button")
            clear_btn = gr.Button("Clear chat", size="sm", scale=0, elem_id="clear-button")
        with gr.Accordion("Settings", open=False, elem_id="settings"):
            k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages to retrieve (top-k)")
            mode_choices = [("Extractive (quotes, no LLM)", "extractive")]
            if "llm" in modes:
                mode_choices.append((f"LLM ({settings.llm_model})", "llm"))
            mode = gr.Radio(mode_choices, value=default_mode, label="Answer mode",
                            info=None if "llm" in modes else
                            "LLM mode needs RAG_LLM_BASE_URL (any OpenAI-compatible server).")
            show_scores = gr.Checkbox(False, label="Show retrieval scores in the sources panel")
    return ChatColumn(chatbot, question, ask_btn, retry_btn, clear_btn, k, mode, show_scores)


def side_column(settings: Settings) -> SideColumn:
    with gr.Column(scale=5, min_width=360), gr.Tabs():
        with gr.Tab("Sources", id="sources", elem_id="sources-tab"):
            sources = gr.HTML(render.EMPTY_SOURCES, elem_id="sources-panel", js_on_load=CITE_JS)
        with gr.Tab("Documents", id="documents", elem_id="documents-tab"):
            upload = gr.File(label=f"Add documents ({SUPPORTED}; up to {settings.max_upload_mb:g} MB each)",
                             file_count="multiple", elem_id="upload", height=140)
            upload_msg = gr.HTML("", elem_id="upload-message")
            docs_table = gr.HTML("", elem_id="documents-table")
            with gr.Row(equal_height=True):
                remove_choice = gr.Dropdown([], label="Remove a document from the index", scale=4,
                                            elem_id="remove-choice")
                remove_btn = gr.Button("Remove", variant="stop", scale=1, min_width=90, elem_id="remove-button")
    return SideColumn(sources, upload, upload_msg, docs_table, remove_choice, remove_btn)


def _keep(value):
    return gr.skip() if value is None else value


class GradioAdapters:
    """ChatHandlers' results in the shapes Gradio's events take (gr.skip() for "unchanged", gr.update, gr.Error)."""

    def __init__(self, handlers: ChatHandlers):
        self.handlers = handlers

    def respond(self, question, chat, turns, k, mode):
        for step in self.handlers.respond(question, chat, turns, k, mode):
            yield _keep(step.question), step.chat, _keep(step.sources), step.turns

    def pick_example(self, evt: gr.SelectData) -> str:
        return evt.value["text"]

    def pop_last(self, chat, turns):
        question, chat, turns, sources = self.handlers.pop_last(chat, turns)
        return _keep(question), chat, turns, _keep(sources)

    def clear(self):
        return "", [], [], render.EMPTY_SOURCES

    def docs_outputs(self, view: DocumentsView | None = None):
        view = view or self.handlers.documents()
        return view.message, view.table, gr.update(choices=view.choices, value=None), view.status

    def on_upload(self, files, progress=gr.Progress()):  # noqa: B008 - how Gradio injects a progress bar
        paths = [Path(f) for f in (files or [])]
        if paths:
            progress(0, desc=f"Checking {len(paths)} file{'s' if len(paths) > 1 else ''}")

        def embedded(done: int, total: int) -> None:
            progress((done, total), desc="Embedding sentences", unit="sentences")

        return (None, *self.docs_outputs(self.handlers.upload(paths, progress=embedded)))

    def on_delete(self, source):
        return self.docs_outputs(self.handlers.delete(source))

    def ask(self, question: str, k: int | None = None, mode: str | None = None) -> dict:
        """Answer QUESTION from the indexed documents; returns the same JSON object as `rag ask --json`.
        k: passages to retrieve, 1-100 (null: RAG_K); mode: extractive or llm (null: RAG_ANSWER_MODE)."""
        try:  # the assistant validates question, k and mode (rag.validation) before any work
            return self.handlers.ask(question, k, mode)
        except RagError as err:
            raise gr.Error(str(err), print_exception=False) from None
        except Exception as err:  # never {"error": null} for the client; the server log keeps the traceback
            log.exception("the /ask endpoint failed")
            raise gr.Error(f"Something went wrong while answering ({type(err).__name__}); the server log has the "
                           "details.", print_exception=False) from None


def create_app(settings: Settings, services) -> gr.Blocks:
    """The chat page: layout here, behaviour in ui.handlers.ChatHandlers (plain functions, tested without Gradio)."""
    handlers = ChatHandlers(settings, services)
    modes = services.assistant.modes
    try:
        examples = example_questions(services.view().documents(), settings.example_questions)
    except RagError:  # no index yet
        examples = list(settings.example_questions or [])

    ui = GradioAdapters(handlers)

    # delete_cache: Gradio keeps its own copy of every upload; drop those after an hour (ours live in data_dir).
    with gr.Blocks(title="Ask your documents", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        gr.HTML('<div id="app-header"><h1>Ask your documents</h1><span class="tag">Answers quote your files '
                "word for word — click a number to see the passage.</span></div>")
        status = gr.HTML(handlers.status_html(), elem_id="status-line")
        with gr.Row(equal_height=False):
            chat = chat_column(settings, modes, handlers.default_mode, examples)
            side = side_column(settings)
        turns = gr.State([])

        chat_in = [chat.question, chat.chatbot, turns, chat.k, chat.mode]
        chat_out = [chat.question, chat.chatbot, side.sources, turns]
        chat.question.submit(ui.respond, chat_in, chat_out, api_visibility="private")
        chat.ask_btn.click(ui.respond, chat_in, chat_out, api_visibility="private")
        chat.chatbot.example_select(ui.pick_example, None, chat.question,
                                    api_visibility="private").then(ui.respond, chat_in, chat_out,
                                                                   api_visibility="private")
        chat.retry_btn.click(ui.pop_last, [chat.chatbot, turns], [chat.question, chat.chatbot, turns, side.sources],
                             api_visibility="private").then(ui.respond, chat_in, chat_out, api_visibility="private")
        cleared = [chat.question, chat.chatbot, turns, side.sources]
        chat.clear_btn.click(ui.clear, None, cleared, api_visibility="private")
        # The chatbot's own trash icon clears the messages; the turns and sources must go with them.
        chat.chatbot.clear(ui.clear, None, cleared, api_visibility="private")
        chat.show_scores.change(None, [chat.show_scores], None, js=SHOW_SCORES_JS, api_visibility="private")

        docs_out = [side.upload_msg, side.docs_table, side.remove_choice, status]
        # One index writer at a time inside this server; the file lock covers other processes.
        side.upload.upload(ui.on_upload, [side.upload], [side.upload, *docs_out], api_visibility="private",
                           concurrency_limit=1, concurrency_id="index-writer")
        side.remove_btn.click(ui.on_delete, [side.remove_choice], docs_out, api_visibility="private",
                              concurrency_limit=1, concurrency_id="index-writer")
        app.load(ui.docs_outputs, None, docs_out, api_visibility="private")
        # gr.api is gradio's documented API, but its __init__ leaves it out of __all__, so pyright calls it private.
        gr.api(ui.ask, api_name="ask")  # pyright: ignore[reportPrivateImportUsage]

    app.queue(default_concurrency_limit=settings.concurrency_limit, max_size=max(64, 16 * settings.concurrency_limit))
    return app
