"""Launching the chat with safe defaults: loopback bind, no share link, upload limit, login when exposed."""

from __future__ import annotations

import errno
import ipaddress
import socket

from rag.errors import ConfigError
from rag.settings import Settings


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_pair(settings: Settings) -> tuple[str, str] | None:
    """The (user, password) login, or None; refuses a half-configured login and an exposed bind without one."""
    user = (settings.auth_user or "").strip()
    password = settings.auth_password.get_secret_value() if settings.auth_password else ""
    if bool(user) != bool(password):
        raise ConfigError("Set both RAG_AUTH_USER and RAG_AUTH_PASSWORD for the login, not only one of them.")
    if not user and not is_loopback(settings.host):
        raise ConfigError(
            f"Refusing to serve on {settings.host} without a login; set RAG_AUTH_USER and RAG_AUTH_PASSWORD, "
            "or bind to 127.0.0.1."
        )
    return (user, password) if user else None


def port_in_use(host: str, port: int) -> ConfigError:
    return ConfigError(f"port {port} on {host} is in use; choose another with --port or RAG_PORT.")


def check_port_free(host: str, port: int) -> int:
    """The port to serve on: ``port`` once a test bind shows it free, or for 0 one the system picks (Gradio
    cannot serve on port 0 itself); ConfigError (one line) when it cannot be listened on, before anything slow
    is loaded. The bind mirrors the server's (SO_REUSEADDR, as uvicorn and Gradio set)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            return probe.getsockname()[1]
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise port_in_use(host, port) from None
        raise ConfigError(f"Cannot listen on {host} port {port} ({err.strerror or err}); choose another address "
                          "with --host/--port or RAG_HOST/RAG_PORT.") from None


def launch_app(app, settings: Settings, block: bool = True, services=None) -> str:
    """Serve the chat ``app`` (and, given ``services``, the HTTP API beside it) and return its URL; with ``block``
    keep serving until interrupted. ``app.close()`` stops the server."""
    from ui.server import BackgroundServer, create_server_app

    auth = auth_pair(settings)
    if services is not None:
        from ui.api.auth import api_keys

        api_keys(settings)  # refuse an exposed API without keys
    server = BackgroundServer(create_server_app(app, settings, auth, services), settings)
    url = server.start()
    app.server, app.local_url = server, url  # so Blocks.close() and block_thread() stop this server
    if block:
        print(f"Chat running at {url} (Ctrl+C to stop)", flush=True)
        app.block_thread()
    return url
