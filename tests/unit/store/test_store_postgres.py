"""The PostgreSQL store beyond the contract suite: the `rag` commands against a real server (pgserver's
PostgreSQL 16 + pgvector), the same rankings as the FAISS store, other processes' writes seen by readers, and
every bad RAG_STORE_URL as one line naming the setting, with nothing written and no password printed.
"""

from __future__ import annotations

import json
import shutil
import uuid

import pytest

from tests.conftest import SEED_FILE, SEEDS
from tests.support.pg_server import admin, rag

QUESTIONS = ["Which missile has North Korea likely provided to Russia?", "Where did Kim welcome Putin?",
             "Who represented Australia at the IP4 meeting?", "What did the treaty promise?"]


def tables_in(url: str) -> list[str]:
    return [r[0] for r in admin("SELECT table_name FROM information_schema.tables WHERE table_schema = 'rag'",
                                url=url)]


@pytest.fixture
def hashed(monkeypatch):
    """CLI runs with the deterministic hashing embedder (fast; the real model is used in the parity test)."""
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash:256")
    monkeypatch.delenv("RAG_STORE_URL", raising=False)


def test_index_ask_check_through_the_cli(pg_url, hashed, tmp_path, capsys, seed_text):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED_FILE, docs / "article.txt")
    code, out, err = rag(["index", str(docs), "--store-url", pg_url, "--quiet"], capsys)
    assert code == 0, err
    assert "1 added, 0 changed, 0 removed" in out
    code, out, _ = rag(["index", str(docs), "--store-url", pg_url, "--quiet"], capsys)
    assert "0 added, 0 changed, 0 removed" in out
    code, out, err = rag(["ask", QUESTIONS[0], "--store-url", pg_url, "--json"], capsys)
    assert code == 0, err
    answer = json.loads(out)
    assert answer["citations"]
    for c in answer["citations"]:
        assert seed_text[c["start"]:c["end"]] == c["quote"] and c["source"].endswith("article.txt")
    code, out, err = rag(["index", "--check", "--store-url", pg_url], capsys)
    assert code == 0, out + err
    assert "is sound: snapshot version 1, 1 documents" in out


def test_readers_see_writes_of_other_processes_and_keep_their_view(pg_url, make_settings, fake_embedder, tmp_path):
    """Two store objects stand for two processes (no state shared in Python): one writes, the other's next
    view() has the write; a view taken before keeps answering from its own snapshot."""
    from rag.ingest.indexer import index_paths
    from rag.store.postgres import PostgresStore

    settings = make_settings(store_url=pg_url)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Penguins live in Antarctica and eat krill.\n", encoding="utf-8")
    index_paths([docs], settings, embedder=fake_embedder, store=PostgresStore(pg_url, settings))
    reader = PostgresStore(pg_url, settings)
    old = reader.view()
    assert set(old.documents()) == {str((docs / "a.txt").resolve())}
    assert reader.view() is old  # no write: the same view, no reload

    (docs / "b.txt").write_text("Camels cross the Sahara carrying water.\n", encoding="utf-8")
    (docs / "a.txt").unlink()
    index_paths([docs], settings, embedder=fake_embedder, store=PostgresStore(pg_url, settings))
    new = reader.view()
    assert new is not old and new.version == old.version + 1
    assert set(new.documents()) == {str((docs / "b.txt").resolve())}
    assert old.keyword_search("penguins krill", 3) and not new.keyword_search("penguins krill", 3)
    assert set(old.documents()) == {str((docs / "a.txt").resolve())}


