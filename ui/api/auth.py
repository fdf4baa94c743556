"""API keys (``RAG_API_KEYS``, comma-separated) sent as ``Authorization: Bearer KEY`` on every /v1 and /api route.

The API is open only where the chat is: on a loopback address without a chat login. Beyond loopback the server
refuses to start without keys (as it refuses without a chat login); with a chat login but no keys the API stays
locked, so it never opens a way around the login.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag.errors import ConfigError
from rag.settings import Settings
from ui.api.errors import ApiError
from ui.launch import auth_pair, is_loopback

MIN_KEY_CHARS = 8
BEARER = HTTPBearer(auto_error=False, description="A key from RAG_API_KEYS (when the server needs one).")


def api_keys(settings: Settings) -> tuple[str, ...]:
    """The configured keys; refuses short keys and an exposed bind without any."""
    raw = settings.api_keys.get_secret_value() if settings.api_keys else ""
    keys = tuple(dict.fromkeys(k.strip() for k in raw.split(",") if k.strip()))
    short = [k for k in keys if len(k) < MIN_KEY_CHARS]
    if short:
        raise ConfigError(f"RAG_API_KEYS has a key of {len(short[0])} characters; use keys of at least "
                          f"{MIN_KEY_CHARS} random characters (e.g. `openssl rand -hex 24`).")
    if not keys and not is_loopback(settings.host):
        raise ConfigError(f"Refusing to serve the API on {settings.host} without keys; set RAG_API_KEYS "
                          "(comma-separated bearer keys), or bind to 127.0.0.1.")
    return keys


@dataclass(frozen=True)
class KeyCheck:
    """A FastAPI dependency: passes a request with a valid bearer key, or any request when none is needed."""

    keys: tuple[str, ...]
    required: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyCheck:
        keys = api_keys(settings)
        return cls(keys, bool(keys) or auth_pair(settings) is not None or not is_loopback(settings.host))

    def check(self, authorization: str) -> None:
        """Raise a 401 ApiError unless the Authorization header value carries a valid key (or none is needed)."""
        if not self.required:
            return
        challenge = {"WWW-Authenticate": "Bearer"}
        if not self.keys:
            raise ApiError(401, "The API is locked because the chat has a login and RAG_API_KEYS is not set; set "
                                "RAG_API_KEYS on the server and send one of its keys as 'Authorization: Bearer KEY'.",
                           code="invalid_api_key", headers=challenge)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Missing API key; send the header 'Authorization: Bearer KEY' with a key from "
                                "RAG_API_KEYS.", code="invalid_api_key", headers=challenge)
        if not any(hmac.compare_digest(token.encode(), key.encode()) for key in self.keys):
            raise ApiError(401, "Invalid API key; use one of the keys in the server's RAG_API_KEYS.",
                           code="invalid_api_key", headers=challenge)

    def __call__(self, request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        """As a route dependency: the same check (ApiGate has made it already) and the bearer scheme in /docs."""
        self.check(request.headers.get("authorization", ""))
