"""The `rag eval` and `rag squad-score` commands, plugged into `rag` through the ``rag.commands`` entry points.

Heavy libraries (torch, faiss, matplotlib) are imported inside the functions that use them.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from rag.errors import RagError


def reports_errors(func):
    """Turn a RagError into one line on stderr and its exit code (also when run outside `rag`'s main)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RagError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(err.exit_code)

    return wrapper


@click.command("squad-score")
@click.argument("data_file", type=click.Path(path_type=Path))
@click.argument("pred_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@reports_errors
def squad_score(data_file: Path, pred_file: Path, as_json: bool) -> None:
    """Score SQuAD v2 PRED_FILE ({id: answer}) against DATA_FILE exactly as the official evaluate-v2.0.py."""
    from eval.squad import score_files

    figures, missing = score_files(data_file, pred_file)
    if missing:
        click.echo(f"warning: {len(missing)} questions have no prediction and are left out (first: {missing[0]})",
                   err=True)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        click.echo(f"{key:>13}  {value}")


@click.command("eval")
@click.argument("gold", nargs=-1, type=click.Path(path_type=Path))
@click.option("--corpus", "corpus", multiple=True, type=click.Path(path_type=Path),
              help="File or folder to index and evaluate on (repeatable); a temporary index unless --index-dir.")
@click.option("--index-dir", type=click.Path(path_type=Path), help="Index folder to use (default: RAG_INDEX_DIR).")
@click.option("--k", "k", type=click.IntRange(1, 100), help="Passages handed to the answerer (default: RAG_K).")
@click.option("--mode", type=click.Choice(["extractive", "llm"]), help="Answer mode (default: RAG_ANSWER_MODE).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--per-question", is_flag=True, help="With --json: include the per-question records.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write report.md, report.html, figures and results.json into this folder.")
@click.option("--compare", nargs=2, type=click.Path(path_type=Path), metavar="A.json B.json",
              help="Print two saved --json results side by side with B - A, and exit.")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="all", show_default=True,
              help="Evaluate only the questions of this split (see docs/EVAL.md).")
@click.option("--limit", type=click.IntRange(1), help="Evaluate only the first N questions (after --split).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), envvar="RAG_EVAL_CACHE_DIR",
              help="Where dataset corpora and their indexes are cached (default: ~/.cache/rag-eval).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--store-url", help="PostgreSQL URL of the store to evaluate on and index into (default: RAG_STORE_URL; "
              "unset: index folders). Its documents count: use a database of its own per corpus.")
@reports_errors
def eval_command(gold, corpus, index_dir, k, mode, as_json, per_question, report_dir, compare, split, limit,
                 cache_dir, quiet, store_url):
    """Evaluate the assistant on GOLD: gold .jsonl files, a SQuAD v2 .json, or ClapNQ files or their folder
    (default: every eval/gold/*.jsonl against the current index).

    Questions go through the same chain as `rag ask`; see docs/EVAL.md for every metric's definition.
    """
    from eval.compare import compare_files, render_summary

    if compare:
        click.echo(compare_files(*compare))
        return
    from eval import session
    from rag.runtime import configure
    from rag.settings import load_settings

    settings = load_settings(index_dir=index_dir, k=k, answer_mode=mode, store_url=store_url)
    configure(settings)
    run = session.evaluate(
        list(gold) or session.default_gold_files(settings.seeds_dir),
        settings,
        corpus=list(corpus),
        index_dir=index_dir,
        k=k,
        mode=mode,
        split=split,
        limit=limit,
        cache_dir=cache_dir or session.DEFAULT_CACHE,
        progress=not quiet and sys.stderr.isatty(),
    )
    if run.summary.get("probes"):  # a verifier probe file: its own report
        from eval.probes import render

        click.echo(json.dumps(run.to_json(per_question), ensure_ascii=False, indent=2) if as_json
                   else render(run.summary))
        return
    if report_dir is not None:
        from eval.report import write_report

        paths = write_report(run.summary, run.records, report_dir)
        click.echo(f"report written to {paths['report.html']} and {paths['report.md']}", err=True)
    if as_json:
        click.echo(json.dumps(run.to_json(per_question), ensure_ascii=False, indent=2))
    else:
        click.echo(render_summary(run.summary))
