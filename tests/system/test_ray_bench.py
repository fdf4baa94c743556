"""`rag bench --ray-workers`: the single-process path and a local Ray of W workers timed on the same folder, each
Ray index checked against the single-process one (no timing thresholds: the figures are for people to read)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import SEED_FILE
from tests.support.mixed_folder import make_mixed_folder


def test_tree_cpu_counts_children_also_those_that_exit_unwaited():
    """A child that burns 0.6 s of CPU and exits inside the block is counted (no one waits for it before the
    block ends, as Ray's workers are not waited for by this process)."""
    from bench.ray_ingest import TreeCpu

    burn = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\ntime.sleep(1)"
    with TreeCpu(interval=0.1) as cpu:
        child = subprocess.Popen([sys.executable, "-c", burn])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
    child.wait()
    assert cpu.seconds >= 0.5


def test_bad_worker_counts_are_one_line(tmp_path):
    from click.testing import CliRunner

    from bench.cli import bench_cmd

    result = CliRunner().invoke(bench_cmd, ["--ray-workers", "two"])
    assert result.exit_code == 2 and "is not a comma-separated list of worker counts" in result.output


@pytest.mark.slow
def test_ray_bench_times_each_worker_count_and_checks_the_vectors(tmp_path):
    from bench.ray_ingest import ray_summary_table, run_ray_bench

    folder = tmp_path / "docs"
    make_mixed_folder(folder, 12)
    (folder / "seed.txt").write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_ray_bench(folder, [2], model="hash:64")
    local, ray = result["runs"]
    assert "error" not in local and "error" not in ray, result
    assert local["workers"] == 0 and ray["workers"] == 2
    assert ray["chunks"] == local["chunks"] > 12 and ray["files"] == local["files"] == 13
    assert ray["same_chunk_ids"] is True and ray["max_abs_vector_diff"] == 0.0
    for run in (local, ray):
        assert run["wall_s"] > 0 and run["cpu_s"] > 0 and run["chunks_per_s_wall"] > 0
    assert ray["cluster_start_s"] > 0 and local["cluster_start_s"] is None
    table = ray_summary_table(result)
    assert "| ray, 2 worker(s) |" in table and "True / 0.0" in table
