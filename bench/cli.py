"""`rag bench`, plugged into the `rag` command through the ``rag.commands`` entry point (like `rag eval`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rag.errors import ConfigError
from rag.runtime import configure
from rag.settings import load_settings


@click.command("bench")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every figure.")
@click.option("--sizes", default="1000,10000,100000", show_default=True, help="Synthetic corpus sizes (chunks).")
@click.option("--quick", is_flag=True, help="Few queries and runs (a smoke run; use with small --sizes).")
@click.option("--ingest-chunks", type=click.IntRange(10, 100_000), default=1000, show_default=True,
              help="Size of the synthetic corpus on which ingest is timed (every sentence embedded live).")
@click.option("--datasets", type=click.Path(path_type=Path), help="The shared datasets folder.")
@click.option("--cache", type=click.Path(path_type=Path), help="Bench cache (default ~/.cache/rag-bench).")
@click.option("--queries", type=click.IntRange(5, 1000), default=40, show_default=True, help="Timed questions.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG of cost vs size.")
@click.option("--store-url", help="Also run every scale point on PostgreSQL, in a scratch database created (and "
              "dropped) on this server; the data at the URL itself is never touched.")
@click.option("--ray-workers", metavar="W[,W...]", help="Only time `rag index --ray` ingestion: the --ingest-chunks "
              "synthetic corpus indexed single-process, then on a new local Ray with each of these worker counts "
              "(e.g. 1,2); chunks/s wall and per CPU second, and whether the chunks and vectors match (scale extra).")
@click.option("--ingest-runs", type=click.IntRange(1, 20), help="Only time ingest (ours and the LangChain recipe) "
              "on the --ingest-chunks synthetic corpus, this many times: each run's figures (tokens embedded "
              "included) with the load average before it, and the medians.")
def bench_cmd(as_json, sizes, quick, ingest_chunks, datasets, cache, queries, plot, store_url, ray_workers,
              ingest_runs):
    """Measure ingest, query latency, cold start, memory and quality against the plain LangChain recipe."""
    if ray_workers:
        _ray_bench(ray_workers, ingest_chunks, datasets, cache, as_json)
        return
    try:
        import langchain_huggingface  # noqa: F401 - the baseline recipe
    except ImportError:
        raise ConfigError("`rag bench` needs the bench extra (the LangChain baseline it compares against): "
                          "run `make install` or `pip install -e '.[bench]'`.") from None
    from bench.run import bench_folders

    bench_folders(datasets, cache)  # the shared datasets are there, before any model is loaded
    if ingest_runs:
        from bench.run import run_ingest_only

        settings = load_settings().model_copy(update={"store_url": None})
        configure(settings)
        result = run_ingest_only(settings, ingest_runs, datasets=datasets, cache=cache, ingest_chunks=ingest_chunks,
                                 echo=lambda line: click.echo(line, err=True))
        click.echo(json.dumps(result, indent=2) if as_json else _ingest_table(result))
        return
    from bench.run import run_bench, summary_table

    try:
        size_list = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"{sizes!r} is not a comma-separated list of chunk counts, e.g. 1000,10000.",
                                 param_hint="--sizes") from None
    if store_url:
        from rag.store.postgres.connection import check_url

        check_url(store_url)
    settings = load_settings().model_copy(update={"store_url": None})  # FAISS; PostgreSQL only as --store-url
    configure(settings)
    result = run_bench(settings, size_list, quick=quick, datasets=datasets, cache=cache,
                       ingest_chunks=ingest_chunks, queries=queries, echo=lambda line: click.echo(line, err=True),
                       store_url=store_url)
    if plot:
        from bench.run import plot_scale

        plot_scale(result, plot)
    click.echo(json.dumps(result, indent=2) if as_json else summary_table(result))


def _ingest_table(result: dict) -> str:
    rows = ["| run | load before | ours chunks/s | recipe chunks/s | ratio (wall) | ratio (CPU) | our tokens/embed s |",
            "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(result["runs"], 1):
        rows.append(f"| {i} | {r['load_avg_before'][0]} | {r['ours_chunks_per_s']} | {r['baseline_chunks_per_s']} | "
                    f"{r['ratio']} | {r['cpu_ratio']} | {r['ours_real_tokens_per_embed_s']} |")
    m = result["median"]
    rows.append(f"| median | | {m['ours_chunks_per_s']} | {m['baseline_chunks_per_s']} | {m['ratio']} | "
                f"{m['cpu_ratio']} | {m['ours_real_tokens_per_embed_s']} |")
    return "\n".join(rows)


def _ray_bench(ray_workers: str, ingest_chunks: int, datasets: Path | None, cache: Path | None, as_json: bool) -> None:
    """`rag bench --ray-workers W,...` (bench/ray_ingest.py)."""
    from bench.corpus import synthetic_corpus
    from bench.ray_ingest import ray_summary_table, run_ray_bench
    from bench.run import bench_folders
    from rag.ingest.distributed import import_ray

    try:
        workers = [int(w) for w in ray_workers.split(",") if w.strip()]
    except ValueError:
        workers = []
    if not workers or min(workers) < 1:
        raise click.BadParameter(f"{ray_workers!r} is not a comma-separated list of worker counts, e.g. 1,2.",
                                 param_hint="--ray-workers")
    import_ray()  # the scale extra, or one line saying how to install it
    datasets, cache = bench_folders(datasets, cache)
    settings = load_settings()
    configure(settings)
    echo = lambda line: click.echo(line, err=True)  # noqa: E731
    echo(f"ray ingest: synthetic corpus of {ingest_chunks} chunks")
    corpus = synthetic_corpus(datasets, cache, ingest_chunks, settings.chunk_size, settings.chunk_overlap)
    result = {"chunks_requested": ingest_chunks, "embed_model": settings.embed_model,
              **run_ray_bench(corpus.folder, workers, echo=echo)}
    click.echo(json.dumps(result, indent=2) if as_json else ray_summary_table(result))
