"""Zip containers (.xlsx, .pptx, .epub, .odt) opened within limits, before a library reads them.

``checked_zip`` refuses an archive whose members declare an implausible unpacked size (a zip bomb); zipfile never
unpacks a member past its declared size (it fails the CRC instead), so the libraries that read the archive after
the check are bounded too. ``read_member`` reads one member in bounded blocks. The robust branch's shared guard
(rag/archive_guard.py) replaces both when the branches are merged; the rule here is the one the .docx loader uses.
"""

from __future__ import annotations

import io
import zipfile

from rag.errors import LoadError

BLOCK = 1 << 16
SLACK = 50 * 2**20  # an archive may unpack to 20x its size plus this before it is refused
RATIO = 20


def unpacked_limit(packed: int, max_chars: int) -> int:
    return min(RATIO * packed + SLACK, 4 * max_chars + SLACK)


def checked_zip(name: str, data: bytes, max_chars: int, kind: str) -> zipfile.ZipFile:
    """The archive in ``data``, after checking every member's declared size against the limit; LoadError naming
    the file when it is no zip (``kind`` names the format: ".xlsx") or would unpack to too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as err:
        raise LoadError(name, f"is not a readable {kind} file (not a zip archive: {err})") from None
    limit = unpacked_limit(len(data), max_chars)
    total = sum(info.file_size for info in members)
    if total > limit or any(info.file_size > limit for info in members):
        archive.close()
        raise LoadError(name, f"unpacks to {total / 2**20:.0f} MiB from {len(data) / 2**20:.1f} MiB (zip bomb?); "
                        "not loaded")
    return archive


def read_member(archive: zipfile.ZipFile, member: str, limit: int, name: str) -> bytes:
    """The bytes of ``member``, read in blocks and never more than ``limit`` of them (LoadError beyond)."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise LoadError(name, f"has no {member} inside; it is damaged or not this kind of file") from None
    if info.file_size > limit:
        raise LoadError(name, f"its {member} unpacks to {info.file_size / 2**20:.0f} MiB (zip bomb?); not loaded")
    parts: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as handle:
            for block in iter(lambda: handle.read(BLOCK), b""):
                size += len(block)
                if size > limit:
                    raise LoadError(name, f"its {member} unpacks to over {limit / 2**20:.0f} MiB (zip bomb?); "
                                    "not loaded")
                parts.append(block)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as err:
        raise LoadError(name, f"its {member} cannot be unpacked ({type(err).__name__}: {err})") from None
    return b"".join(parts)


def expect_type(archive: zipfile.ZipFile, name: str, kind: str, member: str, marker: bytes) -> None:
    """Check that the archive is the format its name says: ``member`` (the OpenDocument/EPUB ``mimetype`` or the
    OOXML ``[Content_Types].xml``) must contain ``marker``; a clear LoadError otherwise (a .docx renamed .xlsx)."""
    content = read_member(archive, member, 4 * 2**20, name)
    if marker not in content:
        raise LoadError(name, f"is not a {kind} file (its {member} does not declare one); save it as {kind}")
