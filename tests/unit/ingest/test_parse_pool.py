"""Parsing in a process pool: the same documents and chunks, in file order, as parsing in one process; a progress
bar with files/s; and a 10,000-file mixed-format folder indexed end to end (slow)."""

from __future__ import annotations

import random
import resource
from pathlib import Path

import pytest

from rag.ingest.parse import PARALLEL_FILES, ParseOptions, large_job, parse_files
from tests.support.mixed_folder import MIX, fact, make_mixed_folder, suffix_for


def test_the_pool_gives_what_one_process_gives_in_file_order(tmp_path, capsys):
    counts = make_mixed_folder(tmp_path / "docs", 100)
    assert set(counts) == set(MIX)
    paths = sorted((tmp_path / "docs").rglob("record_*"))
    (tmp_path / "docs" / "broken.xlsx").write_bytes(b"PK\x03\x04 no workbook")
    paths.insert(50, tmp_path / "docs" / "broken.xlsx")
    options = ParseOptions(32 * 2**20, 800, 120)
    assert not large_job(paths) and large_job(paths * (PARALLEL_FILES // len(paths) + 1))

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    pooled = list(parse_files(paths, options, workers=2, show_progress=True, parallel=True))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert after.ru_utime > children.ru_utime  # the files were parsed by worker processes
    bar = capsys.readouterr().err
    assert "Parsing" in bar and "files/s" in bar
    serial = list(parse_files(paths, options, workers=2))  # a small job: parsed in this process

    assert [p.path for p in pooled] == [str(p) for p in paths]
    for a, b in zip(pooled, serial, strict=True):
        assert [(d, c) for d, c in a.documents] == [(d, c) for d, c in b.documents]
        assert [d.units for d, _ in a.documents] == [d.units for d, _ in b.documents]
        assert [str(e) for e in a.errors] == [str(e) for e in b.errors]
    broken = pooled[50]
    assert not broken.documents and "broken.xlsx: is not a readable .xlsx file" in str(broken.errors[0])
    assert all(p.documents for i, p in enumerate(pooled) if i != 50)


@pytest.mark.slow
def test_a_10000_file_mixed_folder_is_indexed(tmp_path, make_settings, fake_embedder):
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    n = 10_000
    counts = make_mixed_folder(tmp_path / "docs", n)
    assert sum(counts.values()) == n
    settings = make_settings(parse_workers=0, retrieval_mode="bm25")  # the record number finds its file
    report = index_paths([tmp_path / "docs"], settings, embedder=fake_embedder)
    assert not report.warnings
    assert len(report.added) == n and report.parsed_files == n
    assert report.n_documents == n + counts[".eml"]  # each message carries one attachment
    assert report.n_chunks >= report.n_documents

    services = build_services(settings, embedder=fake_embedder)
    rng = random.Random(3)  # a file of each format is found by its record number
    for suffix in MIX:
        number = rng.choice([i for i in range(n) if suffix_for(i) == suffix])
        _sentence, thing, place, person = fact(number)
        passages = services.assistant.retrieve(f"Record {number}: who checked the {thing} at the {place}?")
        hit = [p.chunk for p in passages if Path(p.chunk.source).name.startswith(f"record_{number:05d}")]
        assert hit and person in hit[0].text, (suffix, number, [p.chunk.source for p in passages])



KILLED_MID_PARSE = """
import sys
from pathlib import Path
from rag.ingest.parse import ParseOptions, parse_files

if __name__ == "__main__":  # the spawned workers import this file again
    paths = sorted(Path(sys.argv[1]).glob("*.txt"))
    for parsed in parse_files(paths, ParseOptions(2**20, 800, 120), workers=2, parallel=True):
        print("parsing", flush=True)
        sys.stdin.read()  # hold the pool open until the test kills this process
"""


def test_pool_workers_exit_when_the_indexer_is_killed(tmp_path):
    """A `rag index` killed with SIGKILL mid-parse leaves no worker process behind (they used to wait forever)."""
    import os
    import signal
    import subprocess
    import sys

    import psutil

    from tests.conftest import REPO

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        (docs / f"f{i:02d}.txt").write_text(f"File {i} says something about topic {i}.\n", encoding="utf-8")
    script = tmp_path / "killed.py"
    script.write_text(KILLED_MID_PARSE, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(docs)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "parsing"
        workers = [c for c in psutil.Process(proc.pid).children()
                   if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2  # the pool's two workers are running
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, [p.pid for p in alive]
        assert len(gone) == 2
    finally:
        if proc.poll() is None:
            proc.kill()
