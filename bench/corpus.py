"""Corpora for `rag bench`: the seed article, the SQuAD v2 slice, and a deterministic synthetic scale corpus.

The synthetic corpus recombines real sentences (ClapNQ passages and SQuAD contexts from ../shared/datasets)
into documents with a fixed seed, so every run on every machine indexes the same text. Documents are written
as .txt files under the bench cache folder and reused when already there.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

SQUAD_FILE = Path("squad_v2_dev_subset/dev-v2.0-subset.json")
CLAPNQ_FILES = (Path("clapnq/annotated_data/dev/clapnq_dev_answerable.jsonl"),
                Path("clapnq/annotated_data/dev/clapnq_dev_unanswerable.jsonl"))
SEED = 20240917
CHUNKS_PER_DOC = 20


def require_datasets(datasets_dir: Path) -> Path:
    """``datasets_dir`` when it holds what the bench draws its corpus and questions from (the SQuAD v2 slice and
    ClapNQ dev files of the shared datasets), else one line naming the folder and what to pass."""
    from rag.errors import ConfigError

    missing = [str(f) for f in (SQUAD_FILE, *CLAPNQ_FILES) if not (datasets_dir / f).is_file()]
    if missing:
        raise ConfigError(f"`rag bench` draws its corpus and questions from the shared datasets, and {datasets_dir} "
                          f"lacks {', '.join(missing)}: pass --datasets DIR (the folder holding "
                          "squad_v2_dev_subset/ and clapnq/).")
    return datasets_dir


@dataclass
class GoldQuestion:
    question: str
    evidence: list[str]  # a chunk is relevant when it contains one of these verbatim
    source: str | None = None  # restricts relevance to this document's chunks when set


@dataclass
class Corpus:
    name: str
    folder: Path
    questions: list[GoldQuestion]


def squad_contexts(datasets_dir: Path) -> tuple[list, dict[str, str]]:
    """The SQuAD slice read by eval's adapter: its gold items and {file name: paragraph text}, in file order."""
    from eval.datasets import squad_items

    return squad_items(json.loads((datasets_dir / SQUAD_FILE).read_text(encoding="utf-8")))


def squad_corpus(datasets_dir: Path, cache_dir: Path) -> Corpus:
    """The slice's 83 paragraph contexts as documents; answerable questions, relevant = chunk holds the answer."""
    from eval.datasets import write_corpus

    folder = cache_dir / "corpus" / "squad-slice"  # named as eval names them (the old folder held squad-NNN.txt)
    items, corpus = squad_contexts(datasets_dir)
    write_corpus(corpus, folder)
    questions = [GoldQuestion(item.question, list(item.answers), str((folder / item.source).resolve()))
                 for item in items if item.answers]
    return Corpus("squad", folder, questions)


def seeds_corpus(seeds_dir: Path, gold_file: Path) -> Corpus:
    from eval.gold_io import load_gold

    questions = [GoldQuestion(item.question, list(item.evidence))
                 for item in load_gold(gold_file).items if item.answers and item.evidence]
    return Corpus("seeds", seeds_dir, questions)


def clapnq_records(datasets_dir: Path, which: int | None = None):
    """ClapNQ dev records through eval's reader (``which``: 0 answerable, 1 unanswerable, None both)."""
    from eval.datasets import clapnq_records as read

    files = [datasets_dir / f for f in (CLAPNQ_FILES if which is None else CLAPNQ_FILES[which:which + 1])]
    return (record for _, _, record in read([f for f in files if f.exists()]))


def sentence_pool(datasets_dir: Path) -> list[str]:
    """Unique real sentences, sorted, so the pool (and everything drawn from it) is the same on every machine."""
    from rag.ingest.sentences import sentence_spans

    pool: set[str] = set()
    for record in clapnq_records(datasets_dir):
        for passage in record.get("passages", []):
            pool.update(s.strip() for s in passage.get("sentences", []) if len(s.strip()) > 20)
    for text in squad_contexts(datasets_dir)[1].values():
        pool.update(text[a:b] for a, b in sentence_spans(text) if b - a > 20)
    return sorted(pool)


def synthetic_texts(pool: list[str], n_chunks: int, chunk_size: int, chunk_overlap: int, seed: int = SEED):
    """Yield (name, text) documents of about CHUNKS_PER_DOC chunks each until they hold ``n_chunks`` chunks."""
    from rag.ingest.chunking import make_splitter

    rng = random.Random(seed)
    splitter = make_splitter(chunk_size, chunk_overlap)
    target_chars = CHUNKS_PER_DOC * (chunk_size - chunk_overlap)
    total = 0
    n = 0
    while total < n_chunks:
        paragraphs, size = [], 0
        while size < target_chars:
            paragraph = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 7)))
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        text = "\n\n".join(paragraphs) + "\n"
        pieces = splitter.split_text(text)
        if total + len(pieces) > n_chunks:  # trim the last document so the corpus has exactly n_chunks
            keep = pieces[: n_chunks - total]
            end = text.find(keep[-1]) + len(keep[-1])
            text = text[:end] + "\n"
            pieces = splitter.split_text(text)
        total += len(pieces)
        yield f"synthetic-{n:05d}.txt", text
        n += 1


def synthetic_corpus(datasets_dir: Path, cache_dir: Path, n_chunks: int, chunk_size: int, chunk_overlap: int,
                     seed: int = SEED) -> Corpus:
    folder = cache_dir / "corpus" / f"synthetic-{n_chunks}-{chunk_size}-{chunk_overlap}-{seed}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        pool = sentence_pool(datasets_dir)
        for name, text in synthetic_texts(pool, n_chunks, chunk_size, chunk_overlap, seed):
            (folder / name).write_text(text, encoding="utf-8")
        done.write_text("ok\n")
    return Corpus(f"synthetic-{n_chunks}", folder, [])


def corpus_texts(folder: Path) -> list[tuple[str, str]]:
    """(resolved path, text) of every .txt file in ``folder``, sorted, for the baseline loader."""
    return [(str(p.resolve()), p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.txt"))]
