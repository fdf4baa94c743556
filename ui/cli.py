"""`rag serve`: build the services once (model kept warm), then serve the chat."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("serve")
@click.option("--host", help="Address to bind (default 127.0.0.1, RAG_HOST); non-loopback needs RAG_AUTH_* and "
              "RAG_API_KEYS.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default 7860, RAG_PORT).")
@click.option("--index-dir", type=click.Path(path_type=Path), help="Index folder (default: index/, RAG_INDEX_DIR).")
@click.option("--watch", "watch", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Keep this folder indexed while serving: added, changed, renamed and deleted files are picked up "
                   "within seconds (repeatable).")
@click.option("--store-url", help="PostgreSQL URL of a shared store (default: RAG_STORE_URL; unset: the index folder).")
def serve(host, port, index_dir, watch, store_url):
    """Serve the browser chat, its /ask endpoint and the HTTP API (/v1, /api, /docs) on http://HOST:PORT."""
    from rag.runtime import configure
    from rag.services import build_services, ensure_default_index
    from rag.settings import load_settings
    from ui.api.auth import api_keys
    from ui.documents import current_manifest, index_status
    from ui.launch import auth_pair, check_port_free

    settings = load_settings(host=host, port=port, index_dir=index_dir, store_url=store_url)
    configure(settings)
    auth_pair(settings)  # refuse an unsafe bind before loading anything heavy
    api_keys(settings)
    check_port_free(settings.host, settings.port)  # and a taken port
    ensure_default_index(settings, echo=lambda line: click.echo(line, err=True))
    services = build_services(settings)
    manifest = current_manifest(services)
    if manifest is None:
        click.echo(f"No index in {services.store.location} yet; add documents from the Documents tab.", err=True)
    else:
        click.echo(f"Index {services.store.location}: "
                   f"{index_status(manifest, services.assistant.effective_mode())}", err=True)
    services.embedder.embed_array(["warm up"])  # load the model now, not on the first question
    if watch:
        from rag.ingest.watch import Watcher

        Watcher(watch, settings, services.embedder, echo=lambda line: click.echo(line, err=True)).start()

    from ui.app import create_app
    from ui.launch import launch_app

    launch_app(create_app(settings, services), settings, services=services)
