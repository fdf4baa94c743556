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
