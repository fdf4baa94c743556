"""The store contract: one behavioural suite that every ``Store`` backend passes (rag/store/base.py).

A backend joins by adding a factory to ``BACKENDS`` (a function of the pytest ``tmp_path`` and settings that
returns a fresh, empty store). Documents are made by the real ingest code (loader-free: text -> chunks -> unit
spans) and embedded with the deterministic hashing embedder, so every expectation below is exact.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rag.embedding import HashEmbedder
from rag.errors import IndexLockedError, IndexMissingError
from rag.ingest.chunking import chunk_document
from rag.store import Store, StoredDocument, StoreView
from rag.store.sentence_table import chunk_vectors, document_spans
from rag.types import Document

EMBEDDER = HashEmbedder(64)
TEXTS = {
    "/docs/penguins.txt": "Penguins live in Antarctica. They eat krill and small fish. Emperor penguins are the "
                          "tallest of all penguins.",
    "/docs/camels.txt": "Camels cross the Sahara carrying water. A camel can drink 100 litres in ten minutes.",
    "/docs/volcanoes.txt": "Volcanoes erupt when magma rises. Mount Etna is one of the most active volcanoes.",
}
MANIFEST = {"embedding": {"model": EMBEDDER.model_id, "dim": EMBEDDER.dim, "normalized": True},
            "chunking": {"splitter": "RecursiveCharacterTextSplitter", "chunk_size": 60, "chunk_overlap": 10}}


def faiss_store(tmp_path, settings) -> Store:
    from rag.store.faiss_store import FaissStore

    return FaissStore(tmp_path / "index", settings)


def postgres_store(tmp_path, settings) -> Store:
    from rag.store.postgres import PostgresStore
    from tests.support.pg_server import fresh_database

    return PostgresStore(fresh_database("contract"), settings)


BACKENDS = {"faiss": faiss_store, "postgres": postgres_store}


@pytest.fixture(params=sorted(BACKENDS))
def store(request, tmp_path, make_settings) -> Store:
    return BACKENDS[request.param](tmp_path, make_settings(chunk_size=60, chunk_overlap=10))


def stored(source: str, text: str) -> StoredDocument:
    import hashlib

    doc = Document(source, text, hashlib.sha256(text.encode()).hexdigest())
    chunks = chunk_document(doc, 60, 10)
    spans = np.asarray(document_spans(chunks), np.int64).reshape(-1, 2)
    vectors = EMBEDDER.embed_array([text[a:b] for a, b in spans])
    return StoredDocument(doc, chunks, spans, vectors, chunk_vectors(chunks, spans, vectors))


def write(store: Store, keep=(), new=()) -> None:
    new = list(new)
    with store.writer() as writer:
        writer.write(list(keep), new, MANIFEST, n_new_units=sum(len(d.unit_spans) for d in new),
                     n_new_chunks=sum(len(d.chunks) for d in new))


def all_sources(view: StoreView) -> set[str]:
    return set(view.documents())


def test_an_empty_store_has_no_view_and_no_manifest(store):
    assert store.manifest() is None
    with pytest.raises(IndexMissingError):
        store.view()


def test_written_documents_are_read_back_verbatim(store):
    items = [stored(s, t) for s, t in TEXTS.items()]
    write(store, new=items)
    view = store.view()
    assert isinstance(view, StoreView)
    assert all_sources(view) == set(TEXTS)
    assert view.n_chunks == sum(len(d.chunks) for d in items) > len(items)
    chunks = dict(view.iter_chunks())
    assert len(chunks) == view.n_chunks
    for key, chunk in chunks.items():
        assert view.chunk(key) == chunk
        assert view.document(chunk.source).text[chunk.start:chunk.end] == chunk.text
    manifest = store.manifest()
    assert manifest["n_chunks"] == view.n_chunks and manifest["n_documents"] == 3
    assert {s: e["sha256"] for s, e in manifest["documents"].items()} == {d.document.source: d.document.sha256
                                                                          for d in items}
    assert view.stats()["n_documents"] == 3 and view.stats()["n_chunks"] == view.n_chunks


def test_dense_search_finds_a_chunk_by_its_own_vector(store):
    items = [stored(s, t) for s, t in TEXTS.items()]
    write(store, new=items)
    view = store.view()
    for key, chunk in view.iter_chunks():
        vector = view.chunk_vectors([key])[0]
        hits = view.dense_search(vector, 3)
        assert hits[0][1] == pytest.approx(1.0, abs=1e-3)
        assert chunk.chunk_id in {view.chunk(k).chunk_id for k, score in hits if score > 1 - 1e-3}
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_keyword_search_and_term_statistics(store):
    write(store, new=[stored(s, t) for s, t in TEXTS.items()])
    view = store.view()
    hits = view.keyword_search("Which volcano erupts?", 5)
    assert hits and view.chunk(hits[0][0]).source == "/docs/volcanoes.txt"
    assert all(score > 0 for _, score in hits)
    assert view.keyword_search("zebra xylophone", 5) == []
    stats = view.term_stats()
    assert stats.n_chunks == view.n_chunks
    assert stats.document_frequency("camel") >= 1 and stats.document_frequency("zebra") == 0


def test_unit_vectors_are_the_stored_ones(store):
    item = stored("/docs/penguins.txt", TEXTS["/docs/penguins.txt"])
    write(store, new=[item])
    view = store.view()
    spans = [tuple(int(x) for x in s) for s in item.unit_spans]
    assert len(spans) >= 3
    got = view.unit_vectors(item.document.source, spans)
    np.testing.assert_allclose(got, item.unit_vectors, atol=2e-3)  # float16 storage is allowed
    with pytest.raises(KeyError):
        view.unit_vectors(item.document.source, [(0, 1)])
    keys = [k for k, _ in view.iter_chunks()]
    query = item.unit_vectors[0]
    best = view.best_unit_scores(keys, query)
    assert best.shape == (len(keys),) and float(best.max()) == pytest.approx(1.0, abs=2e-3)


def test_best_unit_score_of_each_chunk_is_its_best_stored_unit(store):
    """Every chunk of several documents, asked together in a shuffled order, gets the best cosine of its own units
    (the scores are computed for all the chunks at once: none may take another chunk's rows)."""
    write(store, new=[stored(s, t) for s, t in TEXTS.items()])
    view = store.view()
    keys = [k for k, _ in view.iter_chunks()][::-1]
    assert len({view.chunk(k).source for k in keys}) == len(TEXTS) and len(keys) >= len(TEXTS)
    query = EMBEDDER.embed_array(["Emperor penguins eat krill; a camel can drink water."])[0]
    expected = [float((view.unit_vectors(view.chunk(k).source, [tuple(int(x) for x in s) for s in
                                                                   view.chunk(k).sentences]) @ query).max())
                for k in keys]
    np.testing.assert_allclose(view.best_unit_scores(keys, query), expected, atol=3e-3)
    assert len(set(np.round(expected, 3))) > 1  # the chunks' scores differ, so a mix-up would show


def test_replacing_and_removing_documents(store):
    write(store, new=[stored(s, t) for s, t in TEXTS.items()])
    changed = stored("/docs/camels.txt", "Camels store fat in their humps, not water.")
    write(store, keep=["/docs/penguins.txt"], new=[changed])  # volcanoes removed, camels replaced
    view = store.view()
    assert all_sources(view) == {"/docs/penguins.txt", "/docs/camels.txt"}
    assert view.document("/docs/camels.txt").text == changed.document.text
    assert {c.source for _, c in view.iter_chunks()} == {"/docs/penguins.txt", "/docs/camels.txt"}
    assert all(view.chunk(k).source != "/docs/volcanoes.txt" for k, _ in view.keyword_search("volcano magma", 5))
    with pytest.raises(KeyError):
        view.document("/docs/volcanoes.txt")
    assert store.check().ok


def test_a_reader_keeps_its_view_while_a_writer_commits(store):
    write(store, new=[stored("/docs/penguins.txt", TEXTS["/docs/penguins.txt"])])
    old = store.view()
    write(store, keep=[], new=[stored("/docs/camels.txt", TEXTS["/docs/camels.txt"])])
    assert all_sources(old) == {"/docs/penguins.txt"}
    assert old.keyword_search("penguins krill", 3)
    assert all_sources(store.view()) == {"/docs/camels.txt"}


def test_a_failed_write_leaves_the_previous_state(store):
    write(store, new=[stored("/docs/penguins.txt", TEXTS["/docs/penguins.txt"])])

    def failing():
        yield stored("/docs/camels.txt", TEXTS["/docs/camels.txt"])
        raise RuntimeError("embedding failed half-way")

    with pytest.raises(RuntimeError, match="half-way"), store.writer() as writer:
        writer.write(["/docs/penguins.txt"], failing(), MANIFEST, n_new_units=10, n_new_chunks=10)
    assert all_sources(store.view()) == {"/docs/penguins.txt"}
    assert store.check().ok


def test_one_writer_at_a_time(store):
    entered, release = threading.Event(), threading.Event()

    def hold():
        with store.writer():
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert entered.wait(30)
        with pytest.raises(IndexLockedError), store.writer(lock_timeout=0.2):
            pass
    finally:
        release.set()
        thread.join(30)
    with store.writer(lock_timeout=5) as writer:
        assert writer.manifest is None and writer.previous() is None


def test_check_reports_a_sound_store(store):
    write(store, new=[stored(s, t) for s, t in TEXTS.items()])
    report = store.check()
    assert report.ok and report.n_documents == 3 and report.n_chunks == store.view().n_chunks
