"""Ray Data ingestion (`rag index --ray`): the same documents, chunks and vectors as the single-process path, into
the FAISS folder and into PostgreSQL.

The tests start a real local Ray cluster of 2 CPUs (so 2 parse tasks at a time and 2 embedding actors, each its
own worker process) from this process, offline, and shut it down after the module; the PostgreSQL tests use the
tests' pgserver (tests/support/pg_server.py). The fast tests embed with the hashing embedder; the slow one with the
real int8 model, whose vectors depend on batch composition, so it checks that Ray embeds exactly the
single-process batches.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.ingest.indexer import index_paths, unit_groups
from rag.store import open_store
from tests.conftest import REPO, SEED_FILE
from tests.support.mixed_folder import make_mixed_folder

N_MIXED = 30  # files 0..29 of the mixed folder hold every supported format once at least (PDF, .eml, .epub, ...)


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray cluster with 2 CPUs started by this process; yields its address for other drivers. The
    environment variables Ray sets in this process (RAY_AUTH_MODE, PYTHONBREAKPOINT) are undone after it."""
    import ray

    environ = dict(os.environ)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
             object_store_memory=200 * 2**20)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        os.environ.clear()
        os.environ.update(environ)


def make_corpus(folder: Path, list_lines: int = 0) -> Path:
    """The seed article (pysbd prose), Markdown, HTML in a subfolder, the mixed folder's formats (an e-mail with
    an attachment, a scanned PDF read by OCR, office files), one file that cannot be loaded and, optionally, a
    long list of short lines (one unit each, cheap to segment) so the units span several embedding groups."""
    folder.mkdir(parents=True)
    (folder / "seed.txt").write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "kyoto.md").write_text(
        "# Kyoto\n\nKyoto was the capital of Japan for over a thousand years. It has 1.5 million inhabitants.\n\n"
        "## Temples\n\nThere are about 1,600 Buddhist temples. Kinkaku-ji is covered in gold leaf.\n" * 6,
        encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "page.html").write_text(
        "<html><body><h1>Osaka</h1><p>Osaka is known for its food. Takoyaki comes from Osaka.</p>"
        "<p>The castle was built in 1583.</p></body></html>", encoding="utf-8")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 no workbook")
    make_mixed_folder(folder / "mixed", N_MIXED)
    if list_lines:
        words = ["alpha", "river", "copper", "lantern", "meadow", "quartz", "harbor", "violet", "tundra", "ember"]
        lines = [f"item {i} {words[i % 10]} {words[(i * 7) % 10]} {words[(i * 3) % 10]} {i * 37 % 1000}"
                 for i in range(list_lines)]
        (folder / "inventory.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("ray") / "docs", list_lines=4200)


def store_settings(make_settings, tmp_path, backend: str, name: str, **overrides):
    """Settings for a fresh store of ``backend``: a FAISS folder, or a new database on the tests' PostgreSQL."""
    if backend == "postgres":
        from tests.support.pg_server import fresh_database

        overrides["store_url"] = fresh_database(f"ray_{name}")
    return make_settings(index_dir=tmp_path / name, **overrides)


def index_both(make_settings, tmp_path, corpus, backend: str = "faiss", **overrides):
    from rag.ingest.distributed import RayPipeline

    local = store_settings(make_settings, tmp_path, backend, "local", **overrides)
    distributed = store_settings(make_settings, tmp_path, backend, "ray", **overrides)
    local_report = index_paths([corpus], local)
    ray_report = index_paths([corpus], distributed, pipeline=RayPipeline())
    return (local_report, open_store(local).view()), (ray_report, open_store(distributed).view())


def assert_same_store(a, b, atol: float) -> list[list[tuple[int, int]]]:
    """Same documents, chunks (ids, spans, sentence spans, in the same order), chunk vectors and unit vectors;
    returns the unit spans of each document, in the order the documents were written."""
    assert a.manifest["documents"] == b.manifest["documents"]
    assert a.manifest["embedding"] == b.manifest["embedding"]
    assert {s: d for s, d in a.documents().items()} == {s: d for s, d in b.documents().items()}
    chunks_a, chunks_b = list(a.iter_chunks()), list(b.iter_chunks())
    assert len(chunks_a) == a.n_chunks == b.n_chunks > 0
    assert [c.chunk_id for _, c in chunks_a] == [c.chunk_id for _, c in chunks_b]
    assert [c for _, c in chunks_a] == [c for _, c in chunks_b]
    np.testing.assert_allclose(a.chunk_vectors([k for k, _ in chunks_a]), b.chunk_vectors([k for k, _ in chunks_b]),
                               atol=atol, rtol=0)
    units = []
    for source in dict.fromkeys(c.source for _, c in chunks_a):
        spans = sorted({s for _, c in chunks_a if c.source == source for s in c.sentences})
        va, vb = a.unit_vectors(source, spans), b.unit_vectors(source, spans)
        assert va.shape == (len(spans), a.manifest["embedding"]["dim"])
        np.testing.assert_allclose(va, vb, atol=atol, rtol=0)
        units.append(spans)
    return units


@pytest.mark.parametrize("backend", ["faiss", "postgres"])
def test_ray_index_equals_single_process(ray_cluster, make_settings, tmp_path, big_corpus, backend):
    (local_report, local), (ray_report, distributed) = index_both(
        make_settings, tmp_path, big_corpus, backend, embed_model="hash:64", embed_batch_size=32)
    n_files = 5 + N_MIXED
    assert local_report.counts_line == f"{n_files - 1} added, 0 changed, 0 removed"
    assert ray_report.counts_line == local_report.counts_line
    assert ray_report.parsed_files == local_report.parsed_files == n_files
    assert [str(w) for w in ray_report.warnings] == [str(w) for w in local_report.warnings]
    assert len(ray_report.warnings) == 1 and "broken.xlsx" in str(ray_report.warnings[0])
    assert ray_report.notes == local_report.notes
    assert ray_report.n_documents == local_report.n_documents > n_files - 1  # e-mail attachments are documents
    units = assert_same_store(local, distributed, atol=0)
    assert len(list(unit_groups(units))) == 2  # more than one embedding group, each of many batches
    scanned = [d for s, d in distributed.documents().items() if s.endswith(".pdf")]
    assert scanned and "was checked by" in scanned[0].text  # read by OCR in a Ray worker


def test_ray_incremental_update(ray_cluster, make_settings, tmp_path):
    """A second run embeds only what changed and drops what is gone, with Ray as without."""
    from rag.ingest.distributed import RayPipeline

    corpus = make_corpus(tmp_path / "docs")
    local = make_settings(index_dir=tmp_path / "local", embed_model="hash:64")
    distributed = make_settings(index_dir=tmp_path / "ray", embed_model="hash:64")
    index_paths([corpus], local)
    index_paths([corpus], distributed, pipeline=RayPipeline())
    (corpus / "kyoto.md").write_text("# Kyoto\n\nKyoto has about 1.5 million inhabitants.\n", encoding="utf-8")
    (corpus / "sub" / "page.html").unlink()
    local_report = index_paths([corpus], local)
    ray_report = index_paths([corpus], distributed, pipeline=RayPipeline())
    assert ray_report.counts_line == local_report.counts_line == "0 added, 1 changed, 1 removed"
    assert ray_report.parsed_files == local_report.parsed_files == 2  # the changed file and the broken one
    assert ray_report.embedded_chunks == local_report.embedded_chunks == 1
    assert_same_store(open_store(local).view(), open_store(distributed).view(), atol=0)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["faiss", "postgres"])