@pytest.mark.slow
def test_same_rankings_and_answers_as_the_faiss_store(pg_url, make_settings, real_embedder):
    """BM25 in PostgreSQL scores like bm25s over the same terms; the dense top hits are the same chunks; the
    assistant gives the same answer with the same citations."""
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    faiss = make_settings()
    pg = make_settings(store_url=pg_url)
    for settings in (faiss, pg):
        index_paths([SEEDS], settings, embedder=real_embedder)
    a, b = build_services(faiss, real_embedder), build_services(pg, real_embedder)
    va, vb = a.view(), b.view()
    assert va.n_chunks == vb.n_chunks > 10
    for question in QUESTIONS + ["North Korea Russia summit agreement military"]:
        ka, kb = va.keyword_search(question, 10), vb.keyword_search(question, 10)
        assert [va.chunk(i).chunk_id for i, _ in ka] == [vb.chunk(i).chunk_id for i, _ in kb]
        assert [s for _, s in ka] == pytest.approx([s for _, s in kb], rel=1e-4)
        qv = real_embedder.embed_array([question])[0]
        da, db = va.dense_search(qv, 5), vb.dense_search(qv, 5)
        assert [va.chunk(i).chunk_id for i, _ in da] == [vb.chunk(i).chunk_id for i, _ in db]
        assert [s for _, s in da] == pytest.approx([s for _, s in db], abs=1e-4)
        stats_a, stats_b = va.term_stats(), vb.term_stats()
        for term in ("korea", "missil", "putin", "zebra"):
            assert stats_a.document_frequency(term) == stats_b.document_frequency(term)
        answer_a, answer_b = a.assistant.ask(question).to_json(), b.assistant.ask(question).to_json()
        assert answer_a["answer"] == answer_b["answer"]
        assert [c["chunk_id"] for c in answer_a["citations"]] == [c["chunk_id"] for c in answer_b["citations"]]
    assert b.store.check().ok


