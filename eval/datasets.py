"""Dataset adapters: a gold JSONL file, SQuAD v2 JSON or ClapNQ JSONL -> gold items (+ a corpus folder).

The format is detected from the content, not the file name. SQuAD and ClapNQ bring their own passages; the
adapter writes them as .txt files (one per passage, deterministic names) into ``corpus_dir`` so the ordinary
indexer can index them, and every evidence quote is a verbatim substring of its corpus file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.errors import GoldFileError
from eval.files import parse_json, read_dataset_text
from eval.gold_io import GoldItem, load_gold

GOLD, SQUAD, CLAPNQ = "gold", "squad", "clapnq"
CLAPNQ_FILES = ("clapnq_dev_answerable.jsonl", "clapnq_dev_unanswerable.jsonl")


@dataclass
class Dataset:
    format: str
    items: list[GoldItem]
    corpus_dir: Path | None  # None for a gold file: its corpus is whatever index or --corpus is given
    files: list[Path]  # the input files read, for cache keys
    lines: dict[str, int] = field(default_factory=dict)  # item id -> line number (gold files)


# ---------------------------------------------------------------- detection


def _first_json_line(text: str) -> Any:
    for line in text.splitlines():
        if line.strip():
            try:
                return parse_json(line)
            except json.JSONDecodeError:
                return None
    return None


def clapnq_files(path: Path) -> list[Path]:
    """The ClapNQ files for ``path``: a folder holding them (searched recursively), or one file plus its sibling."""
    path = Path(path)
    if path.is_dir():
        found = sorted(p for name in CLAPNQ_FILES for p in path.rglob(name))
        if found and len({p.parent for p in found}) > 1:
            raise GoldFileError(f"{path} holds ClapNQ files in several folders; pass one of those folders.")
        return found
    if path.name not in CLAPNQ_FILES:
        return [path]
    # Either file brings its sibling, always in the order answerable, unanswerable.
    return [p for p in (path.with_name(name) for name in CLAPNQ_FILES) if p == path or p.is_file()]


def detect_format(path: Path) -> str:
    """"gold", "squad" or "clapnq", from the content; raises GoldFileError for anything else."""
    path = Path(path)
    if not path.exists():
        raise GoldFileError(f"The dataset {path} does not exist; pass a gold .jsonl, a SQuAD v2 .json or ClapNQ files.")
    if path.is_dir():
        if clapnq_files(path):
            return CLAPNQ
        raise GoldFileError(f"The folder {path} holds no ClapNQ dev files; pass a gold .jsonl or a dataset file.")
    try:
        text = read_dataset_text(path, "dataset")
    except UnicodeDecodeError:
        raise GoldFileError(f"The dataset {path} is not UTF-8 text; pass a JSON or JSONL file.") from None
    try:
        whole = parse_json(text)
    except json.JSONDecodeError:
        whole = None
    head = _first_json_line(text)
    if isinstance(whole, dict) and "version" in whole and isinstance(whole.get("data"), list):
        return SQUAD
    if isinstance(head, dict) and {"input", "passages", "output"} <= head.keys():
        return CLAPNQ
    if path.suffix == ".json" and whole is not None:
        raise GoldFileError(f"{path} is JSON but not SQuAD v2 ('version' and 'data'); pass a SQuAD v2.0 file.")
    return GOLD  # JSONL of gold items; load_gold reports each bad line


def input_files(path: Path, fmt: str) -> list[Path]:
    """The files a dataset of format ``fmt`` at ``path`` is read from."""
    return clapnq_files(path) if fmt == CLAPNQ else [Path(path)]


def load_dataset(path: Path, corpus_dir: Path | None = None) -> Dataset:
    """Read any supported dataset; SQuAD/ClapNQ passages are written to ``corpus_dir`` (required for them)."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == GOLD:
        gold = load_gold(path)
        if not gold.ok:
            raise_problems(path, [str(p) for p in gold.problems])
        return Dataset(GOLD, gold.items, None, [path], gold.lines)
    if corpus_dir is None:
        raise GoldFileError(f"{path} is a {fmt} dataset; a corpus folder is needed to write its passages into.")
    files = input_files(path, fmt)
    if fmt == SQUAD:
        items, corpus = squad_items(parse_json(read_dataset_text(path, "dataset")))
    else:
        items, corpus = clapnq_items(files)
    write_corpus(corpus, Path(corpus_dir))
    return Dataset(fmt, items, Path(corpus_dir), files)


def raise_problems(path: Path, problems: list[str]) -> None:
    raise GoldFileError(
        f"{path} has {len(problems)} invalid line(s), fix them and run again: " + "; ".join(problems[:20])
        + ("; ..." if len(problems) > 20 else "")
    )


