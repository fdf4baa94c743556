"""Every API error is one clear sentence, in the shape its caller expects.

On ``/v1`` (the OpenAI-compatible routes) the shape is OpenAI's, which the official clients parse:
``{"error": {"message", "type", "param", "code"}}``. On ``/api`` it is ``{"error": message, "code": code}``.
Bad JSON, missing fields and wrong types are 400/422 with the first problem named; an unexpected failure is a
500 with a one-line message (the traceback goes to the server log, never to the client).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    ConfigError,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexMissingError,
    LLMError,
    RagError,
)

log = logging.getLogger(__name__)

OPENAI_PREFIX = "/v1"
_CODES = {400: "invalid_request", 401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "request_too_large", 415: "unsupported_media_type", 422: "invalid_request",
          502: "upstream_error", 503: "unavailable"}


class ApiError(StarletteHTTPException):
    """An error answered to the client as is: HTTP ``status`` and one sentence ``message``."""

    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 headers: Mapping[str, str] | None = None):
        super().__init__(status, message, headers=headers)
        self.message = message
        self.code = code or _CODES.get(status, "server_error" if status >= 500 else "invalid_request")
        self.param = param


def from_rag_error(err: RagError) -> ApiError:
    """The HTTP status a RagError deserves: the index missing or broken is 503, busy 409, the LLM 502, the rest 400."""
    if isinstance(err, IndexMissingError | IndexCorruptError | IndexMismatchError):
        return ApiError(503, str(err), code="index_unavailable")
    if isinstance(err, IndexLockedError):
        return ApiError(409, str(err), code="index_busy")
    if isinstance(err, LLMError):
        return ApiError(502, str(err))
    return ApiError(400, str(err), code="invalid_config" if isinstance(err, ConfigError) else None)


def error_response(request: Request, err: ApiError) -> JSONResponse:
    if request.url.path == OPENAI_PREFIX or request.url.path.startswith(OPENAI_PREFIX + "/"):
        kind = "server_error" if err.status_code >= 500 else "invalid_request_error"
        body = {"error": {"message": err.message, "type": kind, "param": err.param, "code": err.code}}
    else:
        body = {"error": err.message, "code": err.code}
    return JSONResponse(body, status_code=err.status_code, headers=err.headers)


def _where(loc: tuple) -> str:
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe_validation(errors: list[dict]) -> tuple[str, str | None]:
    """One sentence for the first problem of a request (and how many more there are), and the field at fault."""
    if not errors:
        return "The request is not valid.", None
    first = errors[0]
    where = _where(tuple(first.get("loc", ())))
    kind = first.get("type", "")
    if kind == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "")
        return f"The request body is not valid JSON{f' ({detail})' if detail else ''}; send a JSON object.", None
    if kind in ("missing", "model_attributes_type", "dict_type") and not where:
        body = first.get("input")
        if body in (None, b"", ""):
            return "The request needs a JSON body (Content-Type: application/json).", None
        if isinstance(body, bytes | str):
            return "The request body is not JSON; send a JSON object with Content-Type: application/json.", None
        return "The request body must be a JSON object.", None
    message = first.get("msg", "is not valid").removeprefix("Value error, ").rstrip(".")
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        message = "is not a field of this request"
    else:
        value = first.get("input")
        if isinstance(value, str | int | float | bool) or value is None:
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            message += f" (got {shown})"
    rest = len(errors) - 1
    more = f" ({rest} more problem{'s' if rest > 1 else ''} after this one)" if rest else ""
    return f"{where or 'The request'}: {message}.{more}", where or None


def install_error_handlers(app: FastAPI) -> None:
    """Our routes answer errors in their own shape; the mounted chat keeps Gradio's handling."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, ApiError):
            return error_response(request, exc)
        message = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        if exc.status_code == 404:
            message = f"No such route: {request.method} {request.url.path}; see /docs for the API."
        elif exc.status_code == 400 and message == "There was an error parsing the body":
            message = "The request body could not be read; send JSON (or multipart/form-data for uploads)."
        return error_response(request, ApiError(exc.status_code, message, headers=exc.headers))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = describe_validation(list(exc.errors()))
        status = 400 if any(e.get("type") == "json_invalid" for e in exc.errors()) else 422
        return error_response(request, ApiError(status, message, param=param))

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        return error_response(request, from_rag_error(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        if not request.url.path.startswith(("/api", OPENAI_PREFIX)):
            return JSONResponse({"error": "Internal server error."}, status_code=500)
        return error_response(request, ApiError(
            500, f"The server failed while handling this request ({type(exc).__name__}); its log has the details."))
