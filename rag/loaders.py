"""Load files into Documents: .txt, .md, .html/.htm, .pdf, .docx.

Every offset the product reports refers to the text loaded here. For .txt/.md that is the file decoded as
UTF-8 (a BOM is honoured) with universal newlines, i.e. what ``open(path, encoding="utf-8").read()`` gives.
A file that cannot be loaded raises LoadError naming the file and the reason; callers carry on with the rest.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from rag.errors import LoadError
from rag.types import Document

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
MAX_FILE_BYTES = 200 * 1024 * 1024

_BLANK_RUNS = re.compile(r"\n{3,}")


def iter_files(paths: Iterable[Path]) -> Iterator[Path | LoadError]:
    """Yield supported files under ``paths`` (recursing, skipping hidden ones), or a LoadError for a bad path."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            yield LoadError(str(path), "no such file or folder")
        elif path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(root: Path) -> Iterator[Path | LoadError]:
    def on_error(err: OSError) -> None:
        pending.append(LoadError(str(err.filename or root), f"cannot read folder ({err.strerror})"))

    pending: list[LoadError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield from pending
        pending.clear()
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name
    yield from pending


def load(path: Path) -> Document:
    """Load one file; raise LoadError with a one-line reason when it cannot be used."""
    path = Path(path)
    source = str(path.resolve())
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(str(path), f"unsupported file type '{suffix or '(none)'}'; supported: "
                        + ", ".join(sorted(SUPPORTED_SUFFIXES)))
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(str(path), f"file is {size // 2**20} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit")
        data = path.read_bytes()
    except PermissionError:
        raise LoadError(str(path), "permission denied; make the file readable") from None
    except OSError as err:
        raise LoadError(str(path), f"cannot read file ({err.strerror or err})") from None
    if not data.strip():
        raise LoadError(str(path), "file is empty")
    sha = hashlib.sha256(data).hexdigest()
    if suffix in TEXT_SUFFIXES:
        text, pages = decode_text(path, data), ()
    elif suffix in HTML_SUFFIXES:
        text, pages = _html_text(decode_text(path, data)), ()
    elif suffix == ".pdf":
        text, pages = _pdf_text(path, data)
    else:
        text, pages = _docx_text(path, data), ()
    if not text.strip():
        raise LoadError(str(path), "contains no text")
    return Document(source=source, text=text, sha256=sha, pages=pages)


def decode_text(path: Path, data: bytes) -> str:
    """Decode bytes as UTF-8 (BOM honoured; UTF-16 with BOM accepted), with universal newlines."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise LoadError(str(path), "has a UTF-16 byte-order mark but invalid UTF-16 content") from None
    else:
        if b"\x00" in data[:8192]:
            raise LoadError(str(path), "looks like a binary file, not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise LoadError(
                str(path),
                f"is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}); re-save it as UTF-8",
            ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    text = soup.get_text("\n")
    lines = (line.strip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _pdf_text(path: Path, data: bytes) -> tuple[str, tuple[tuple[int, int], ...]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(str(path), "is an encrypted PDF; save an unencrypted copy")
        parts: list[str] = []
        pages: list[tuple[int, int]] = []
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip()
            if not page_text:
                continue
            pages.append((offset, number))
            parts.append(page_text)
            offset += len(page_text) + 2
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise LoadError(str(path), f"is not a readable PDF ({type(err).__name__}: {err})") from None
    except Exception as err:  # pypdf raises many types on malformed files
        raise LoadError(str(path), f"is not a readable PDF ({type(err).__name__})") from None
    if not parts:
        raise LoadError(str(path), "PDF has no text layer (scanned images?); run OCR on it first")
    return "\n\n".join(parts), tuple(pages)


def _docx_text(path: Path, data: bytes) -> str:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
        if total > 20 * len(data) + 50 * 2**20:
            raise LoadError(str(path), "unpacks to an implausible size (zip bomb?); not loaded")
        import docx

        document = docx.Document(io.BytesIO(data))
    except LoadError:
        raise
    except Exception as err:
        raise LoadError(str(path), f"is not a readable .docx file ({type(err).__name__})") from None
    blocks = [p.text.strip() for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            blocks.append(" | ".join(c for c in cells if c))
    return "\n".join(b for b in blocks if b)
