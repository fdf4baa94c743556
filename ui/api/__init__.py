"""The HTTP API beside the chat, on the `rag serve` port: OpenAI-compatible /v1 routes and the /api REST routes.

``install_api(app, settings, services)`` adds the routes, the gate (key check, body limits) and the error shapes to
the FastAPI app the chat is mounted in (ui/server.py); routes under /v1 and /api that do not exist, or a method a
route does not take, are answered here (404/405 in the API's error shape), never by the chat.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute

from rag.settings import Settings
from ui.api.auth import KeyCheck
from ui.api.context import ApiContext
from ui.api.document_routes import documents_router
from ui.api.errors import ApiError, install_error_handlers
from ui.api.gate import ApiGate
from ui.api.openai_compat import openai_router
from ui.api.rest import rest_router

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def install_api(app: FastAPI, settings: Settings, services) -> ApiContext:
    ctx = ApiContext(settings, services)
    guard = KeyCheck.from_settings(settings)
    install_error_handlers(app)
    app.add_middleware(ApiGate, settings=settings, keys=guard)
    routers = [openai_router(ctx, guard), rest_router(ctx, guard), documents_router(ctx, guard)]
    for router in routers:
        app.include_router(router)
    routes = [route for router in routers for route in router.routes if isinstance(route, APIRoute)]

    def unmatched(request: Request):
        path = request.url.path
        allowed = sorted({m for route in routes if route.path_regex.match(path) for m in route.methods or ()})
        if allowed:
            raise ApiError(405, f"{request.method} is not allowed on {path}; use {' or '.join(allowed)}.",
                           headers={"Allow": ", ".join(allowed)})
        raise ApiError(404, f"No such route: {request.method} {path}; the API is documented at /docs.")

    for prefix in ("/v1", "/api"):
        for path in (prefix, prefix + "/{rest:path}"):
            app.add_api_route(path, unmatched, methods=ALL_METHODS, include_in_schema=False)
    return ctx
