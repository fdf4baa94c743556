"""PostgreSQL helpers of `rag bench`: a scale point runs in a scratch database of its own on the server the user
names (--store-url), so measuring never touches the data of the store at that URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from rag.errors import StoreUnavailableError


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def scratch_database(url: str, prefix: str) -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random> on the server of ``url``, yield its URL, DROP it afterwards."""
    import psycopg
    from psycopg import sql

    from rag.store.postgres.connection import connect, where

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with connect(url, purpose="rag bench") as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as err:
            raise StoreUnavailableError(f"`rag bench` needs to create a scratch database on the server of "
                                        f"{where(url)} ({str(err).splitlines()[0]}); use a user with "
                                        "CREATEDB.") from None
    try:
        yield with_database(url, name)
    finally:
        with connect(url, purpose="rag bench") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_size_mb(url: str) -> float:
    from rag.store.postgres.connection import connect

    with connect(url, purpose="rag bench") as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return row[0] / 2**20 if row else 0.0
