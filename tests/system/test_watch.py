"""A folder kept in sync: `rag serve --watch DIR` and `rag index --watch DIR` as real processes. Files are added,
changed, renamed and deleted; answers must reflect each change within 5 s of it (polled, with that deadline)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.ingest.watch import _Changes
from tests.support.serve_process import rag_serve

DEADLINE = 5.0
KEEPER = "The lighthouse keeper on Skarv island is Ingrid Vold.\n"
FERRY_Q = "When does the ferry to Skarv island leave?"


def wait_for(check: Callable[[], object], seconds: float, what: str) -> float:
    """Poll ``check`` until it returns True; fail naming ``what`` (and the last thing seen) after ``seconds``.
    Returns the seconds it took."""
    started = time.monotonic()
    while True:
        seen = check()
        if seen is True:
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            pytest.fail(f"{what}: not seen within {seconds:g} s; last answer: {seen}")
        time.sleep(0.1)


def citing(answer: dict, name: str, text: str | None = None) -> bool:
    return any(Path(c["source"]).name == name and (text is None or text in c["quote"]) for c in answer["citations"])


def follow_changes(docs: Path, ask: Callable[[str], dict]) -> list[float]:
    """Add, change, rename and delete a file under ``docs``; after each, wait until ``ask`` reflects it."""
    took = []

    def check(condition):
        def run():
            answer = ask(FERRY_Q)
            return True if condition(answer) else answer
        return run

    (docs / "ferry.txt").write_text("The ferry to Skarv island leaves at 7:40 from pier four.\n", encoding="utf-8")
    took.append(wait_for(check(lambda a: citing(a, "ferry.txt", "7:40")), DEADLINE, "a new file"))

    (docs / "ferry.txt").write_text("The ferry to Skarv island now leaves at 9:15 from pier six.\n", encoding="utf-8")
    took.append(wait_for(check(lambda a: citing(a, "ferry.txt", "9:15") and not any("7:40" in c["quote"]
                                                                                   for c in a["citations"])),
                         DEADLINE, "a changed file"))

    os.rename(docs / "ferry.txt", docs / "sub" / "timetable.md")
    took.append(wait_for(check(lambda a: citing(a, "timetable.md", "9:15") and not citing(a, "ferry.txt")),
                         DEADLINE, "a renamed file"))

    (docs / "sub" / "timetable.md").unlink()
    took.append(wait_for(check(lambda a: not citing(a, "timetable.md") and not citing(a, "ferry.txt")),
                         DEADLINE, "a deleted file"))
    return took


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "keeper.txt").write_text(KEEPER, encoding="utf-8")
    (folder / ".hidden.txt").write_text("Hidden files are never indexed.\n", encoding="utf-8")
    return folder


@pytest.mark.server
@pytest.mark.slow
def test_serve_watch_reflects_every_change_within_seconds(tmp_path, docs):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    index_dir = tmp_path / "index"
    with rag_serve(tmp_path, index_dir, "--watch", str(docs), RAG_EMBED_MODEL="hash:256") as (url, proc, log):
        client = Client(url, verbose=False)

        def ask(question: str) -> dict:
            return client.predict(question, api_name="/ask")

        def keeper_known():
            try:
                answer = ask("Who is the lighthouse keeper on Skarv island?")
            except AppError as err:  # no index yet: the watcher is building it
                return str(err)
            return True if citing(answer, "keeper.txt", "Ingrid Vold") else answer

        wait_for(keeper_known, 120, "the first sync of the watched folder")
        took = follow_changes(docs, ask)
        print(f"serve --watch: add/change/rename/delete seen after {[round(t, 2) for t in took]} s")
        assert len(took) == 4
        assert proc.poll() is None
    output = "".join(log)
    assert "Watching " in output and "(inotify)" in output and "Traceback" not in output
    assert "hidden" not in output.lower()


@pytest.mark.slow
def test_index_watch_keeps_the_index_in_sync_and_stops_cleanly(tmp_path, docs):
    from rag.embedding import HashEmbedder
    from rag.services import build_services
    from rag.settings import Settings

    index_dir = tmp_path / "index"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_EMBED_MODEL="hash:256", RAG_WATCH_POLLING="true", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "rag", "index", str(docs), "--index-dir", str(index_dir),
                             "--watch"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    try:
        wait_for(lambda: True if any("watch: 1 added" in line for line in log) else "".join(log), 120,
                 "the first sync")
        assert any("(polling every 1 s)" in line for line in log)
        services = build_services(Settings(_env_file=None, index_dir=index_dir, embed_model="hash:256"),
                                  embedder=HashEmbedder(256))
        took = follow_changes(docs, lambda q: services.assistant.ask(q).to_json())
        print(f"index --watch (polling): add/change/rename/delete seen after {[round(t, 2) for t in took]} s")
        assert len(took) == 4
        manifest = services.view().manifest["documents"]
        assert [Path(s).name for s in manifest] == ["keeper.txt"]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    output = "".join(log)
    assert code == 0 and "Stopped watching." in output and "Traceback" not in output, output


def test_events_that_cannot_change_the_index_are_ignored(tmp_path):
    root, index_dir = tmp_path / "docs", tmp_path / "docs" / "index"
    changes = _Changes([root], [index_dir])
    assert changes.relevant(root / "a" / "report.pdf", False)
    assert changes.relevant(root / "new-folder", True)
    assert not changes.relevant(root / ".git" / "x.txt", False)
    assert not changes.relevant(root / ".~lock.report.odt#", False)
    assert not changes.relevant(root / "notes.txt.swp", False)
    assert not changes.relevant(index_dir / "current" / "docs.jsonl", False)
    assert not changes.relevant(index_dir / "snapshots", True)
    assert not changes.relevant(tmp_path / "elsewhere.txt", False)
