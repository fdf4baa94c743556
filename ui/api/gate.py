"""The gate in front of every /v1 and /api request: the API key first, then the body size.

Checking here, before FastAPI reads anything, means a request without a valid key gets its 401 whatever its
body, path or method. JSON bodies may be at most ``MAX_JSON_BYTES``; an upload request at most
``RAG_MAX_UPLOAD_MB`` plus room for the multipart framing (each file is then checked against ``RAG_MAX_UPLOAD_MB``
by the chat's own upload check). A body is refused with 413 as soon as its declared length or the bytes actually
received pass the limit, so an oversized request is never held in memory or written to disk. The chat's routes
pass through untouched (Gradio applies its login and upload limit).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.settings import Settings
from ui.api.auth import KeyCheck
from ui.api.errors import ApiError, error_response

API_PREFIXES = ("/v1", "/api")
MAX_JSON_BYTES = 1 << 20
MULTIPART_SLACK_BYTES = 64 << 10


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES)


def body_limit(settings: Settings, path: str, method: str) -> tuple[int, str]:
    """(byte limit, what to say when it is passed) for an API request."""
    if path.rstrip("/") == "/api/documents" and method == "POST":
        mb = settings.max_upload_mb
        return (int(mb * 2**20) + MULTIPART_SLACK_BYTES,
                f"The upload is larger than the {mb:g} MB limit (RAG_MAX_UPLOAD_MB); send smaller files, or one "
                "file per request.")
    return MAX_JSON_BYTES, f"The request body is larger than {MAX_JSON_BYTES // 1024} KB; send a shorter request."


class ApiGate:
    def __init__(self, app: ASGIApp, settings: Settings, keys: KeyCheck):
        self.app, self.settings, self.keys = app, settings, keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limit, message = body_limit(self.settings, scope["path"], scope["method"])
        declared = request.headers.get("content-length", "")
        try:
            self.keys.check(request.headers.get("authorization", ""))
            if declared.isdigit() and int(declared) > limit:
                raise ApiError(413, message)
        except ApiError as err:
            await error_response(request, err)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    raise ApiError(413, message)
            return incoming

        await self.app(scope, limited, send)
