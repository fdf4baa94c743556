"""The one way the tool opens a file it is given: documents, uploads, --history files, gold and dataset files.

Only regular files are read. The path is checked with ``stat`` before opening (a symlink to /dev/zero is refused
without being opened), opened with O_NONBLOCK (opening a FIFO never waits for a writer) and checked again with
``fstat`` on the open descriptor (a file swapped for a FIFO or a device between the two checks is refused too).
O_NONBLOCK stays set, so even a "regular" file that would block (procfs) fails instead of hanging. Reads stop
after ``max_bytes``. Every refusal is a LoadError naming the file: ``"<file>: <reason>"``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from rag.errors import LoadError

BLOCK = 1 << 20
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def shown(path) -> str:
    """The path as printed in messages: control characters (a newline in a file name) escaped, a byte that is not
    UTF-8 shown as the byte."""
    text = str(path)
    if text.isprintable():
        return text
    try:  # a byte that is not UTF-8 (read from the file system as a lone surrogate) is shown as the byte: \\xff
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:
        pass
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _os_error(name: str, err: OSError) -> LoadError:
    if isinstance(err, PermissionError):
        return LoadError(name, "permission denied; make the file readable")
    if isinstance(err, FileNotFoundError):
        return LoadError(name, "no such file")
    return LoadError(name, f"cannot read file ({err.strerror or err})")


def _check(name: str, info: os.stat_result, max_bytes: int | None, limit_note: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise LoadError(name, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block forever, /dev/zero never ends
        raise LoadError(name, "is not a regular file (a pipe, socket or device); not read")
    if max_bytes is not None and info.st_size > max_bytes:
        raise too_big(name, info.st_size, max_bytes, limit_note)


def too_big(name: str, size: float, max_bytes: int, limit_note: str = "") -> LoadError:
    return LoadError(name, f"file is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB limit"
                           f"{limit_note}")


def open_regular(path, max_bytes: int | None = None, limit_note: str = "") -> BinaryIO:
    """A binary handle on ``path`` once it is known to be a regular file of at most ``max_bytes`` (by its size)."""
    name = shown(path)
    try:
        _check(name, os.stat(path), max_bytes, limit_note)
        fd = os.open(path, _FLAGS)
    except OSError as err:
        raise _os_error(name, err) from None
    try:
        _check(name, os.fstat(fd), max_bytes, limit_note)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_block(handle: BinaryIO, size: int, path) -> bytes:
    """``handle.read(size)`` with OSError as LoadError; a read that would block is refused, not waited for."""
    try:
        data = handle.read(size)
    except OSError as err:
        raise _os_error(shown(path), err) from None
    if data is None:
        raise LoadError(shown(path), "cannot be read without waiting (a special file?); not read")
    return data


def read_bytes_bounded(path, max_bytes: int, limit_note: str = "") -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (also when it grows while being read)."""
    with open_regular(path, max_bytes, limit_note) as handle:
        data = read_block(handle, max_bytes + 1, path)
    if len(data) > max_bytes:
        raise too_big(shown(path), len(data), max_bytes, limit_note)
    return data


def read_text_bounded(path, max_bytes: int, limit_note: str = "") -> str:
    """``read_bytes_bounded`` decoded as UTF-8 (a BOM is dropped); UnicodeDecodeError is left to the caller."""
    return read_bytes_bounded(path, max_bytes, limit_note).decode("utf-8-sig")


def sha256_file(path: Path) -> str:
    """sha256 of a regular file's bytes, streamed in 1 MiB blocks; LoadError for anything else."""
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        for block in iter(lambda: read_block(handle, BLOCK, path), b""):
            digest.update(block)
    return digest.hexdigest()
