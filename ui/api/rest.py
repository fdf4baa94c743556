"""The small REST API: ``POST /api/ask`` (the `rag ask --json` object), ``POST /api/search`` (passages with
scores, no answer) and ``GET /api/health`` (index, model, answer modes). Documents live in document_routes.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

import rag
from rag.errors import ConfigError
from ui.api.context import ApiContext
from ui.api.results import search_json
from ui.api.schemas import AnswerOut, AskRequest, ErrorOut, HealthOut, SearchOut, SearchRequest
from ui.documents import current_manifest

ERRORS: dict[int | str, dict[str, Any]] = {  # FastAPI's `responses=` type
    400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}}


def check_mode(ctx: ApiContext, mode: str | None) -> None:
    if mode == "llm" and "llm" not in ctx.assistant.modes:
        raise ConfigError("mode 'llm' needs RAG_LLM_BASE_URL (an OpenAI-compatible endpoint) on the server; "
                          "leave mode out for extractive answers.")


def health(ctx: ApiContext) -> dict:
    manifest = current_manifest(ctx.services)
    index = None
    if manifest:
        index = {"documents": len(manifest.get("documents", {})),
                 "chunks": sum(int(d.get("chunks", 0)) for d in manifest.get("documents", {}).values()),
                 "updated_at": manifest.get("updated_at"), "snapshot": manifest.get("snapshot"),
                 "embedding": manifest.get("embedding"), "dense_index": manifest.get("dense_index")}
    return {"status": "ok" if index else "no_index", "index": index,
            "store": {"kind": type(ctx.services.store).__name__, "location": ctx.services.store.location},
            "model": ctx.services.embedder.model_id, "answer_mode": ctx.assistant.effective_mode(),
            "modes": ctx.assistant.modes, "version": rag.__version__}


def rest_router(ctx: ApiContext, guard) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["REST"], dependencies=[Depends(guard)], responses=ERRORS)

    @router.post("/ask", summary="Answer a question (the `rag ask --json` object)",
                 responses={200: {"model": AnswerOut}})
    async def ask(body: AskRequest) -> dict:
        check_mode(ctx, body.mode)
        history = [turn.model_dump() for turn in body.history] or None
        answer = await ctx.answer(lambda: ctx.assistant.ask(body.question, k=body.k, history=history,
                                                            mode=body.mode))
        return answer.to_json()

    @router.post("/search", summary="Retrieve passages with their scores (no answer)",
                 responses={200: {"model": SearchOut}})
    async def search_passages(body: SearchRequest) -> dict:
        return await ctx.answer(search_json, ctx.assistant, body.query, body.k)

    @router.get("/health", summary="Index, store, model and answer modes", responses={200: {"model": HealthOut}})
    async def get_health() -> dict:
        return await ctx.answer(health, ctx)

    return router
