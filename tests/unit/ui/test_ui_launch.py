"""The app launched in-process on a real HTTP port (fake embedder, so it is quick): login and the /ask API."""

from __future__ import annotations

import pytest

from rag.answering.llm_server import free_port
from rag.ingest.indexer import index_paths
from tests.conftest import SEED_FILE


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    from rag.embedding import HashEmbedder
    from rag.services import build_services
    from rag.settings import Settings
    from ui.app import create_app
    from ui.launch import launch_app

    root = tmp_path_factory.mktemp("ui-login")
    embedder = HashEmbedder(256)
    settings = Settings(_env_file=None, index_dir=root / "index", data_dir=root / "data", port=free_port(),
                        auth_user="ann", auth_password="correct horse", max_upload_mb=0.01)
    index_paths([SEED_FILE], settings, embedder=embedder)
    app = create_app(settings, build_services(settings, embedder=embedder))
    url = launch_app(app, settings, block=False)
    yield url
    app.close()


@pytest.mark.server
def test_login_is_required_when_configured(login_server):
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError, match="credentials were not provided"):
        Client(login_server, verbose=False)
    client = Client(login_server, auth=("ann", "correct horse"), verbose=False)
    result = client.predict("Where did Kim welcome Putin?", api_name="/ask")
    assert isinstance(result, dict) and set(result) >= {"answer", "citations", "abstained", "timings_ms"}


@pytest.mark.server
def test_wrong_password_is_refused(login_server):
    from gradio_client import Client

    with pytest.raises(ValueError, match="Could not login"):
        Client(login_server, auth=("ann", "wrong"), verbose=False)


@pytest.mark.server
def test_uploads_need_the_login_and_respect_the_size_limit(login_server):
    import httpx

    with httpx.Client(base_url=login_server) as http:
        refused = http.post("/gradio_api/upload", files={"files": ("a.md", b"x" * 100)})
        assert refused.status_code == 401
        assert http.post("/login", data={"username": "ann", "password": "correct horse"}).status_code == 200
        assert http.post("/gradio_api/upload", files={"files": ("a.md", b"x" * 100)}).status_code == 200
        too_big = http.post("/gradio_api/upload", files={"files": ("b.md", b"x" * 20_000)})
        assert too_big.status_code == 413 and "maximum allowed size" in too_big.text