def test_ray_index_equals_single_process_real_model(ray_cluster, make_settings, tmp_path, backend):
    """int8 vectors depend on the batch they were embedded in: equal vectors mean equal batches."""
    corpus = make_corpus(tmp_path / "docs")
    (local_report, local), (ray_report, distributed) = index_both(make_settings, tmp_path, corpus, backend)
    assert ray_report.counts_line == local_report.counts_line == f"{3 + N_MIXED} added, 0 changed, 0 removed"
    assert local.manifest["embedding"]["model"].endswith("+int8")
    units = assert_same_store(local, distributed, atol=1e-5)
    assert sum(map(len, units)) > 64  # more than one batch of the default size


def run_rag(args: list[str], cwd: Path, **env) -> subprocess.CompletedProcess:
    """`python -m rag ARGS` as a user runs it, another driver than this test process, from a shell without the
    RAY_AUTH_MODE that starting the test cluster set in this process's environment."""
    base = {k: v for k, v in os.environ.items() if k not in ("RAG_STORE_URL", "RAY_AUTH_MODE", "RAY_ADDRESS")}
    env = dict(base, PYTHONPATH=str(REPO), RAG_EMBED_MODEL="hash:64", RAY_USAGE_STATS_ENABLED="0", **env)
    return subprocess.run([sys.executable, "-m", "rag", *args], env=env, capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def test_cli_index_ray_address_into_postgres(ray_cluster, pg_url, tmp_path):
    """`rag index PATH --ray HOST:PORT --store-url URL`: a separate process joins the cluster (sending this machine's
    token, as RAY_AUTH_MODE=token asks) and writes the store."""
    corpus = make_corpus(tmp_path / "docs")
    done = run_rag(["index", str(corpus), "--store-url", pg_url, "--ray", ray_cluster, "-q"], tmp_path,
                   RAY_AUTH_MODE="token")
    assert done.returncode == 0, done.stderr
    added = 3 + N_MIXED
    # The counts line ends stdout; Ray's raylet may print a line before it when it retries a task whose worker died
    # (seen under load: the index was complete and sound), which `log_to_driver=False` does not silence.
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{added} added, 0 changed, 0 removed; index has "), (done.stdout, done.stderr)
    assert "skipped" in done.stderr and "broken.xlsx" in done.stderr, done.stderr
    check = run_rag(["index", "--check", "--store-url", pg_url], tmp_path)
    assert check.returncode == 0 and "is sound" in check.stdout, check.stdout + check.stderr


def test_cli_index_ray_auto_joins_the_cluster_ray_address_names(ray_cluster, tmp_path):
    """`--ray` alone is `--ray auto`: with RAY_ADDRESS set, that cluster (here the test's), connected to as an
    explicit address."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "seed.txt").write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    done = run_rag(["index", str(corpus), "--index-dir", str(tmp_path / "cli"), "--ray"], tmp_path,
                   RAY_ADDRESS=ray_cluster, RAY_AUTH_MODE="token")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 added, 0 changed, 0 removed; index has 1 documents"), (done.stdout, done.stderr)


def test_cli_without_the_clusters_token_is_one_line(ray_cluster, tmp_path):
    """The test cluster asks for a token (Ray's default); Ray sends none to an explicit address without
    RAY_AUTH_MODE=token, and retries for about 20 s writing a line a second: the user sees one line saying what
    to set, and nothing is written."""
    done = run_rag(["index", str(SEED_FILE), "--index-dir", str(tmp_path / "x"), "--ray", ray_cluster], tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: --ray {ray_cluster}: the cluster asks for Ray's authentication token")
    assert "RAY_AUTH_MODE=token" in lines[0]
    assert not (tmp_path / "x").exists()
