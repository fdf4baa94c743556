"""Connecting to the PostgreSQL store: one place that parses RAG_STORE_URL, hides its password and turns every
driver failure into one line naming the setting.
"""

from __future__ import annotations

import os
import re
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rag.errors import ConfigError, StoreUnavailableError

SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_S = 10
_SECRET_PARAMS = {"password", "sslpassword", "passfile"}
_USERINFO_PASSWORD = re.compile(r"://[^:/@?#]*:([^@/?#]*)@")
_QUERY_SECRET = re.compile(r"[?&](?:password|sslpassword|passfile)=([^&#]*)", re.IGNORECASE)


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.strip().lower().startswith(SCHEMES)


def display_url(url: str) -> str:
    """The URL without its password (``postgresql://user@host:5432/db``): the only form ever printed."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            netloc = f"{userinfo.split(':', 1)[0]}@{hostport}"
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                           if k.lower() not in _SECRET_PARAMS])
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:  # malformed: blank the secrets textually
        text = url.strip()
        for secret in _secrets(text):
            text = text.replace(secret, "***")
        return text


def where(url: str) -> str:
    """How messages name the store: the setting and the password-free URL."""
    return f"RAG_STORE_URL={display_url(url)}"


def check_url(url: str) -> None:
    """ConfigError naming RAG_STORE_URL when ``url`` is not a PostgreSQL URL libpq can parse."""
    if not is_postgres_url(url):
        raise ConfigError(f"{where(url)} is not a PostgreSQL URL; use postgresql://user:password@host:port/database "
                          "(or unset RAG_STORE_URL to use the index folder).")
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        raise ConfigError("RAG_STORE_URL needs the PostgreSQL driver: install the scale extra "
                          "(`pip install -e '.[scale]'` or `make install`).") from None
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as err:
        raise ConfigError(f"{where(url)} is not a valid PostgreSQL URL ({_first_line(err, url)}); use "
                          "postgresql://user:password@host:port/database.") from None
    ports = str(params.get("port") or "5432").split(",")
    if not all(p.strip().isdigit() and 0 < int(p) < 65536 for p in ports):
        raise ConfigError(f"{where(url)} is not a valid PostgreSQL URL (port {params.get('port')!r} is not a number "
                          "from 1 to 65535); use postgresql://user:password@host:port/database.")


def connect(url: str, *, autocommit: bool = True, purpose: str = "rag"):
    """An open connection with the pgvector types registered; StoreUnavailableError naming RAG_STORE_URL when
    the server cannot be reached or refuses us."""
    import psycopg

    check_url(url)
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name=f"{purpose} pid {os.getpid()} on {socket.gethostname()}"[:63])
    except psycopg.Error as err:
        raise StoreUnavailableError(f"Cannot connect to the store at {where(url)} ({_first_line(err, url)}); check the "
                                    "URL and that the server is running.") from None
    return conn


def register_vector_types(conn, url: str) -> None:
    """Teach the connection pgvector's ``vector`` type (the extension must exist in the database)."""
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
    except psycopg.Error as err:
        raise StoreUnavailableError(f"The database at {where(url)} has no pgvector extension "
                                    f"({_first_line(err, url)}); run `CREATE EXTENSION vector;` in it as a "
                                    "superuser.") from None


def _secrets(url: str) -> list[str]:
    """Every password in ``url``, found without a URL parser (the URL may be malformed)."""
    found = [m.group(1) for m in _USERINFO_PASSWORD.finditer(url)]
    found += [m.group(1) for m in _QUERY_SECRET.finditer(url)]
    return [s for s in found if s]


def _first_line(err: BaseException, url: str) -> str:
    """The driver's first line, with any password from the URL blanked out (libpq may echo parts of the URL)."""
    lines = str(err).strip().splitlines()
    text = lines[0].strip() if lines else type(err).__name__
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return text