def write_corpus(corpus: dict[str, str], corpus_dir: Path) -> None:
    """Write ``{file name: text}``, rewriting only files whose content differs (keeps the indexer incremental), and
    delete the other ``.txt`` files of the folder (it belongs to the eval cache: a file an earlier version of this
    adapter named differently would be indexed beside its successor)."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for stale in corpus_dir.glob("*.txt"):
        if stale.name not in corpus:
            stale.unlink()
    for name, text in corpus.items():
        target = corpus_dir / name
        data = text.encode("utf-8")
        if not (target.is_file() and target.read_bytes() == data):
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:limit] or "untitled"


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _corpus_text(text: str) -> str:
    """The file content whose loaded text (CRLF folded to LF by the loader) keeps every quote verbatim."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- SQuAD v2


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` (pysbd), located by searching forward, trailing space excluded."""
    import pysbd

    spans, cursor = [], 0
    for sentence in pysbd.Segmenter(language="en", clean=False).segment(text):
        stripped = sentence.strip()
        if not stripped:
            continue
        start = text.find(stripped, cursor)
        if start < 0:  # pysbd altered the text; fall back to whatever is left as one sentence
            start = cursor
            stripped = text[cursor:].strip()
        spans.append((start, start + len(stripped)))
        cursor = start + len(stripped)
    return spans


def evidence_sentences(
    context: str, answers: list[dict[str, Any]], spans: list[tuple[int, int]] | None = None
) -> list[str]:
    """The distinct context sentences that overlap an answer span, in context order."""
    spans = sentence_spans(context) if spans is None else spans
    chosen = set()
    for answer in answers:
        start = int(answer["answer_start"])
        end = start + len(answer["text"])
        chosen.update(i for i, (s, e) in enumerate(spans) if s < end and start < e)
    return [context[spans[i][0] : spans[i][1]] for i in sorted(chosen)]


def squad_items(squad: dict[str, Any]) -> tuple[list[GoldItem], dict[str, str]]:
    """One corpus file per paragraph; articles alternate between the "dev" (even) and "test" (odd) splits."""
    items, corpus = [], {}
    for a_index, article in enumerate(squad["data"]):
        title = article.get("title", f"article{a_index}")
        split = "dev" if a_index % 2 == 0 else "test"
        for p_index, paragraph in enumerate(article["paragraphs"]):
            context = _corpus_text(paragraph["context"])
            name = f"squad-{a_index:03d}-{_slug(title)}-p{p_index:03d}.txt"
            corpus[name] = context
            spans = sentence_spans(context)
            for qa in paragraph["qas"]:
                impossible = bool(qa.get("is_impossible")) or not qa["answers"]
                answers = [] if impossible else _distinct([a["text"] for a in qa["answers"]])
                evidence = [] if impossible else evidence_sentences(context, qa["answers"], spans)
                extra = {"article": title, "split": split, "type": "squad"}
                items.append(GoldItem(qa["id"], qa["question"], answers, evidence, name, extra))
    return items, corpus


# ---------------------------------------------------------------- ClapNQ


def _clapnq_passage_name(title: str, content: str) -> str:
    """Named by a hash of the text written, so passages that differ only in what _corpus_text normalises are one
    document (the indexer indexes identical content once, under one name)."""
    digest = hashlib.sha256(content.encode()).hexdigest()[:12]
    return f"clapnq-{_slug(title)}-{digest}.txt"


def clapnq_records(files: list[Path]) -> Iterator[tuple[Path, int, dict]]:
    """(file, line number, record) of every ClapNQ record, in file order."""
    for path in files:
        for number, line in enumerate(read_dataset_text(path, "ClapNQ file").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = parse_json(line)
            except json.JSONDecodeError as exc:
                raise GoldFileError(f"{path} line {number} is not a ClapNQ record ({exc}).") from None
            yield path, number, record


def clapnq_items(files: list[Path]) -> tuple[list[GoldItem], dict[str, str]]:
    """Every record -> one item; the distinct (title, text) passages -> the corpus, title on the first line.

    answers: the distinct non-empty ``output[*].answer`` texts ([] means unanswerable); evidence: the distinct
    ``selected_sentences`` of those outputs (the whole passage text for the one answerable dev record that selects
    none); split: the GoldItem default (parity of sha256 of the id).
    """
    items, corpus, seen_ids = [], {}, set()
    for path, number, record in clapnq_records(files):
        try:
            question, passages, outputs = record["input"], record["passages"], record["output"]
        except (KeyError, TypeError) as exc:
            raise GoldFileError(f"{path} line {number} is not a ClapNQ record ({exc}).") from None
        if record["id"] in seen_ids:
            raise GoldFileError(f"{path} line {number} repeats id {record['id']!r}.")
        seen_ids.add(record["id"])
        names = []
        for passage in passages:
            content = _corpus_text(f"{passage['title']}\n\n{passage['text'].strip()}\n")
            name = _clapnq_passage_name(passage["title"], content)
            corpus[name] = content
            names.append(name)
        answered = [o for o in outputs if isinstance(o.get("answer"), str) and o["answer"].strip()]
        answers = _distinct([o["answer"] for o in answered])
        evidence = _distinct([s for o in answered for s in o.get("selected_sentences") or []])
        extra = {"title": passages[0]["title"] if passages else None, "type": "clapnq"}
        if answers and not evidence and passages:  # one dev record selects no sentence: the passage is the evidence
            evidence = [passages[0]["text"].strip()]
            extra["evidence_is_passage"] = True
        items.append(GoldItem(str(record["id"]), question, answers, evidence, names[0] if names else None, extra))
    return items, corpus
