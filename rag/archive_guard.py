"""Bounded unpacking of zip-based documents (.docx, .pptx, .xlsx, .epub, .odt).

A zip bomb is small on disk and huge unpacked. ``check_archive`` refuses an archive before its parser sees it
when the sizes its members declare add up to more than the limit, then decompresses every member through a
counter (the bytes are dropped at once) and stops as soon as more than ``max_expanded`` bytes came out in total,
or the deadline passed. What the parser reads afterwards is what was counted here (``zipfile`` stops each member
at its declared size and fails its CRC if the data says otherwise), so the parser never unpacks more than the
limit. The parse itself runs under a time and memory limit too (rag/parse_process.py).
"""

from __future__ import annotations

import io
import time
import zipfile
import zlib

from rag.errors import LoadError

CHUNK = 1 << 16
MAX_MEMBERS = 10_000  # a real office document or e-book has hundreds of parts at most


def _size(n: float) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def expansion_error(name: str, expanded: float, size: int, max_expanded: int, declared: bool) -> LoadError:
    amount = f"{expanded / 2**20:.0f} MiB" if declared else f"more than {max_expanded / 2**20:.0f} MiB"
    return LoadError(name, f"unpacks to {amount} from {_size(size)}, over the "
                           f"{max_expanded / 2**20:.0f} MiB limit (RAG_MAX_EXPANDED_MB; zip bomb?); not loaded")


def timeout_error(name: str, timeout: float) -> LoadError:
    return LoadError(name, f"took longer than the {timeout:g} s parse limit (RAG_PARSE_TIMEOUT); not loaded")


def check_archive(data: bytes, name: str, max_expanded: int, deadline: float | None = None,
                  timeout: float = 0.0, kind: str = "zip") -> int:
    """Unpack ``data`` through a counter and return the number of bytes it holds; LoadError naming ``name`` when
    it is not a readable zip, has implausibly many members, unpacks to more than ``max_expanded`` bytes, or the
    ``deadline`` (time.monotonic) passes. ``kind`` names the format in messages (".docx")."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise LoadError(name, f"holds {len(members):,} files, over the {MAX_MEMBERS:,} a {kind} file "
                                      "can plausibly have (zip bomb?); not loaded")
            declared = sum(info.file_size for info in members)
            if declared > max_expanded:
                raise expansion_error(name, declared, len(data), max_expanded, declared=True)
            total = 0
            for info in members:
                with archive.open(info) as member:
                    while chunk := member.read(CHUNK):
                        total += len(chunk)
                        if total > max_expanded:
                            raise expansion_error(name, total, len(data), max_expanded, declared=False)
                        if deadline is not None and time.monotonic() > deadline:
                            raise timeout_error(name, timeout)
            return total
    except LoadError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as err:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method.
        raise LoadError(name, f"is not a readable {kind} file ({type(err).__name__})") from None


def expect_type(data: bytes, name: str, kind: str, member: str, marker: bytes) -> None:
    """Check that an archive (already through ``check_archive``) is the format its name says: ``member`` (the
    OpenDocument/EPUB ``mimetype`` or the OOXML ``[Content_Types].xml``) must contain ``marker``; a clear LoadError
    otherwise (a .docx renamed .xlsx)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            content = archive.read(member)
    except KeyError:
        raise LoadError(name, f"has no {member} inside; it is damaged or not a {kind} file") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as err:
        raise LoadError(name, f"is not a readable {kind} file ({type(err).__name__})") from None
    if marker not in content:
        raise LoadError(name, f"is not a {kind} file (its {member} does not declare one); save it as {kind}")
