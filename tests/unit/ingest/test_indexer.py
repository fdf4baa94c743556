"""Indexing: manifest, incremental add/change/remove, mismatch refusal, bad input never damages the index."""

from __future__ import annotations

import json
import shutil

import pytest

from rag.errors import IndexMismatchError, NothingIndexedError
from rag.ingest.indexer import index_paths
from rag.ingest.structure import unit_text
from rag.store.snapshot import FORMAT_VERSION, current_path, load_snapshot
from tests.conftest import SEED_FILE


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED_FILE, folder / "seed.txt")
    (folder / "kyoto.md").write_text("# Kyoto\n\nKyoto was the capital of Japan for over a thousand years.\n",
                                     encoding="utf-8")
    return folder


def snapshot_state(settings, embedder):
    snap = load_snapshot(settings.index_dir, embedder)
    return {s: d["sha256"] for s, d in snap.manifest["documents"].items()}, snap


def test_manifest_and_store_agree(make_settings, fake_embedder, corpus):
    settings = make_settings()
    report = index_paths([corpus], settings, embedder=fake_embedder)
    assert report.counts_line == "2 added, 0 changed, 0 removed"
    snap = load_snapshot(settings.index_dir, fake_embedder)
    manifest = snap.manifest
    assert manifest["embedding"] == {"model": "hash-256", "dim": 256, "normalized": True}
    assert manifest["chunking"]["chunk_size"] == settings.chunk_size
    assert manifest["chunking"]["chunk_overlap"] == settings.chunk_overlap
    assert set(manifest["documents"]) == {str((corpus / "seed.txt").resolve()), str((corpus / "kyoto.md").resolve())}
    assert "faiss-cpu" in manifest["versions"] and "sentence-transformers" in manifest["versions"]
    assert snap.vectorstore.index.ntotal == len(snap.chunks) == manifest["n_chunks"]
    assert sum(d["chunks"] for d in manifest["documents"].values()) == manifest["n_chunks"]
    for chunk in snap.chunks:
        assert snap.document(chunk.source).text[chunk.start:chunk.end] == chunk.text


def test_incremental_add_change_remove(make_settings, fake_embedder, corpus):
    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)

    again = index_paths([corpus], settings, embedder=fake_embedder)
    assert again.counts_line == "0 added, 0 changed, 0 removed"
    assert again.embedded_chunks == 0

    (corpus / "kyoto.md").write_text("# Kyoto\n\nKyoto has about 1.5 million inhabitants.\n", encoding="utf-8")
    (corpus / "osaka.txt").write_text("Osaka is known for its food.", encoding="utf-8")
    (corpus / "seed.txt").unlink()
    report = index_paths([corpus], settings, embedder=fake_embedder)
    assert report.counts_line == "1 added, 1 changed, 1 removed"
    assert report.embedded_chunks == 2  # only the new and the changed document were embedded

    shas, snap = snapshot_state(settings, fake_embedder)
    assert {p.split("/")[-1] for p in shas} == {"kyoto.md", "osaka.txt"}
    texts = " ".join(c.text for c in snap.chunks)
    assert "1.5 million" in texts and "thousand years" not in texts and "KN-23" not in texts
    hits = snap.dense_search(fake_embedder.embed_array(["Osaka food"])[0], 1)
    assert snap.chunks[hits[0][0]].source.endswith("osaka.txt")


def test_an_index_read_under_other_reading_rules_reads_every_file_again(make_settings, fake_embedder, corpus,
                                                                         monkeypatch):
    """An upgrade that changes how files are read (PARSING_VERSION) re-reads unchanged files at the next
    `rag index`, once; nothing is lost and the answer units follow the new rules."""
    import rag.ingest.indexer as indexer

    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)
    assert snapshot_state(settings, fake_embedder)[1].manifest["parsing"] == indexer.PARSING_VERSION
    monkeypatch.setattr(indexer, "PARSING_VERSION", indexer.PARSING_VERSION + 1)
    report = index_paths([corpus], settings, embedder=fake_embedder)
    assert report.counts_line == "0 added, 2 changed, 0 removed"
    assert any("reading rules changed" in note for note in report.notes)
    shas, snap = snapshot_state(settings, fake_embedder)
    assert len(shas) == 2 and snap.manifest["parsing"] == indexer.PARSING_VERSION
    again = index_paths([corpus], settings, embedder=fake_embedder)
    assert again.counts_line == "0 added, 0 changed, 0 removed" and not again.notes


