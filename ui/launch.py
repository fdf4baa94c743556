"""Launching the chat with safe defaults: loopback bind, no share link, upload limit, login when exposed."""

from __future__ import annotations

import ipaddress

from rag.errors import ConfigError
from rag.settings import Settings
from ui.assets import CSS, make_theme


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


def launch_app(app, settings: Settings, block: bool = True, quiet: bool = True) -> str:
    """Start the server for ``app`` and return its URL; with ``block`` keep serving until interrupted."""
    auth = auth_pair(settings)
    app.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        auth=auth,
        auth_message="Log in to ask your documents." if auth else None,
        max_file_size=int(settings.max_upload_mb * 2**20),
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
        inbrowser=False,
        prevent_thread_lock=True,
        quiet=quiet,
        theme=make_theme(),
        css=CSS,
        footer_links=["api"],
    )
    url = app.local_url
    if block:
        print(f"Chat running at {url} (Ctrl+C to stop)", flush=True)
        app.block_thread()
    return url
