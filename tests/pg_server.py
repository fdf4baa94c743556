"""A private PostgreSQL 16 + pgvector server for the tests (the ``pgserver`` package of the scale extra), started
once per test process in a temporary folder and removed at exit, and fresh empty databases on it.

Plain functions rather than only fixtures, so the store contract suite's backend factory can use them too.
"""

from __future__ import annotations

import functools
import tempfile
import uuid
from pathlib import Path


@functools.cache
def server():
    import pgserver

    root = Path(tempfile.mkdtemp(prefix="rag-pg-"))
    return pgserver.get_server(root / "data", cleanup_mode="delete")


def admin_url() -> str:
    return server().get_uri()


def fresh_database(prefix: str = "test") -> str:
    """The URL of a new, empty database (no pgvector extension yet: the store creates it)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server().get_uri(name)
