"""Shared fixtures: paths, settings on a temporary index, the fake and the real embedder, a real seeds index."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_FILE = SEEDS / "000_ae9ece0cf409f084.txt"
SHARED = REPO.parent / "shared"



def pytest_configure(config):
    from rag.runtime import configure

    configure()  # what every entry point does: offline model loading, the regex cache


# Module-scoped fixtures of the llm-mode tests (hash_services, passages).
pytest_plugins = ["tests.support.llm_fixtures"]


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture
def make_settings(tmp_path):
    """Settings pointing at a fresh temporary index (override any field by keyword)."""
    from rag.settings import Settings

    def factory(**overrides):
        values = {"index_dir": tmp_path / "index", "data_dir": tmp_path / "data", "seeds_dir": SEEDS}
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


@pytest.fixture
def fake_embedder():
    from rag.embedding import HashEmbedder

    return HashEmbedder(256)


@pytest.fixture(scope="session")
def real_embedder():
    """The default embedder (the bundled model on ONNX Runtime, int8), as `rag` builds it from the settings."""
    from rag.embedding import make_embedder
    from rag.settings import Settings

    return make_embedder(Settings(_env_file=None))


@pytest.fixture(scope="session")
def seeds_index_dir(tmp_path_factory, real_embedder) -> Path:
    """A real index of seeds/ built once per session with the bundled model (read-only for tests)."""
    from rag.ingest.indexer import index_paths
    from rag.settings import Settings

    index_dir = tmp_path_factory.mktemp("seeds-index") / "index"
    index_paths([SEEDS], Settings(_env_file=None, index_dir=index_dir), embedder=real_embedder)
    return index_dir


@pytest.fixture(scope="session")
def seeds_services(seeds_index_dir, real_embedder):
    """Services (assistant, store) over the real seeds index, sharing the session's warm model."""
    from rag.services import build_services
    from rag.settings import Settings

    return build_services(Settings(_env_file=None, index_dir=seeds_index_dir), embedder=real_embedder)


@pytest.fixture(scope="session")
def pg_server():
    """The tests' private PostgreSQL 16 + pgvector server (pgserver), started once, removed at exit."""
    from tests.support.pg_server import server

    return server()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a fresh, empty database on the tests' PostgreSQL server."""
    from tests.support.pg_server import fresh_database

    return fresh_database()
