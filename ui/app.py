"""The browser chat, built by ``create_app(settings, services)`` and launched separately (see ui/launch.py).

Layout: chat on the left (streamed answers with clickable citation chips, examples, retry/clear, settings),
sources and documents on the right. The endpoint ``/ask`` returns the same JSON as ``rag ask --json``.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import gradio as gr

from rag.errors import RagError
from rag.ingest.loaders import SUPPORTED_SUFFIXES
from rag.settings import Settings
from rag.types import Answer
from ui import render
from ui.assets import CITE_JS
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

EXAMPLES = [
    "Which missile has North Korea likely provided to Russia?",
    "Where did Kim welcome Putin?",
    "Who represented Australia at the IP4 meeting?",
]
SUPPORTED = " ".join(sorted(SUPPORTED_SUFFIXES))
SHOW_SCORES_JS = "(on) => { document.body.classList.toggle('rag-show-scores', !!on); return []; }"


def _history(turns: list[dict]) -> list[dict]:
    """Earlier turns as ``rag ask --history`` takes them (errors left out)."""
    out: list[dict] = []
    for turn in turns:
        if turn.get("answer"):
            out.append({"role": "user", "content": turn["question"]})
            out.append({"role": "assistant", "content": turn["answer"]})
    return out


def _panel(turns: list[dict]) -> str:
    return render.sources_panel([t["section"] for t in turns if t.get("section")])


def create_app(settings: Settings, services) -> gr.Blocks:
    modes = services.assistant.modes
    default_mode = services.assistant.effective_mode()

    def documents(source: str):
        try:
            return services.store.docs.get(source)
        except RagError:
            return None

    def status_html() -> str:
        line = index_status(current_manifest(services), default_mode)
        return f'<span class="dot"></span>{html.escape(line)}'

    def respond(question, chat, turns, k, mode):
        chat, turns = list(chat or []), list(turns or [])
        question = (question or "").strip()
        if not question:
            yield gr.skip(), chat, gr.skip(), turns
            return
        number = len(turns) + 1
        chat = chat + [{"role": "user", "content": render.question_html(question)},
                       {"role": "assistant", "content": render.streaming_html("")}]
        yield "", chat, gr.skip(), turns
        text, answer, failure = "", None, None
        try:
            for item in services.assistant.stream(question, k=int(k) if k else None, history=_history(turns),
                                                  mode=mode or None):
                if isinstance(item, Answer):
                    answer = item
                else:
                    text += item
                    chat[-1] = {"role": "assistant", "content": render.streaming_html(text)}
                    yield "", chat, gr.skip(), turns
            if answer is None:
                failure = "The answerer stopped without an answer; try again."
        except RagError as err:
            failure = str(err)
        except Exception as err:  # never a traceback in the chat; the server log keeps it
            log.exception("answering %r failed", question)
            failure = f"Something went wrong while answering ({type(err).__name__}); the server log has the details."
        if failure:
            chat[-1] = {"role": "assistant", "content": render.error_html(failure)}
            turns.append({"question": question, "answer": "", "section": ""})
            yield "", chat, gr.skip(), turns
            return
        chat[-1] = {"role": "assistant", "content": render.answer_html(answer, number)}
        turns.append({"question": question, "answer": answer.answer,
                      "section": render.sources_section(answer, number, documents)})
        yield "", chat, _panel(turns), turns

    def pick_example(evt: gr.SelectData) -> str:
        return evt.value["text"]

    def pop_last(chat, turns):
        chat, turns = list(chat or []), list(turns or [])
        if not turns:
            return gr.skip(), chat, turns, gr.skip()
        question = turns.pop()["question"]
        return question, chat[:-2], turns, _panel(turns)

    def clear():
        return "", [], [], render.EMPTY_SOURCES

    def docs_outputs(message: str = ""):
        manifest = current_manifest(services)
        choices = [(f"{name} ({chunks} chunks)", source) for name, source, chunks, _ in list_documents(manifest)]
        return (message, documents_table_html(manifest, uploads_dir(settings)),
                gr.update(choices=choices, value=None), status_html())

    def on_upload(files, progress=gr.Progress()):  # noqa: B008 - how Gradio injects a progress bar
        paths = [Path(f) for f in (files or [])]
        if not paths:
            return (None, *docs_outputs())
        progress(0, desc=f"Checking {len(paths)} file{'s' if len(paths) > 1 else ''}")

        def embedded(done: int, total: int) -> None:
            progress((done, total), desc="Embedding sentences", unit="sentences")

        result = add_documents([(p, p.name) for p in paths], settings, services.embedder, progress=embedded)
        return (None, *docs_outputs(_upload_message(result)))

    def on_delete(source):
        if not source:
            return docs_outputs('<span class="bad">Choose a document to remove first.</span>')
        try:
            message = f'<span class="ok">{html.escape(delete_document(source, settings, services.embedder))}</span>'
        except RagError as err:
            message = f'<span class="bad">{html.escape(str(err))}</span>'
        return docs_outputs(message)

    def ask(question: str, k: int = 0, mode: str = "") -> dict:
        """Answer QUESTION from the indexed documents; returns the same JSON object as `rag ask --json`."""
        try:
            return services.assistant.ask(question, k=int(k) or None, mode=mode or None).to_json()
        except RagError as err:
            raise gr.Error(str(err), print_exception=False) from None

    # delete_cache: Gradio keeps its own copy of every upload; drop those after an hour (ours live in data_dir).
    with gr.Blocks(title="Ask your documents", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        gr.HTML('<div id="app-header"><h1>Ask your documents</h1><span class="tag">Answers quote your files '
                "word for word — click a number to see the passage.</span></div>")
        status = gr.HTML(status_html(), elem_id="status-line")
        with gr.Row(equal_height=False):
            with gr.Column(scale=7, min_width=420):
                chatbot = gr.Chatbot(
                    value=[], elem_id="chat", show_label=False, height=580, buttons=[], latex_delimiters=[],
                    feedback_options=None, group_consecutive_messages=False,
                    placeholder="**Ask anything about your documents.**<br>Each answer cites the exact passages "
                                "it comes from.",
                    examples=[{"text": q} for q in EXAMPLES],
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(placeholder="Ask a question about your documents…", show_label=False,
                                          scale=8, lines=1, max_lines=4, autofocus=True, elem_id="question",
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
            with gr.Column(scale=5, min_width=360):
                with gr.Tabs():
                    with gr.Tab("Sources", id="sources", elem_id="sources-tab"):
                        sources = gr.HTML(render.EMPTY_SOURCES, elem_id="sources-panel", js_on_load=CITE_JS)
                    with gr.Tab("Documents", id="documents", elem_id="documents-tab"):
                        upload = gr.File(label=f"Add documents ({SUPPORTED}; up to {settings.max_upload_mb:g} MB "
                                               "each)", file_count="multiple", elem_id="upload", height=140)
                        upload_msg = gr.HTML("", elem_id="upload-message")
                        docs_table = gr.HTML("", elem_id="documents-table")
                        with gr.Row(equal_height=True):
                            remove_choice = gr.Dropdown([], label="Remove a document from the index", scale=4,
                                                        elem_id="remove-choice")
                            remove_btn = gr.Button("Remove", variant="stop", scale=1, min_width=90,
                                                   elem_id="remove-button")
        turns = gr.State([])

        chat_io = dict(inputs=[question, chatbot, turns, k, mode], outputs=[question, chatbot, sources, turns],
                       api_visibility="private")
        question.submit(respond, **chat_io)
        ask_btn.click(respond, **chat_io)
        chatbot.example_select(pick_example, None, question,
                               api_visibility="private").then(respond, **chat_io)
        retry_btn.click(pop_last, [chatbot, turns], [question, chatbot, turns, sources],
                        api_visibility="private").then(respond, **chat_io)
        clear_btn.click(clear, None, [question, chatbot, turns, sources], api_visibility="private")
        # The chatbot's own trash icon clears the messages; the turns and sources must go with them.
        chatbot.clear(clear, None, [question, chatbot, turns, sources], api_visibility="private")
        show_scores.change(None, [show_scores], None, js=SHOW_SCORES_JS, api_visibility="private")

        docs_out = [upload_msg, docs_table, remove_choice, status]
        # One index writer at a time inside this server; the file lock covers other processes.
        upload.upload(on_upload, [upload], [upload, *docs_out], api_visibility="private",
                      concurrency_limit=1, concurrency_id="index-writer")
        remove_btn.click(on_delete, [remove_choice], docs_out, api_visibility="private",
                         concurrency_limit=1, concurrency_id="index-writer")
        app.load(docs_outputs, None, docs_out, api_visibility="private")
        gr.api(ask, api_name="ask")

    app.queue(default_concurrency_limit=settings.concurrency_limit, max_size=max(64, 16 * settings.concurrency_limit))
    return app


def _upload_message(result) -> str:
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
