"""One question, one index version: a write published between retrieval and answering (a `--watch` update, an
upload) must not make the answer read another view than the passages came from (rag.services.CheckedViews.pinned,
entered by Assistant.stream around the chain's run)."""

from __future__ import annotations

import threading

from rag.ingest.indexer import index_paths
from rag.services import CheckedViews, build_services
from rag.store import open_store


class WriteAfterFirstRead(CheckedViews):
    """The real views; the first time a question reads the index, a writer removes a file and publishes."""

    def __init__(self, *args, write):
        super().__init__(*args)
        self.write = write

    def __call__(self):
        view = super().__call__()
        write, self.write = self.write, None
        if write is not None:
            write()
        return view


def test_a_write_during_a_question_does_not_change_what_it_reads(tmp_path, make_settings, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.txt").write_text("The ferry to Skarv island leaves at 7:40 from pier four.\n", encoding="utf-8")
    (docs / "keeper.txt").write_text("The lighthouse keeper on Skarv island is Ingrid Vold.\n", encoding="utf-8")
    settings = make_settings()
    index_paths([docs], settings, embedder=fake_embedder)

    def delete_ferry():
        (docs / "ferry.txt").unlink()
        index_paths([docs], settings, embedder=fake_embedder)

    store = open_store(settings)
    views = WriteAfterFirstRead(store, settings, fake_embedder.model_id, write=delete_ferry)
    services = build_services(settings, embedder=fake_embedder, store=store, views=views)
    answer = services.assistant.ask("When does the ferry to Skarv island leave?")
    assert not (docs / "ferry.txt").exists()  # the write happened during the question
    assert any("7:40" in c.quote for c in answer.citations)  # answered from the version it retrieved from
    after = services.assistant.ask("When does the ferry to Skarv island leave?")
    assert not any("7:40" in c.quote for c in after.citations)  # the next question reads the new version


def test_a_pin_holds_on_its_own_thread_only(tmp_path, make_settings, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Alpha text about herons.\n", encoding="utf-8")
    settings = make_settings()
    index_paths([docs], settings, embedder=fake_embedder)
    views = CheckedViews(open_store(settings), settings, fake_embedder.model_id)
    with views.pinned():
        first = views()
        (docs / "b.txt").write_text("Beta text about otters.\n", encoding="utf-8")
        index_paths([docs], settings, embedder=fake_embedder)
        assert views() is first
        assert len(first.documents()) == 1
        seen = []
        thread = threading.Thread(target=lambda: seen.append(views()))
        thread.start()
        thread.join()
        assert seen[0] is not first and len(seen[0].documents()) == 2
    assert len(views().documents()) == 2
