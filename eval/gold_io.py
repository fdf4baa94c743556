"""Gold Q&A files: one JSON object a line, ``{"id", "question", "answers", "evidence", "source"}``.

``load_gold`` never stops at the first bad line: it returns every item it could read and one ``Problem`` per bad
line (with its 1-based line number), so a user fixes the whole file in one pass.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.errors import GoldFileError
from eval.files import parse_json, read_dataset_text
from eval.relevance import CorpusText

REQUIRED = ("id", "question", "answers", "evidence", "source")


@dataclass
class GoldItem:
    id: str
    question: str
    answers: list[str]
    evidence: list[str]
    source: str | None
    extra: dict[str, Any] = field(default_factory=dict)  # "type", "history", "article", "split", ...

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def history(self) -> Any:
        return self.extra.get("history")

    @property
    def split(self) -> str:
        """The item's "split" field, else "dev" or "test" by the parity of the first byte of sha256(id)."""
        explicit = self.extra.get("split")
        if isinstance(explicit, str) and explicit:
            return explicit
        return "dev" if hashlib.sha256(self.id.encode("utf-8")).digest()[0] % 2 == 0 else "test"

    def to_json(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "question": self.question,
            "answers": self.answers,
            "evidence": self.evidence,
            "source": self.source,
        }
        data.update(self.extra)
        return data


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def parse_item(obj: Any) -> tuple[GoldItem | None, list[str]]:
    """Validate one decoded line; returns the item (or None) and the list of what is wrong with it."""
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {type(obj).__name__}"]
    errors = [f"missing field {name!r}" for name in REQUIRED if name not in obj]
    if "id" in obj and not (isinstance(obj["id"], str) and obj["id"]):
        errors.append("'id' must be a non-empty string")
    if "question" in obj and not (isinstance(obj["question"], str) and obj["question"].strip()):
        errors.append("'question' must be a non-empty string")
    for name in ("answers", "evidence"):
        if name in obj and not _is_str_list(obj[name]):
            errors.append(f"{name!r} must be a list of strings")
    if "evidence" in obj and _is_str_list(obj["evidence"]) and any(not e.strip() for e in obj["evidence"]):
        errors.append("'evidence' must not contain empty quotes")
    if "source" in obj and not (obj["source"] is None or isinstance(obj["source"], str)):
        errors.append("'source' must be a string or null")
    if errors:
        return None, errors
    extra = {k: v for k, v in obj.items() if k not in REQUIRED}
    item = GoldItem(obj["id"], obj["question"], list(obj["answers"]), list(obj["evidence"]), obj["source"], extra)
    return item, []


@dataclass
class GoldFile:
    path: Path
    items: list[GoldItem]
    problems: list[Problem]
    lines: dict[str, int] = field(default_factory=dict)  # item id -> line number

    @property
    def ok(self) -> bool:
        return not self.problems


def load_gold(path: Path | str) -> GoldFile:
    """Read and validate a gold JSONL file (blank lines are skipped); raises GoldFileError if it is unreadable."""
    path = Path(path)
    if not path.is_file():
        raise GoldFileError(f"The gold file {path} does not exist; pass the path of a JSONL file of questions.")
    try:
        text = read_dataset_text(path, "gold file")
    except UnicodeDecodeError as exc:
        raise GoldFileError(f"The gold file {path} is not UTF-8 text ({exc}); save it as UTF-8.") from exc
    gold = GoldFile(path, [], [])
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = parse_json(line)
        except json.JSONDecodeError as exc:
            gold.problems.append(Problem(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        item, errors = parse_item(obj)
        gold.problems.extend(Problem(number, e) for e in errors)
        if item is None:
            continue
        if item.id in gold.lines:
            gold.problems.append(Problem(number, f"duplicate id {item.id!r} (first on line {gold.lines[item.id]})"))
            continue
        gold.lines[item.id] = number
        gold.items.append(item)
    if not gold.items and not gold.problems:
        gold.problems.append(Problem(0, "the file holds no questions"))
    return gold


def source_matches(gold_source: str, doc_source: str) -> bool:
    """A gold ``source`` names an indexed document by its full path or by a trailing part of it ("a/b.txt")."""
    gold_parts = Path(gold_source).parts
    return Path(doc_source).parts[-len(gold_parts) :] == gold_parts if gold_parts else False


def check_evidence(
    items: Iterable[GoldItem], documents: dict[str, str], lines: dict[str, int] | None = None
) -> list[Problem]:
    """Problems for gold sources that match no document and evidence quotes not found where they should be.

    ``documents`` maps each corpus document's source to its loaded text; ``lines`` maps item ids to line numbers.
    A quote must occur (whitespace-insensitively) in the item's source document, or in any document when the
    item's source is null.
    """
    lines = lines or {}
    by_name: dict[str, list[str]] = {}
    for source in documents:
        by_name.setdefault(Path(source).name, []).append(source)
    everything = CorpusText(list(documents.values()))
    per_source: dict[str, CorpusText | None] = {}
    problems = []
    for item in items:
        line = lines.get(item.id, 0)
        corpus: CorpusText | None = everything
        if item.source is not None:
            if item.source not in per_source:
                names = [s for s in by_name.get(Path(item.source).name, []) if source_matches(item.source, s)]
                per_source[item.source] = CorpusText([documents[s] for s in names]) if names else None
            corpus = per_source[item.source]
            if corpus is None:
                problems.append(Problem(line, f"source {item.source!r} is not among the corpus documents"))
                continue
        where = f"source {item.source!r}" if item.source is not None else "any corpus document"
        for quote in item.evidence:
            if quote not in corpus:
                shown = quote if len(quote) <= 60 else quote[:57] + "..."
                problems.append(Problem(line, f"evidence {shown!r} is not in {where}"))
    return problems


def write_gold(items: Iterable[GoldItem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
