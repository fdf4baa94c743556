"""Reading the files the evaluation suite is given (gold, SQuAD, ClapNQ, predictions, saved results).

Every read goes through rag.safe_read: regular files only (a FIFO or a device named gold.jsonl is refused, never
waited on), at most DATASET_MAX_BYTES; JSON nested too deeply to parse is reported like any invalid JSON.
"""

from __future__ import annotations

from pathlib import Path

from eval.errors import GoldFileError
from rag.errors import LoadError
from rag.safe_read import read_bytes_bounded
from rag.validation import parse_json

DATASET_MAX_BYTES = 256 * 2**20  # SQuAD v2 train, the largest dataset in use, is 40 MB

__all__ = ["DATASET_MAX_BYTES", "parse_json", "read_dataset_bytes", "read_dataset_text"]


def read_dataset_bytes(path: Path, what: str) -> bytes:
    try:
        return read_bytes_bounded(path, DATASET_MAX_BYTES, " for a dataset file")
    except LoadError as err:
        raise GoldFileError(f"Cannot read the {what} {err}.") from None


def read_dataset_text(path: Path, what: str) -> str:
    """The file decoded as UTF-8; UnicodeDecodeError is left to the caller (each says what to do)."""
    return read_dataset_bytes(path, what).decode("utf-8")
