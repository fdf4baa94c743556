"""A snapshot that cannot be written (a full disk, a file-size limit): `rag index` says so in one line, removes its
temporary folder, and the index as it was stays published and answers. The write failure is real: the child
process runs under a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored), so its write() calls fail with EFBIG
as they would with ENOSPC on a full disk."""

from __future__ import annotations

import errno
import random
import resource
import signal
import subprocess

from rag.store.faiss_store import write_failure
from rag.store.snapshot import current_path, read_manifest
from tests.support.hostile_corpus import RAG, prose, rag_env

LIMIT = 256 * 1024  # bytes any one file may grow to in the child


def _limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def test_a_snapshot_that_cannot_be_written_leaves_the_index_as_it_was(tmp_path):
    rng = random.Random(11)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "small.txt").write_text("The harbour bridge opened in 1932. " + prose(rng, 20), encoding="utf-8")
    index_dir = tmp_path / "index"
    env = rag_env(index_dir)
    first = subprocess.run([*RAG, "index", str(corpus)], env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    published = current_path(index_dir).resolve()
    before = read_manifest(index_dir)["documents"]

    # a document larger than the limit: docs.jsonl of the next snapshot cannot be written
    (corpus / "big.txt").write_text(prose(rng, 4000), encoding="utf-8")
    assert (corpus / "big.txt").stat().st_size > LIMIT
    run = subprocess.run([*RAG, "index", str(corpus)], env=env, capture_output=True, text=True, timeout=600,
                         preexec_fn=_limited)
    assert run.returncode == 12, (run.returncode, run.stderr)
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert lines == [
        f"error: The new index could not be written: writing in {index_dir} failed: File too large. The index as "
        "it was is unchanged and still answers; free some space there or set RAG_INDEX_DIR to a folder with room, "
        "then run `rag index` again."], run.stderr
    assert "Traceback" not in run.stderr
    assert current_path(index_dir).resolve() == published
    assert read_manifest(index_dir)["documents"] == before
    assert not list((index_dir / "snapshots").glob(".tmp-*"))  # the half-written snapshot is gone

    ask = subprocess.run([*RAG, "ask", "When did the harbour bridge open?", "--json"], env=env, capture_output=True,
                         text=True, timeout=600)
    assert ask.returncode == 0, ask.stderr
    assert "1932" in ask.stdout


def test_a_full_disk_is_named_with_its_free_space(tmp_path):
    message = write_failure(tmp_path, OSError(errno.ENOSPC, "No space left on device"))
    assert message.startswith(f"The new index could not be written: the disk holding {tmp_path} is full (")
    assert " MB free)." in message and "RAG_INDEX_DIR" in message
