"""Everything `rag eval` does before and around the run: read the dataset, build or reuse the index, check the
evidence against the indexed texts, pick the split, run.

Index choice:
- SQuAD / ClapNQ (they bring their passages): the passages are written to ``<cache>/<format>-<hash>/corpus`` and
  indexed into ``<cache>/<format>-<hash>/index-<settings hash>`` (or --index-dir), reused on later runs; the
  hash covers the dataset bytes, and the settings hash the embedding model and chunking. --corpus paths are
  indexed in addition (as distractors), into a temporary index unless --index-dir is given.
- a gold JSONL file with --corpus: the paths are indexed into a temporary index (or --index-dir).
- a gold JSONL file alone: the existing index (--index-dir or RAG_INDEX_DIR; the default index is built from
  seeds/ first if it does not exist yet).
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path

from eval.datasets import GOLD, Dataset, detect_format, input_files, load_dataset
from eval.errors import GoldFileError
from eval.files import read_dataset_bytes
from eval.gold_io import GoldItem, check_evidence, load_gold, source_matches
from eval.runner import EvalRun, run_eval
from rag.errors import ConfigError

GOLD_DIR = Path(__file__).resolve().parent / "gold"
DEFAULT_CACHE = Path.home() / ".cache" / "rag-eval"


def default_gold_files(seeds_dir: Path | None = None) -> list[Path]:
    """The gold sets `rag eval` runs with no argument: those about the default documents (every ``source`` they
    name is a file under ``seeds_dir``, default seeds/). Sets about another corpus (eval/gold/k8s.jsonl) and probe
    files run only when named, with their --corpus."""
    from eval.probes import is_probe_file

    seeds = sorted(str(p) for p in Path(seeds_dir or GOLD_DIR.parent.parent / "seeds").rglob("*") if p.is_file())
    chosen = []
    for path in sorted(GOLD_DIR.glob("*.jsonl")):
        if is_probe_file(path):
            continue
        sources = {item.source for item in load_gold(path).items if item.source}
        if all(any(source_matches(source, seed) for seed in seeds) for source in sources):
            chosen.append(path)
    return chosen


def _digest(parts: Sequence[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def dataset_cache_dir(cache_dir: Path, fmt: str, files: Sequence[Path]) -> Path:
    return Path(cache_dir) / f"{fmt}-{_digest([read_dataset_bytes(f, 'dataset') for f in files])}"


def index_key(settings, model_id: str) -> str:
    """The cached index's name: everything that makes an index unusable for these settings (model, chunking, the
    snapshot format), so a cache from another version is never reused."""
    from rag.store.snapshot import FORMAT_VERSION

    return _digest([model_id.encode(), str(settings.chunk_size).encode(), str(settings.chunk_overlap).encode(),
                    f"format-{FORMAT_VERSION}".encode()])


def read_datasets(paths: Sequence[Path], cache_dir: Path) -> list[Dataset]:
    """Load each dataset; SQuAD/ClapNQ corpora go to their cache folder."""
    datasets = []
    for path in paths:
        fmt = detect_format(path)
        corpus_dir = None if fmt == GOLD else dataset_cache_dir(cache_dir, fmt, input_files(path, fmt)) / "corpus"
        datasets.append(load_dataset(path, corpus_dir))
    ids: dict[str, Path] = {}
    for dataset in datasets:
        for item in dataset.items:
            if item.id in ids:
                raise GoldFileError(f"Question id {item.id!r} occurs in both {ids[item.id]} and {dataset.files[0]}.")
            ids[item.id] = dataset.files[0]
    return datasets


def select(items: Sequence[GoldItem], split: str = "all", limit: int | None = None) -> list[GoldItem]:
    chosen = [i for i in items if split == "all" or i.split == split]
    return chosen[:limit] if limit is not None else chosen


def prepare_index(
    stack: contextlib.ExitStack,
    settings,
    embedder,
    datasets: Sequence[Dataset],
    corpus: Sequence[Path],
    index_dir: Path | None,
    show_progress: bool,
):
    """Return settings whose index_dir holds the index to evaluate on, building it when needed."""
    from rag.ingest.indexer import index_paths

    own_corpora = [d.corpus_dir for d in datasets if d.corpus_dir is not None]
    paths = [*own_corpora, *corpus]
    if not paths:
        target = index_dir or settings.index_dir
        settings = settings.model_copy(update={"index_dir": Path(target)})
        if index_dir is None:
            import click

            from rag.services import ensure_default_index

            ensure_default_index(settings, echo=lambda line: click.echo(line, err=True))
        return settings
    if index_dir is not None:
        target = Path(index_dir)
    elif corpus:
        target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rag-eval-"))) / "index"
    else:
        target = own_corpora[0].parent / f"index-{index_key(settings, embedder.model_id)}"
        if len(own_corpora) > 1:
            target = target.with_name(target.name + "-" + _digest([str(p).encode() for p in own_corpora]))
    settings = settings.model_copy(update={"index_dir": target})
    report = index_paths(paths, settings, embedder=embedder, show_progress=show_progress)
    if report.missing_paths:
        raise ConfigError(f"The corpus path {report.missing_paths[0]} does not exist; pass existing files or folders.")
    return settings


def validate(datasets: Sequence[Dataset], documents: dict[str, str]) -> None:
    """Refuse to evaluate when a gold source or evidence quote is not in the indexed texts, listing them all."""
    problems = [
        f"{d.files[0]} {p}" for d in datasets for p in check_evidence(d.items, documents, d.lines)
    ]
    if problems:
        shown = "; ".join(problems[:10]) + ("; ..." if len(problems) > 10 else "")
        raise GoldFileError(
            f"{len(problems)} gold problem(s) against the indexed documents (is the right corpus indexed?): {shown}"
        )


def evaluate(
    gold_paths: Sequence[Path],
    settings,
    corpus: Sequence[Path] = (),
    index_dir: Path | None = None,
    k: int | None = None,
    mode: str | None = None,
    split: str = "all",
    limit: int | None = None,
    cache_dir: Path = DEFAULT_CACHE,
    embedder=None,
    progress: bool = True,
) -> EvalRun:
    """The whole `rag eval` pipeline; ``embedder`` may be injected (tests use the fake HashEmbedder)."""
    from eval import probes
    from rag.embedding import make_embedder
    from rag.services import build_services

    if any(probes.is_probe_file(p) for p in gold_paths):  # verifier probes (eval/probes.py), not questions
        if not all(probes.is_probe_file(p) for p in gold_paths):
            raise ConfigError("Verifier probe files and question files need separate `rag eval` runs.")
        return probes.evaluate(gold_paths, settings, corpus, index_dir, split, limit, embedder, progress)
    datasets = read_datasets(gold_paths, cache_dir)
    items = select([i for d in datasets for i in d.items], split, limit)
    if not items:
        raise ConfigError(f"No question is left after --split {split}; choose another split or 'all'.")
    embedder = embedder or make_embedder(settings)
    with contextlib.ExitStack() as stack:
        settings = prepare_index(stack, settings, embedder, datasets, corpus, index_dir, progress)
        services = build_services(settings, embedder=embedder)
        if mode == "llm" and "llm" not in services.assistant.modes:
            raise ConfigError("--mode llm needs RAG_LLM_BASE_URL (an OpenAI-compatible endpoint); see the README.")
        snapshot = services.view()
        validate(datasets, {source: doc.text for source, doc in snapshot.documents().items()})
        run = run_eval(items, services, k=k, mode=mode, progress=progress)
    run.summary["config"].update(
        {
            "datasets": [{"path": str(d.files[0]), "format": d.format} for d in datasets],
            "split": split,
            "limit": limit,
        }
    )
    return run
