"""Fast tests of the documents panel logic, the launch safety checks and the app wiring (fake embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.errors import ConfigError, LoadError
from rag.ingest.indexer import index_paths
from rag.store.snapshot import read_manifest
from tests.conftest import SEED_FILE
from ui.documents import (
    add_documents,
    delete_document,
    documents_table_html,
    index_status,
    sanitize_filename,
    save_upload,
    uploads_dir,
)
from ui.launch import auth_pair, is_loopback


@pytest.mark.parametrize("name, expected", [
    ("../../x.md", "x.md"),
    ("..\\..\\windows\\evil.TXT", "evil.txt"),
    ("/etc/passwd", "passwd"),
    (".bashrc.md", "bashrc.md"),
    ("..", "upload"),
    ("", "upload"),
    ("résumé 2024 (final)!.docx", "resume 2024_final.docx"),
    ("a\nb\x00c.md", "a_b_c.md"),
    ("<img src=x onerror=alert(1)>.html", "img src_x onerror_alert_1.html"),
])
def test_sanitize_filename(name, expected):
    assert sanitize_filename(name) == expected


def test_sanitize_filename_limits_length_and_keeps_suffix():
    name = sanitize_filename("a" * 500 + ".pdf")
    assert len(name) <= 120 and name.endswith(".pdf")


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_upload_with_traversal_name_stays_inside_the_uploads_folder(tmp_path, make_settings):
    settings = make_settings()
    src = _write(tmp_path / "in" / "x.md", "Zebrafish live in tank seven.")
    saved = save_upload(src, "../../../x.md", settings)
    assert saved.parent.resolve() == uploads_dir(settings).resolve()
    assert saved.name == "x.md"
    assert not (tmp_path / "x.md").exists()


def test_same_name_other_content_is_deduplicated_same_content_is_reused(tmp_path, make_settings):
    settings = make_settings()
    first = save_upload(_write(tmp_path / "a" / "n.md", "one"), "n.md", settings)
    second = save_upload(_write(tmp_path / "b" / "n.md", "two"), "n.md", settings)
    again = save_upload(_write(tmp_path / "c" / "n.md", "one"), "n.md", settings)
    assert (first.name, second.name, again) == ("n.md", "n-1.md", first)
    assert second.read_text() == "two"


def test_size_limit_binary_and_unsupported_are_refused_with_a_reason(tmp_path, make_settings):
    settings = make_settings(max_upload_mb=0.001)
    big = _write(tmp_path / "big.txt", "word " * 1000)
    with pytest.raises(LoadError, match=r"big.txt: is .* MB, over the 0.001 MB upload limit"):
        save_upload(big, "big.txt", settings)
    settings = make_settings()
    with pytest.raises(LoadError, match="binary"):
        save_upload(_write(tmp_path / "blob.txt", b"PK\x03\x04\x00\x00\xff\xfe\x00"), "blob.txt", settings)
    with pytest.raises(LoadError, match="unsupported file type '.exe'"):
        save_upload(_write(tmp_path / "tool.exe", b"MZ"), "tool.exe", settings)
    with pytest.raises(LoadError, match="empty"):
        save_upload(_write(tmp_path / "empty.md", "  \n"), "empty.md", settings)
    leftovers = list(uploads_dir(settings).iterdir()) if uploads_dir(settings).exists() else []
    assert leftovers == []  # refused files leave nothing behind, not even hidden temporaries


def test_add_and_delete_documents_keep_existing_content(tmp_path, make_settings, fake_embedder):
    settings = make_settings()
    index_paths([SEED_FILE], settings, embedder=fake_embedder)
    before = read_manifest(settings.index_dir)["documents"]
    good = _write(tmp_path / "in" / "notes.md", "# Notes\n\nThe zebrafish colony moved to the blue room.")
    bad = _write(tmp_path / "in" / "blob.txt", b"\x00\x01binary\x00")
    progress: list[tuple[int, int]] = []
    result = add_documents([(good, "notes.md"), (bad, "blob.txt")], settings, fake_embedder,
                           progress=lambda done, total: progress.append((done, total)))
    assert result.indexed == ["notes.md"]
    assert result.errors == ["blob.txt: looks like a binary file, not text"]
    assert progress and progress[-1][0] == progress[-1][1]
    docs = read_manifest(settings.index_dir)["documents"]
    saved = str((uploads_dir(settings) / "notes.md").resolve())
    assert saved in docs and all(docs[s] == before[s] for s in before)

    only_bad = add_documents([(bad, "blob.txt")], settings, fake_embedder)
    assert not only_bad.indexed and only_bad.errors and "Nothing was added" in only_bad.summary
    assert read_manifest(settings.index_dir)["documents"] == docs

    message = delete_document(saved, settings, fake_embedder)
    assert "Removed notes.md" in message
    assert not Path(saved).exists()
    assert read_manifest(settings.index_dir)["documents"] == before
    delete_document(str(SEED_FILE.resolve()), settings, fake_embedder)
    assert SEED_FILE.exists()  # only our own uploads are deleted from disk
    assert read_manifest(settings.index_dir)["documents"] == {}


def test_documents_table_and_status_escape_names(tmp_path):
    manifest = {"documents": {"/u/<img src=x onerror=alert(1)>.md": {"chunks": 2, "chars": 10}},
                "embedding": {"model": "sentence-transformers/all-MiniLM-L6-v2", "dim": 384},
                "updated_at": "2026-11-27T23:40:00+0000"}
    table = documents_table_html(manifest, tmp_path)
    assert "<img" not in table and "&lt;img" in table
    assert index_status(manifest, "extractive") == (
        "1 document · 2 chunks · all-MiniLM-L6-v2 (384-d) · updated 2026-11-27 23:40 · extractive answers")
    assert "No index yet" in index_status(None, "extractive")


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_non_loopback_bind_needs_a_login(make_settings):
    assert auth_pair(make_settings()) is None
    with pytest.raises(ConfigError, match="Refusing to serve on 0.0.0.0 without a login"):
        auth_pair(make_settings(host="0.0.0.0"))
    with pytest.raises(ConfigError, match="both RAG_AUTH_USER and RAG_AUTH_PASSWORD"):
        auth_pair(make_settings(host="0.0.0.0", auth_user="ann"))
    assert auth_pair(make_settings(host="0.0.0.0", auth_user="ann", auth_password="s3cret")) == ("ann", "s3cret")


def test_serve_refuses_an_exposed_bind_without_login(monkeypatch, tmp_path):
    from rag.cli import cli

    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    monkeypatch.delenv("RAG_AUTH_USER", raising=False)
    monkeypatch.delenv("RAG_AUTH_PASSWORD", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--index-dir", str(tmp_path / "ix")],
                                standalone_mode=False)
    assert isinstance(result.exception, ConfigError)
    assert "RAG_AUTH_USER" in str(result.exception)


def test_create_app_exposes_only_the_ask_endpoint(make_settings, fake_embedder):
    from rag.services import build_services
    from ui.app import create_app

    settings = make_settings()
    index_paths([SEED_FILE], settings, embedder=fake_embedder)
    app = create_app(settings, build_services(settings, embedder=fake_embedder))
    public = [d.api_name for d in app.fns.values() if d.api_visibility == "public"]
    assert public == ["ask"]
    assert app._queue.default_concurrency_limit == settings.concurrency_limit
