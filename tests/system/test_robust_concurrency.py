"""One writer at a time, readers never blocked.

While a real `rag index` subprocess holds the writer lock: a second `rag index` fails at once with a clear
message naming the holder's pid (exit 7), a third with `--wait` waits and then succeeds, and an in-process
reader keeps answering from the last committed snapshot, switching to the new one only once it is published.
"""

from __future__ import annotations

import os
import random
import subprocess
import time

import pytest

from rag.embedding import HashEmbedder
from rag.errors import IndexLockedError
from rag.ingest.indexer import index_paths
from rag.services import build_services
from rag.store.locking import writer_lock
from rag.store.snapshot import current_path
from tests.support.hostile_corpus import HASH_MODEL, RAG, corpus_state, prose, rag_env, run_rag


def test_lock_is_exclusive_in_process_and_names_the_holder(tmp_path):
    with writer_lock(tmp_path, timeout=0):
        with pytest.raises(IndexLockedError) as err:
            with writer_lock(tmp_path, timeout=0.3):
                pass
    assert f"being written by pid {os.getpid()}" in str(err.value) and "retry" in str(err.value)
    with writer_lock(tmp_path, timeout=0):  # released on exit, also after an error
        pass


@pytest.mark.slow
def test_second_writer_fails_or_waits_and_readers_keep_answering(tmp_path, make_settings):
    rng = random.Random(2)
    small, big, other = tmp_path / "small", tmp_path / "big", tmp_path / "other"
    for folder in (small, big, other):
        folder.mkdir()
    (small / "lighthouse.txt").write_text("The lantern lighthouse stands at Quarry Point.\n", encoding="utf-8")
    for i in range(400):  # enough text that the writer holds the lock for several seconds
        (big / f"b{i:03d}.txt").write_text(prose(rng, 25) + f"Zeppelin number {i} docked here.\n", encoding="utf-8")
    (other / "waiter.txt").write_text("The waiting writer adds this obsidian note.\n", encoding="utf-8")

    settings = make_settings(embed_model=HASH_MODEL, abstain_threshold=0.0)  # concurrency, not abstention, is tested
    embedder = HashEmbedder(64)
    index_paths([small], settings, embedder=embedder)
    services = build_services(settings, embedder)
    first = services.view().path
    env = rag_env(settings.index_dir)

    writer = subprocess.Popen([*RAG, "index", str(big), "--quiet"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    lock_file = settings.index_dir / ".lock"
    deadline = time.monotonic() + 120
    while writer.poll() is None and time.monotonic() < deadline:
        if lock_file.exists() and lock_file.read_text().strip() == f"pid {writer.pid}":
            break
        time.sleep(0.02)
    assert writer.poll() is None, "the writer finished before the test could observe it"

    second, _ = run_rag(["index", str(other), "--quiet"], env)
    waiter = subprocess.Popen([*RAG, "index", str(other), "--quiet", "--wait", "300"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    answers_during_write, seen = 0, set()
    while writer.poll() is None:
        answer = services.assistant.ask("Where does the lantern lighthouse stand?")
        seen.add(services.view().path)
        assert "Quarry Point" in answer.answer and not answer.abstained
        if services.view().path == first:
            answers_during_write += 1
    out, err = writer.communicate()
    assert writer.returncode == 0, err

    assert second.returncode == 7, second.stdout + second.stderr
    assert f"is being written by pid {writer.pid}; wait for it to finish and retry" in second.stderr
    assert "Traceback" not in second.stderr

    out, err = waiter.communicate(timeout=300)
    assert waiter.returncode == 0, err
    assert "1 added" in out

    # Readers saw only committed snapshots, and the old one until the writer published.
    assert answers_during_write > 0
    assert seen <= {first} | {p.resolve() for p in (settings.index_dir / "snapshots").iterdir()}
    final = services.view()
    assert final.path == current_path(settings.index_dir) != first
    expected = corpus_state(small) | corpus_state(big) | corpus_state(other)
    assert {s: d["sha256"] for s, d in final.manifest["documents"].items()} == expected
    assert "obsidian" in services.assistant.ask("Which note did the waiting writer add?").answer
    print(f"\nconcurrency: {answers_during_write} answers from the old snapshot while the writer held the lock")


def test_ui_upload_during_a_write_waits_for_the_writer(tmp_path):
    """The chat's upload takes the same lock: it waits for a writer holding it, then indexes."""
    import threading

    from rag.settings import Settings
    from ui.documents import add_documents

    settings = Settings(_env_file=None, index_dir=tmp_path / "index", data_dir=tmp_path / "data",
                        embed_model=HASH_MODEL)
    upload = tmp_path / "note.txt"
    upload.write_text("An uploaded note about the basalt quarry.\n")
    held, uploaded = threading.Event(), threading.Event()
    finished_while_held: list[bool] = []

    def writer() -> None:
        with writer_lock(settings.index_dir, timeout=0):
            held.set()
            # Hold the lock while the upload runs: it must still be waiting when we let go.
            finished_while_held.append(uploaded.wait(timeout=1.5))

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(30)
    result = add_documents([(upload, "note.txt")], settings, HashEmbedder(64))
    uploaded.set()
    assert finished_while_held == [False]  # it returned only after the other writer let go
    assert result.errors == [] and result.indexed == ["note.txt"]
    thread.join()
