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
def bench_cmd(as_json, sizes, quick, ingest_chunks, datasets, cache, queries, plot, store_url):
    """Measure ingest, query latency, cold start, memory and quality against the plain LangChain recipe."""
    try:
        import langchain_huggingface  # noqa: F401 - the baseline recipe
    except ImportError:
        raise ConfigError("`rag bench` needs the bench extra (the LangChain baseline it compares against): "
                          "run `make install` or `pip install -e '.[bench]'`.") from None
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
