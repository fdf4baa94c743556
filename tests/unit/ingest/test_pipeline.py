"""The indexer's Pipeline seam and the parts of `rag index --ray` that need no Ray cluster: the batch plan every
pipeline embeds, a pipeline's results used as given, a missing Ray or a bad address as one clear line, and no Ray
import without --ray. (Ray cluster tests: tests/system/test_ray_ingest.py.)"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from rag.errors import ConfigError
from rag.ingest.indexer import GROUP_SENTENCES, LocalPipeline, index_paths, unit_batches, unit_groups
from rag.store import open_store
from tests.conftest import REPO, SEED_FILE


def test_unit_groups_hold_about_group_sentences_units_each():
    spans = [[(0, 1)] * 3000, [(0, 1)] * 2000, [(0, 1)] * 10, [(0, 1)] * 5000, [(0, 1)] * 7]
    groups = list(unit_groups(spans))
    assert groups == [[0, 1], [2, 3], [4]]
    assert all(sum(len(spans[d]) for d in g) >= GROUP_SENTENCES for g in groups[:-1])
    assert list(unit_groups([])) == []


def test_unit_batches_cover_every_text_once_sorted_by_length():
    texts = [("x" * n) for n in (5, 1, 40, 3, 3, 17, 2, 9, 30, 11, 8, 6, 4, 7, 12, 13, 14, 15)]
    batches = unit_batches(texts, 4, [len(t) for t in texts])  # at least 16 a batch
    assert [len(b) for b in batches] == [16, 2]
    assert sorted(j for b in batches for j in b) == list(range(len(texts)))
    flat = [len(texts[j]) for b in batches for j in b]
    assert flat == sorted(flat)


def test_index_paths_parses_and_embeds_through_the_pipeline(make_settings, fake_embedder, tmp_path):
    """A pipeline's parse and embed are what index_paths uses (the Ray pipeline plugs in here)."""
    calls = []

    class Recording(LocalPipeline):
        def parse(self, paths, settings, show_progress):
            calls.append(("parse", [p.name for p in paths]))
            return super().parse(paths, settings, show_progress)

        def embed(self, embedder, by_doc, spans, settings, progress, show):
            calls.append(("embed", [d.source for d, _ in by_doc]))
            return super().embed(embedder, by_doc, spans, settings, progress, show)

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Penguins live in Antarctica. They eat krill.\n", encoding="utf-8")
    settings = make_settings()
    report = index_paths([docs], settings, embedder=fake_embedder, pipeline=Recording())
    assert report.counts_line == "1 added, 0 changed, 0 removed"
    assert calls == [("parse", ["a.txt"]), ("embed", [str((docs / "a.txt").resolve())])]
    view = open_store(settings).view()
    keys = [k for k, _ in view.iter_chunks()]
    assert np.allclose(np.linalg.norm(view.chunk_vectors(keys), axis=1), 1, atol=1e-5)


def test_missing_ray_is_one_clear_error(monkeypatch):
    from rag.ingest.distributed import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when Ray is not installed
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[scale\]'"):
        import_ray()


def run_rag(args: list[str], tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("RAG_STORE_URL", "RAY_ADDRESS")}
    env = dict(base, PYTHONPATH=str(REPO), RAG_EMBED_MODEL="hash:64", RAY_USAGE_STATS_ENABLED="0", **env)
    return subprocess.run([sys.executable, "-m", "rag", *args], env=env, capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)


@pytest.mark.parametrize(("address", "message"), [
    ("127.0.0.1:9", "error: --ray 127.0.0.1:9: cannot connect to a Ray cluster"),
    ("no-port-here", "error: --ray no-port-here: not a Ray address"),
])
def test_cli_unreachable_or_bad_ray_address_is_one_line(tmp_path, address, message):
    done = run_rag(["index", str(SEED_FILE), "--index-dir", str(tmp_path / "x"), "--ray", address], tmp_path)
    assert done.returncode == ConfigError.exit_code
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr
    assert not (tmp_path / "x").exists()


def test_cli_ray_auto_with_an_unreachable_ray_address_starts_no_local_ray(tmp_path):
    """RAY_ADDRESS names the cluster `--ray auto` must use: when it cannot be reached, the run stops with one line
    instead of indexing on a new local Ray."""
    done = run_rag(["index", str(SEED_FILE), "--index-dir", str(tmp_path / "x"), "--ray"], tmp_path,
                   RAY_ADDRESS="127.0.0.1:9")
    assert done.returncode == ConfigError.exit_code
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: --ray auto (RAY_ADDRESS=127.0.0.1:9): cannot connect to a Ray cluster")
    assert not (tmp_path / "x").exists()


def test_cli_ray_with_check_is_a_usage_error(tmp_path):
    done = run_rag(["index", "--check", "--index-dir", str(tmp_path / "x"), "--ray"], tmp_path)
    assert done.returncode == 2
    assert "--ray applies to one indexing run" in done.stderr


def test_rag_index_without_ray_never_imports_it(tmp_path):
    code = ("import sys; from rag.cli import main\n"
            "try:\n"
            f"    main(['index', {str(SEED_FILE)!r}, '--index-dir', {str(tmp_path / 'i')!r}, '-q'])\n"
            "except SystemExit as done:\n"
            "    assert not done.code, done.code\n"
            "print('ray imported' if 'ray' in sys.modules else 'ray not imported')")
    env = dict(os.environ, PYTHONPATH=str(REPO), RAG_EMBED_MODEL="hash:64")
    env.pop("RAG_STORE_URL", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ray not imported")
