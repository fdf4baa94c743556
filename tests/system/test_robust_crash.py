"""Crash safety: `rag index` is SIGKILLed at 20+ random moments while it adds, changes and removes documents.

After every kill the index loads, passes the integrity check, and lists exactly the documents of either the
state before that run or the state after it (compared by the manifest's sha256 map). The kill moments rotate
over three strategies: uniform over a typical run, a random delay after the snapshot's temporary folder appears
(while the snapshot is written), and right after ``current`` flips (while old snapshots are pruned).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest

from rag.embedding import HashEmbedder
from rag.store.integrity import check_index
from rag.store.snapshot import load_snapshot, read_manifest
from tests.support.hostile_corpus import RAG, corpus_state, prose, rag_env, run_rag

MIN_LIVE_KILLS = 22
MAX_ROUNDS = 60


def manifest_state(index_dir) -> dict[str, str]:
    manifest = read_manifest(index_dir) or {}
    return {s: d["sha256"] for s, d in manifest.get("documents", {}).items()}


def mutate(corpus, rng: random.Random, serial: list[int]) -> None:
    files = sorted(corpus.glob("*.txt"))
    for path in rng.sample(files, k=min(len(files) - 10, rng.randint(2, 4))):
        path.unlink()
    files = sorted(corpus.glob("*.txt"))
    for path in rng.sample(files, k=min(len(files), rng.randint(3, 6))):
        path.write_text(prose(rng, rng.randint(10, 30)), encoding="utf-8")
    for _ in range(rng.randint(3, 6)):
        serial[0] += 1
        (corpus / f"doc{serial[0]:04d}.txt").write_text(prose(rng, rng.randint(10, 30)), encoding="utf-8")


def temporaries(index_dir) -> set[str]:
    folder = index_dir / "snapshots"
    return {p.name for p in folder.iterdir() if p.name.startswith(".tmp-")} if folder.is_dir() else set()


def wait_until(proc, condition, deadline: float) -> None:
    while proc.poll() is None and time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.001)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts_the_index(tmp_path):
    rng = random.Random(20261127)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    serial = [0]
    for _ in range(60):
        serial[0] += 1
        (corpus / f"doc{serial[0]:04d}.txt").write_text(prose(rng, rng.randint(10, 30)), encoding="utf-8")
    index_dir = tmp_path / "index"
    env = rag_env(index_dir)
    args = [*RAG, "index", str(corpus), "--quiet"]

    started = time.monotonic()
    first, _ = run_rag(["index", str(corpus), "--quiet"], env)
    assert first.returncode == 0, first.stderr
    mutate(corpus, rng, serial)
    started = time.monotonic()
    second, _ = run_rag(["index", str(corpus), "--quiet"], env)
    assert second.returncode == 0, second.stderr
    typical = time.monotonic() - started  # one incremental run, used to spread the random kill moments

    outcomes = {"before": 0, "after": 0}
    strategies = {"uniform": 0, "writing": 0, "pruning": 0}
    live_kills = leftovers = 0
    rounds = 0
    while live_kills < MIN_LIVE_KILLS and rounds < MAX_ROUNDS:
        rounds += 1
        before = manifest_state(index_dir)
        mutate(corpus, rng, serial)
        after = corpus_state(corpus)
        old_temporaries = temporaries(index_dir)
        old_target = os.readlink(index_dir / "current")
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        strategy = list(strategies)[rounds % 3]
        deadline = time.monotonic() + 4 * typical + 10
        if strategy == "writing":
            wait_until(proc, lambda old=old_temporaries: temporaries(index_dir) - old, deadline)
            time.sleep(rng.uniform(0, 0.4))
        elif strategy == "pruning":
            wait_until(proc, lambda old=old_target: os.readlink(index_dir / "current") != old, deadline)
        else:
            time.sleep(rng.uniform(0.05, typical))
        if proc.poll() is None:
            live_kills += 1
            strategies[strategy] += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        leftovers += bool(temporaries(index_dir) - old_temporaries)
        report = check_index(index_dir)
        assert report.ok, f"round {rounds}: {report.problems}"
        snapshot = load_snapshot(index_dir, HashEmbedder(64))
        assert snapshot.n_chunks == snapshot.vectorstore.index.ntotal
        state = manifest_state(index_dir)
        assert state in (before, after), f"round {rounds}: index is neither the state before nor after the run"
        outcomes["before" if state == before and state != after else "after"] += 1

    assert live_kills >= MIN_LIVE_KILLS, f"only {live_kills} of {rounds} kills hit a running `rag index`"
    # An uninterrupted run afterwards completes from whatever was left and matches the corpus.
    final, _ = run_rag(["index", str(corpus), "--quiet"], env)
    assert final.returncode == 0, final.stderr
    assert manifest_state(index_dir) == corpus_state(corpus)
    check, _ = run_rag(["index", "--check"], env)
    assert check.returncode == 0 and "is sound" in check.stdout, check.stdout + check.stderr
    print(f"\ncrash-safety: {rounds} rounds, {live_kills} SIGKILLs of a running writer (by strategy "
          f"{strategies}), outcomes {outcomes}, {leftovers} left an unfinished temp folder; typical run "
          f"{typical:.1f} s")
