"""One question, one index version: a write published between retrieval and answering (a `--watch` update, an
upload) must not make the answer read another snapshot than the passages came from."""

from __future__ import annotations

import threading

from rag.ingest.indexer import index_paths
from rag.services import IndexHandle, build_services


class WriteAfterFirstRead(IndexHandle):
    """The real handle; the first time a question reads the index, a writer removes a file and publishes."""

    def __init__(self, *args, write):
        super().__init__(*args)
        self.write = write

    def get(self):
        snapshot = super().get()
        write, self.write = self.write, None
        if write is not None:
            write()
        return snapshot


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

    handle = WriteAfterFirstRead(settings.index_dir, settings, fake_embedder, write=delete_ferry)
    services = build_services(settings, embedder=fake_embedder, index=handle)
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
    handle = IndexHandle(settings.index_dir, settings, fake_embedder)
    with handle.pinned():
        first = handle.get()
        (docs / "b.txt").write_text("Beta text about otters.\n", encoding="utf-8")
        index_paths([docs], settings, embedder=fake_embedder)
        assert handle.get() is first
        seen = []
        thread = threading.Thread(target=lambda: seen.append(handle.get()))
        thread.start()
        thread.join()
        assert seen[0] is not first and len(seen[0].docs) == 2
    assert len(handle.get().docs) == 2