def test_an_index_of_earlier_reading_rules_is_used_as_it_is_with_one_note(make_settings, fake_embedder, corpus,
                                                                           monkeypatch):
    """`rag ask`, `rag serve` and the MCP server (all through ensure_default_index) say once that the index was
    written under earlier reading rules and how to read its files again; the index is used, not rebuilt."""
    import rag.ingest.structure as structure
    from rag.services import ensure_default_index

    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)
    before, _ = snapshot_state(settings, fake_embedder)
    lines: list[str] = []
    ensure_default_index(settings, echo=lines.append)
    assert lines == []
    monkeypatch.setattr(structure, "PARSING_VERSION", structure.PARSING_VERSION + 1)
    ensure_default_index(settings, echo=lines.append)
    assert len(lines) == 1
    assert "earlier reading rules" in lines[0] and str(settings.index_dir) in lines[0] and "rag index" in lines[0]
    after, snap = snapshot_state(settings, fake_embedder)
    assert after == before and snap.manifest["parsing"] == structure.PARSING_VERSION - 1


def test_documents_indexed_from_elsewhere_are_kept(make_settings, fake_embedder, corpus, tmp_path):
    settings = make_settings()
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("A separate note about Hokkaido.", encoding="utf-8")
    index_paths([corpus], settings, embedder=fake_embedder)
    report = index_paths([other], settings, embedder=fake_embedder)
    assert report.counts_line == "1 added, 0 changed, 0 removed"
    assert report.n_documents == 3
    removed = index_paths([], settings, embedder=fake_embedder, remove=[str((other / "note.txt").resolve())])
    assert removed.counts_line == "0 added, 0 changed, 1 removed" and removed.n_documents == 2


def test_mismatched_settings_are_refused_until_rebuild(make_settings, fake_embedder, corpus):
    index_paths([corpus], make_settings(), embedder=fake_embedder)
    bigger = make_settings(chunk_size=500, chunk_overlap=50)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        index_paths([corpus], bigger, embedder=fake_embedder)
    from rag.embedding import HashEmbedder

    with pytest.raises(IndexMismatchError, match="embedding model 'hash-256'"):
        index_paths([corpus], make_settings(), embedder=HashEmbedder(128))
    report = index_paths([corpus], bigger, embedder=fake_embedder, rebuild=True)
    assert report.counts_line == "2 added, 0 changed, 0 removed"
    assert load_snapshot(bigger.index_dir).manifest["chunking"]["chunk_size"] == 500


def test_bad_files_are_reported_and_never_damage_the_index(make_settings, fake_embedder, corpus, tmp_path):
    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)
    before, _ = snapshot_state(settings, fake_embedder)
    published = current_path(settings.index_dir)

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    (bad / "sheet.xlsx").write_bytes(b"PK")
    (bad / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(NothingIndexedError, match="Nothing could be indexed"):
        index_paths([bad, tmp_path / "nope"], settings, embedder=fake_embedder)
    assert current_path(settings.index_dir) == published
    after, _ = snapshot_state(settings, fake_embedder)
    assert after == before

    (bad / "good.txt").write_text("A good file about Sapporo.", encoding="utf-8")
    report = index_paths([bad, tmp_path / "nope"], settings, embedder=fake_embedder)
    assert report.counts_line == "1 added, 0 changed, 0 removed"
    assert sorted(w.path.split("/")[-1] for w in report.warnings) == [
        "blob.txt", "empty.txt", "latin.txt", "nope", "sheet.xlsx"]
    assert report.missing_paths == [str(tmp_path / "nope")]
    after, _ = snapshot_state(settings, fake_embedder)
    assert set(before) < set(after)


def test_manifest_is_plain_json(make_settings, fake_embedder, corpus):
    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)
    data = json.loads((current_path(settings.index_dir) / "manifest.json").read_text())
    assert data["n_documents"] == 2 and data["format"] == FORMAT_VERSION


def test_every_sentence_is_embedded_once_and_chunk_vectors_are_their_weighted_mean(make_settings, fake_embedder,
                                                                                    corpus):
    import numpy as np

    from rag.store.sentence_table import chunk_vectors

    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)
    snap = load_snapshot(settings.index_dir, fake_embedder)
    table = snap.sentences
    assert table is not None and set(table.rows) == set(snap.docs)
    for source, doc in snap.docs.items():
        spans, vectors = table.block(source)
        assert (np.diff(spans[:, 0]) > 0).all()  # sorted, distinct
        # each row is the embedding of exactly that verbatim unit, under its section path when the unit
        # embeddings carry it (rag.ingest.structure.unit_text; float16 on disk)
        want = fake_embedder.embed_array([unit_text(doc, a, b) for a, b in spans])
        assert np.abs(np.asarray(vectors, np.float32) - want).max() < 2e-3
        chunks = [c for c in snap.chunks if c.source == source]
        for chunk in chunks:
            lo, hi = table.chunk_rows(chunk)
            assert [tuple(s) for s in spans[lo - table.rows[source][0]:hi - table.rows[source][0]]] == \
                [tuple(s) for s in chunk.sentences]
        got = snap.chunk_vectors([k for k, c in snap.iter_chunks() if c.source == source])
        assert np.abs(got - chunk_vectors(chunks, spans, np.asarray(vectors, np.float32))).max() < 2e-3


