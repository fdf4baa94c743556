"""One process, one port: a FastAPI app with the API routes (ui/api) and the Gradio chat mounted at "/", served by
uvicorn. ``launch_app`` (ui/launch.py) starts it; the chat keeps every launch setting it had (login, upload limit,
no share link, no SSR, no Gradio MCP, API page in the footer).
"""

from __future__ import annotations

import threading
import time

import gradio as gr
import uvicorn
from fastapi import FastAPI

import rag
from rag.settings import Settings
from ui.assets import CSS, make_theme

START_TIMEOUT = 60.0


def create_server_app(blocks: gr.Blocks, settings: Settings, auth: tuple[str, str] | None,
                      services=None) -> FastAPI:
    """The chat mounted at "/", with the API routes in front of it when ``services`` is given."""
    with_api = services is not None
    app = FastAPI(title="rag-assistant API", version=rag.__version__,
                  description="Answers from your documents with verbatim citations. See docs/API.md.",
                  docs_url="/docs" if with_api else None, redoc_url=None,
                  openapi_url="/openapi.json" if with_api else None)
    if with_api:
        from ui.api import install_api

        install_api(app, settings, services)
    return gr.mount_gradio_app(
        app, blocks, path="/", server_name=settings.host, server_port=settings.port,
        auth=auth, auth_message="Log in to ask your documents." if auth else None,
        max_file_size=int(settings.max_upload_mb * 2**20), show_error=False, ssr_mode=False, mcp_server=False,
        enable_monitoring=False, theme=make_theme(), css=CSS, footer_links=["api"],
    )


class BackgroundServer(uvicorn.Server):
    """uvicorn in a daemon thread; ``close()`` stops it (Blocks.close() calls it too, see launch_app)."""

    def __init__(self, app: FastAPI, settings: Settings):
        super().__init__(uvicorn.Config(app, host=settings.host.strip("[]"), port=settings.port,
                                        log_level="warning", timeout_graceful_shutdown=5))
        self.settings = settings
        self.thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve in the background and return the URL once the port is listening."""
        self.thread = threading.Thread(target=self.run, name="rag-serve", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.should_exit = True
                from ui.launch import port_in_use  # noqa: PLC0415 - ui.launch imports this module

                raise port_in_use(self.settings.host, self.settings.port)
            time.sleep(0.02)
        return self.url

    @property
    def url(self) -> str:
        port = self.servers[0].sockets[0].getsockname()[1] if self.servers else self.settings.port
        host = self.settings.host
        host = "localhost" if host == "0.0.0.0" else (f"[{host}]" if ":" in host and "[" not in host else host)
        return f"http://{host}:{port}/"

    def close(self) -> None:
        self.should_exit = True
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=10)