def test_malformed_or_unreachable_url_is_one_line_without_the_password(hashed, tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Penguins live in Antarctica.\n", encoding="utf-8")
    cases = {
        "postgresql://ann:s3cret-pw@127.0.0.1:notaport/db": 2,  # malformed port
        "postgresql://ann:s3cret-pw@[::1/db": 2,  # malformed (libpq's message quotes the whole URL)
        "mysql://ann:s3cret-pw@127.0.0.1/db": 2,  # not PostgreSQL
        "postgresql://ann:s3cret-pw@127.0.0.1:1/db?connect_timeout=5": 11,  # nothing listens on port 1
    }
    for url, exit_code in cases.items():
        for args in (["index", str(docs)], ["ask", "Where do penguins live?"], ["index", "--check"]):
            code, out, err = rag([*args, "--store-url", url], capsys)
            assert code == exit_code, (url, args, err)
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and "RAG_STORE_URL=" in lines[0], lines
            assert "s3cret-pw" not in out + err and "Traceback" not in err
            assert "//ann" in lines[0]  # the URL is named, without its password
    assert not (tmp_path / "index").exists()


def test_database_without_pgvector_and_no_right_to_create_it(pg_server, hashed, tmp_path, capsys):
    from tests.support.pg_server import admin_url

    role, database = f"plain_{uuid.uuid4().hex[:8]}", f"noext_{uuid.uuid4().hex[:8]}"
    admin(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")
    admin(f'CREATE DATABASE "{database}" OWNER {role}')
    url = pg_server.get_uri(database).replace("postgres:@", f"{role}:pw-{role}@", 1)
    owned = pg_server.get_uri(database)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Penguins live in Antarctica.\n", encoding="utf-8")
    code, out, err = rag(["index", str(docs), "--store-url", url], capsys)
    assert code == 11, err
    (line,) = err.strip().splitlines()
    assert "no pgvector extension" in line and "RAG_STORE_URL=" in line and f"pw-{role}" not in line
    assert "CREATE EXTENSION vector" in line
    assert tables_in(owned) == [] and not admin("SELECT 1 FROM pg_extension WHERE extname = 'vector'", url=owned)
    assert admin("SELECT 1 FROM pg_namespace WHERE nspname = 'rag'", url=owned) == []
    code, _, err = rag(["ask", "Where do penguins live?", "--store-url", url], capsys)
    assert code == 4 and "is empty" in err and len(err.strip().splitlines()) == 1  # a reader writes nothing
    assert admin_url() != url


def test_a_schema_newer_than_the_code_is_refused_and_left_alone(pg_url, hashed, tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Penguins live in Antarctica.\n", encoding="utf-8")
    assert rag(["index", str(docs), "--store-url", pg_url, "-q"], capsys)[0] == 0
    admin("UPDATE rag.schema_version SET version = 99", url=pg_url)
    before = admin("SELECT version, n_chunks FROM rag.state", url=pg_url)
    (docs / "b.txt").write_text("Camels cross the Sahara.\n", encoding="utf-8")
    for args in (["index", str(docs)], ["ask", "Where do penguins live?"], ["index", "--check"]):
        code, out, err = rag([*args, "--store-url", pg_url], capsys)
        assert code == 5, (args, err)
        (line,) = err.strip().splitlines()
        assert "schema version 99, newer than this rag understands (1)" in line and "RAG_STORE_URL=" in line
    assert admin("SELECT version, n_chunks FROM rag.state", url=pg_url) == before
    assert admin("SELECT version FROM rag.schema_version", url=pg_url) == [(99,)]


def test_a_second_writer_is_told_who_holds_the_lock(pg_url, hashed, tmp_path, capsys, make_settings):
    from rag.store.postgres import PostgresStore

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Penguins live in Antarctica.\n", encoding="utf-8")
    store = PostgresStore(pg_url, make_settings())
    with store.writer():
        code, _, err = rag(["index", str(docs), "--store-url", pg_url, "--wait", "0.3"], capsys)
    assert code == 7
    (line,) = err.strip().splitlines()
    assert "is being written by rag writer pid" in line and "RAG_STORE_URL=" in line
    assert rag(["index", str(docs), "--store-url", pg_url, "-q"], capsys)[0] == 0


def test_documents_of_other_machines_survive_an_upload_here(pg_url, make_settings, fake_embedder, tmp_path):
    """An upload through a replica must not drop documents whose files exist only where they were indexed."""
    from rag.ingest.indexer import index_paths

    settings = make_settings(store_url=pg_url)
    elsewhere, uploads = tmp_path / "elsewhere", tmp_path / "uploads"
    elsewhere.mkdir()
    uploads.mkdir()
    (elsewhere / "a.txt").write_text("Penguins live in Antarctica.\n", encoding="utf-8")
    index_paths([elsewhere], settings, embedder=fake_embedder)
    shutil.rmtree(elsewhere)  # as seen from another machine: the file is not here
    (uploads / "b.txt").write_text("Camels cross the Sahara.\n", encoding="utf-8")
    report = index_paths([uploads / "b.txt"], settings, embedder=fake_embedder)
    assert report.removed == [] and report.n_documents == 2
    report = index_paths([], settings, embedder=fake_embedder, remove=[str((elsewhere / "a.txt").resolve())])
    assert report.removed == [str((elsewhere / "a.txt").resolve())] and report.n_documents == 1


def test_check_finds_rows_damaged_by_hand_and_repair_reindexes(pg_url, hashed, tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Penguins live in Antarctica. They eat krill.\n" * 20, encoding="utf-8")
    (docs / "b.txt").write_text("Camels cross the Sahara carrying water.\n" * 20, encoding="utf-8")
    assert rag(["index", str(docs), "--store-url", pg_url, "-q"], capsys)[0] == 0
    admin("UPDATE rag.chunks SET text = 'tampered' WHERE key = (SELECT min(key) FROM rag.chunks)", url=pg_url)
    admin("DELETE FROM rag.postings WHERE ctid IN (SELECT ctid FROM rag.postings LIMIT 1)", url=pg_url)
    code, out, err = rag(["index", "--check", "--store-url", pg_url], capsys)
    assert code == 6
    assert "text differs from the document's" in out and "keyword postings that do not add up" in out
    assert "is damaged" in err and "rag index --repair" in err
    code, out, err = rag(["index", "--repair", "--store-url", pg_url], capsys)
    assert code == 0, out + err
    assert "repair: rebuilt the index from 2 source file(s)" in err and "is sound" in out