def test_unchanged_documents_keep_their_sentence_vectors(make_settings, fake_embedder, corpus):
    import numpy as np

    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)
    seed = str((corpus / "seed.txt").resolve())
    before = np.array(load_snapshot(settings.index_dir).sentences.block(seed)[1])
    (corpus / "kyoto.md").write_text("# Kyoto\n\nKyoto has about 1.5 million inhabitants.\n", encoding="utf-8")
    report = index_paths([corpus], settings, embedder=fake_embedder)
    assert report.counts_line == "0 added, 1 changed, 0 removed" and report.embedded_chunks == 1
    snap = load_snapshot(settings.index_dir)
    assert np.array_equal(np.array(snap.sentences.block(seed)[1]), before)
    spans, _ = snap.sentences.block(str((corpus / "kyoto.md").resolve()))
    assert any(snap.docs[str((corpus / "kyoto.md").resolve())].text[a:b].startswith("Kyoto has") for a, b in spans)


def test_an_index_of_an_earlier_format_asks_for_a_rebuild_and_loses_nothing_else(make_settings, fake_embedder,
                                                                                   corpus):
    """No compatibility code for formats no user has: an earlier format is one clear line naming the fix, the
    index is left as it is, and `rag index --rebuild` replaces it."""
    from rag.services import build_services

    settings = make_settings()
    index_paths([corpus], settings, embedder=fake_embedder)
    path = current_path(settings.index_dir)
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps(dict(manifest, format=1)))
    with pytest.raises(IndexMismatchError, match=r"earlier version of rag; rebuild it with `rag index --rebuild`"):
        index_paths([corpus], settings, embedder=fake_embedder)
    with pytest.raises(IndexMismatchError, match=r"`rag index --rebuild`"):
        build_services(settings, embedder=fake_embedder).assistant.ask("Where is Kyoto?")
    assert current_path(settings.index_dir) == path  # untouched
    report = index_paths([corpus], settings, embedder=fake_embedder, rebuild=True)
    assert report.n_documents == 2 and load_snapshot(settings.index_dir).manifest["format"] == FORMAT_VERSION


def test_identical_files_are_indexed_once_and_the_index_stays_sound(make_settings, fake_embedder, tmp_path):
    """Chunk ids hash the content and offsets, so two files with the same bytes would share every chunk id: the
    copy is named in a note and left out, and the index passes its own check; when the kept copy goes, the other
    is indexed in its place."""
    from rag.store import open_store

    folder = tmp_path / "docs"
    folder.mkdir()
    text = "The Zorbon reactor was built in 1987 by Ada Lark.\n\nIt produces 40 megawatts.\n"
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "b.txt").write_text(text, encoding="utf-8")
    (folder / "c.txt").write_text("Another document entirely.\n", encoding="utf-8")
    settings = make_settings()

    report = index_paths([folder], settings, embedder=fake_embedder)
    a, b = str((folder / "a.txt").resolve()), str((folder / "b.txt").resolve())
    assert sorted(report.added) == sorted([a, str((folder / "c.txt").resolve())])
    assert any(note.startswith(f"{b}: same content as {a}") for note in report.notes), report.notes
    state, snap = snapshot_state(settings, fake_embedder)
    assert set(state) == {a, str((folder / "c.txt").resolve())}
    assert len({c.chunk_id for c in snap.chunks}) == len(snap.chunks)
    assert open_store(settings).check().problems == []

    again = index_paths([folder], settings, embedder=fake_embedder)  # nothing new: the copy is still left out
    assert again.counts_line == "0 added, 0 changed, 0 removed" and again.embedded_chunks == 0

    (folder / "a.txt").unlink()
    moved = index_paths([folder], settings, embedder=fake_embedder)
    assert moved.added == [b] and moved.removed == [a]
    state, _ = snapshot_state(settings, fake_embedder)
    assert b in state and a not in state
    assert open_store(settings).check().problems == []
