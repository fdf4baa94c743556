"""OpenAI-compatible chat: ``POST /v1/chat/completions`` and ``GET /v1/models`` that keep the citations.

``model`` picks the answer mode (``rag-extractive``; ``rag-llm`` when an LLM is configured). ``messages`` is the
conversation: the last message is the question, earlier user/assistant turns are the history that follow-ups are
resolved against, as in the chat (system messages are ignored). The assistant message's content is the answer
with its ``[n]`` markers, then a blank line and the plain "Sources:" list ``rag ask`` prints, so any client shows
where each claim comes from; ``choices[0].message.citations`` holds the structured citations (the `rag ask
--json` ones: n, source, chunk_id, start, end, quote == text[start:end], score, page/section when known) and the
top-level ``rag`` object the rest of that JSON (abstained, mode, confidence, timings...). When streaming, the text
arrives as ``delta.content`` pieces and the last chunk carries ``delta.citations``, ``rag`` and the finish reason.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Generator, Iterator

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from rag.cli import render_sources
from rag.errors import RagError
from rag.types import Answer
from ui.api.context import ApiContext
from ui.api.errors import ApiError, from_rag_error
from ui.api.schemas import ChatCompletionRequest, ChatMessage

log = logging.getLogger(__name__)

MODEL_PREFIX = "rag-"
SOURCES_HEADING = "\n\nSources:\n"
USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
_END = object()


def model_modes(ctx: ApiContext) -> dict[str, str]:
    """Model id -> answer mode, for the modes this server can answer in."""
    return {f"{MODEL_PREFIX}{mode}": mode for mode in ctx.assistant.modes}


def mode_for(model: str, ctx: ApiContext) -> str:
    models = model_modes(ctx)
    if model not in models:
        offered = ", ".join(models)
        hint = "" if "llm" in ctx.assistant.modes else " (rag-llm needs RAG_LLM_BASE_URL on the server)"
        raise ApiError(404, f"The model '{model[:80]}' does not exist; this server offers {offered}{hint}.",
                       code="model_not_found", param="model")
    return models[model]


def split_conversation(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """(question, history): the last user message and the user/assistant turns before it."""
    turns = [m for m in messages if m.role != "system"]
    if not turns:
        raise ApiError(400, "The conversation has no user message; end 'messages' with the question "
                            "({'role': 'user', 'content': ...}).", param="messages")
    if turns[-1].role != "user":
        raise ApiError(400, f"The last message must be the user's question (role 'user'), not role "
                            f"'{turns[-1].role}'.", param="messages")
    history = []
    for message in turns[:-1]:
        text = message.text()
        if message.role == "assistant":  # our own earlier replies: the answer without its Sources list
            text = text.split(SOURCES_HEADING, 1)[0]
        history.append({"role": message.role, "content": text})
    return turns[-1].text(), history


def sources_text(answer: Answer) -> str:
    """What follows the answer text in the message: a blank line and the Sources list (as `rag ask` prints)."""
    tail = render_sources(answer)
    return f"\n{tail}" if tail else ""


def completion(answer: Answer, model: str) -> dict:
    data = answer.to_json()
    citations = data.pop("citations")
    message = {"role": "assistant", "content": answer.answer + sources_text(answer), "citations": citations}
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": dict(USAGE), "rag": data}


class ChunkWriter:
    """SSE lines in the OpenAI chunk shape, all with one id."""

    def __init__(self, model: str):
        self.id, self.created, self.model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), model

    def chunk(self, delta: dict, finish_reason: str | None = None, **extra) -> str:
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    @staticmethod
    def error(err: ApiError) -> str:
        kind = "server_error" if err.status_code >= 500 else "invalid_request_error"
        body = {"error": {"message": err.message, "type": kind, "param": err.param, "code": err.code}}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _next(items: Iterator):
    return next(items, _END)


async def stream_events(ctx: ApiContext, items: Generator[str | Answer, None, None], first, model: str,
                        ) -> AsyncIterator[str]:
    writer = ChunkWriter(model)
    item, final = first, None
    try:
        yield writer.chunk({"role": "assistant", "content": ""})
        while item is not _END:
            if isinstance(item, Answer):
                final = item
            elif item:
                yield writer.chunk({"content": item})
            item = await ctx.answer(_next, items)
        if final is None:
            raise ApiError(500, "The answerer stopped without an answer; try again.")
        tail = sources_text(final)
        if tail:
            yield writer.chunk({"content": tail})
        data = final.to_json()
        citations = data.pop("citations")
        yield writer.chunk({"citations": citations}, "stop", rag=data, usage=dict(USAGE))
        yield "data: [DONE]\n\n"
    except ApiError as err:
        yield writer.error(err)
    except RagError as err:
        yield writer.error(from_rag_error(err))
    except Exception as err:  # the response has started: the error goes into the stream, the traceback to the log
        log.exception("streaming an answer failed")
        yield writer.error(ApiError(500, f"Answering failed ({type(err).__name__}); the server log has the details."))
    finally:
        items.close()


def openai_router(ctx: ApiContext, guard) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], dependencies=[Depends(guard)])

    @router.get("/models", summary="The answer modes, as models")
    async def list_models() -> dict:
        return {"object": "list", "data": [_model(name) for name in model_modes(ctx)]}

    @router.get("/models/{model}", summary="One model")
    async def get_model(model: str) -> dict:
        mode_for(model, ctx)
        return _model(model)

    @router.post("/chat/completions", summary="Answer the last user message, with citations")
    async def chat_completions(body: ChatCompletionRequest):
        mode = mode_for(body.model, ctx)
        question, history = split_conversation(body.messages)
        if not body.stream:
            answer = await ctx.answer(lambda: ctx.assistant.ask(question, k=body.k, history=history, mode=mode))
            return completion(answer, body.model)
        items = ctx.assistant.stream(question, k=body.k, history=history, mode=mode)
        try:
            first = await ctx.answer(_next, items)  # a bad question fails here, as an HTTP error
        except BaseException:
            items.close()
            raise
        return StreamingResponse(stream_events(ctx, items, first, body.model), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return router


def _model(name: str) -> dict:
    return {"id": name, "object": "model", "created": 0, "owned_by": "rag-assistant"}
