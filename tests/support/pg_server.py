"""A private PostgreSQL 16 + pgvector server for the tests (the ``pgserver`` package of the scale extra), started
once per test process in a temporary folder and removed at exit; fresh empty databases on it; small helpers.

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
    return pgserver.get_server(root, cleanup_mode="delete")  # the whole folder goes at exit, not only data/


def admin_url() -> str:
    return server().get_uri()


def fresh_database(prefix: str = "test") -> str:
    """The URL of a new, empty database (no pgvector extension yet: the store creates it)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server().get_uri(name)


def admin(sql: str, params=None, url: str | None = None):
    """Run one statement as the superuser (on the maintenance database unless ``url``); its rows, if any."""
    import psycopg

    with psycopg.connect(url or admin_url(), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def rag(args, capsys) -> tuple[int, str, str]:
    """Run `rag ARGS` in-process as the console script does; (exit code, stdout, stderr)."""
    from rag.cli import main

    try:
        main(args)
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err
