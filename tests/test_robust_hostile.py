"""Hostile files: a generated corpus of 39 checked cases, plus links, a hidden file and 5,000 tiny files (see
tests/hostile_corpus.py), indexed by the real `rag index`.

Every bad file gets one message naming it and the reason, the summary counts them, nothing crashes, the peak
memory of the indexing process stays bounded, and what was indexed before is intact.
"""

from __future__ import annotations

import os
import re
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from rag.embedding import HashEmbedder
from rag.errors import LoadError
from rag.ingest.indexer import index_paths
from rag.ingest.loaders import load, read_text, shown
from rag.store.integrity import check_index
from rag.store.snapshot import load_snapshot

from .hostile_corpus import HASH_MODEL, rag_env, run_rag, write_hostile_corpus

PEAK_RSS_LIMIT_MIB = 1536  # generous: the run measured ~270 MiB; a whole-file read of everything would not fit


@pytest.mark.slow
def test_hostile_corpus_is_reported_file_by_file_and_never_damages_the_index(tmp_path, make_settings):
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / "keep.md").write_text("# Keep\n\nThe granite summit of Mount Ember is 2,403 metres high.\n",
                                      encoding="utf-8")
    settings = make_settings(embed_model=HASH_MODEL)
    index_paths([previous], settings, embedder=HashEmbedder(64))
    before = load_snapshot(settings.index_dir)
    kept = {c.chunk_id: c.text for c in before.chunks}

    hostile = tmp_path / "hostile"
    cases = write_hostile_corpus(hostile)
    assert len(cases) >= 30
    proc, peak_mib = run_rag(["index", str(hostile), "--quiet"], rag_env(settings.index_dir), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr

    skipped_lines = [line for line in proc.stderr.splitlines() if line.startswith("skipped ")]
    for case in cases:
        if case.expect != "skipped":
            continue
        name = shown(hostile / case.name)
        lines = [line for line in skipped_lines if line.startswith(f"skipped {name}: ")]
        assert len(lines) == 1, f"{case.name} ({case.why}): expected one message, got {lines}"
        assert case.reason in lines[0], f"{case.name}: {lines[0]!r} does not say {case.reason!r}"
    n_skipped = sum(case.expect == "skipped" for case in cases)
    assert len(skipped_lines) == n_skipped, "\n".join(skipped_lines)

    summary = proc.stdout.strip().splitlines()[-1]
    match = re.match(r"(\d+) added, 0 changed, 0 removed; index has (\d+) documents, \d+ chunks "
                     r"\(\d+ embedded, (\d+) skipped\)", summary)
    assert match, summary
    added, total, skipped = map(int, match.groups())
    n_tiny = 5000
    n_indexed = sum(case.expect == "indexed" for case in cases) - 1 + n_tiny  # the tiny/ case stands for 5,000
    assert (added, total, skipped) == (n_indexed, n_indexed + 1, n_skipped)

    snapshot = load_snapshot(settings.index_dir)
    sources = set(snapshot.manifest["documents"])
    for case in cases:
        if case.expect == "indexed" and not case.name.endswith("/"):
            assert str((hostile / case.name).resolve()) in sources, case.name
    html = snapshot.docs[str((hostile / "scripts.html").resolve())].text
    assert "Visible harbour paragraph." in html and "alert" not in html and "steal" not in html
    assert "Deeply nested lantern text survives." in snapshot.docs[str((hostile / "very_nested.html").resolve())].text
    assert snapshot.docs[str((hostile / "utf16be_bom.txt").resolve())].text == "UTF-16 big endian meadow notes.\n"
    assert not any("alias.txt" in s for s in sources)  # a symlink to an indexed file is indexed once

    # What was indexed before is intact, and the whole index passes the integrity check.
    assert {c.chunk_id: c.text for c in snapshot.chunks if c.chunk_id in kept} == kept
    assert check_index(settings.index_dir).ok
    assert 0 < peak_mib < PEAK_RSS_LIMIT_MIB  # 0 would mean the peak was never measured
    print(f"\nhostile corpus: {len(cases)} cases (+{n_tiny} tiny files), {n_skipped} skipped with a message, "
          f"peak RSS of `rag index` {peak_mib:.0f} MiB")


def test_text_is_read_in_bounded_blocks(tmp_path):
    """Reading a 16 MB text file allocates about twice its text (blocks + the joined string), never the raw
    bytes on top of decoded copies."""
    path = tmp_path / "big.txt"
    line = "Ember quarry notes, line by line.\r\n"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(line * (16 * 2**20 // len(line)))
    size = path.stat().st_size
    tracemalloc.start()
    sha, text = read_text(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert text == path.read_text(encoding="utf-8")  # universal newlines, like open().read()
    assert peak < 2.5 * size, f"peak {peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB file"


def test_unreadable_file_gives_permission_message(tmp_path):
    """Mode 000 stops everyone but root; as root, a forked child drops to user nobody to meet the real refusal."""
    folder = Path(tempfile.mkdtemp(prefix="rag-unreadable-"))
    secret = folder / "secret.txt"
    try:
        folder.chmod(0o755)
        secret.write_text("nobody may read this")
        secret.chmod(0)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: already has the loader imported, so it needs no access to the interpreter files
            try:
                os.close(read_end)
                if os.geteuid() == 0:
                    os.setgroups([])
                    os.setgid(65534)
                    os.setuid(65534)
                try:
                    load(secret)
                    message = "loaded"
                except LoadError as err:
                    message = str(err)
                os.write(write_end, message.encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            message = pipe.read().decode()
        os.waitpid(pid, 0)
        assert message == f"{secret}: permission denied; make the file readable"
    finally:
        secret.chmod(0o644)
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def test_fifo_and_symlink_loop_do_not_hang_or_crash(tmp_path, make_settings):
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "ok.txt").write_text("A fine cedar note.\n")
    os.mkfifo(folder / "pipe.md")
    os.symlink("loop.txt", folder / "loop.txt")
    os.symlink("missing.txt", folder / "dangling.txt")
    os.symlink(".", folder / "again")
    report = index_paths([folder], make_settings(embed_model=HASH_MODEL), embedder=HashEmbedder(64))
    reasons = sorted(f"{Path(w.path).name}: {w.reason}" for w in report.warnings)
    assert report.counts_line == "1 added, 0 changed, 0 removed"
    assert reasons == [
        "dangling.txt: is a broken symbolic link (No such file or directory); not read",
        "loop.txt: is a broken symbolic link (symbolic link loop); not read",
        "pipe.md: is not a regular file (a pipe, socket or device); not read",
    ]
