"""Load files into Documents: .txt, .md, .html/.htm, .pdf, .docx, and through their own modules (``READERS``)
.rst, .csv, .xlsx, .pptx, .epub, .eml, .odt and images (OCR; PDF pages without a text layer are OCR'd too).

Every offset the product reports refers to the text loaded here. For .txt/.md that is the file decoded as
UTF-8 (a BOM is honoured; UTF-16 with a BOM is accepted) with universal newlines, i.e. what
``open(path, encoding="utf-8").read()`` gives. Each Document also carries its answer units and section paths
(rag.ingest.structure): Markdown through markdown-it, HTML through its DOM, .docx through its heading and list
styles, PDF outlines; a file whose structure cannot be read is indexed as plain text with a one-line ``note``.
A file that cannot be loaded raises LoadError naming the file and
the reason; callers carry on with the rest. An e-mail's attachments become documents of their own (``load_all``,
source ``mail.eml#name``). Reads are bounded (see docs/RELIABILITY.md): sizes are checked before
reading, text is streamed block by block, only regular files are opened, and .docx archives are checked for
implausible unpacked sizes before they are opened.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions
from rag.ingest.ocr import IMAGE_SUFFIXES, OcrConfig, PageScanner
from rag.ingest.structure import with_structure
from rag.types import Document


class Reader(NamedTuple):
    module: str
    function: str  # (name for messages, str when ``text`` else bytes, ReadOptions) -> Extracted
    text: bool = False  # the file is text: decoded like .txt first


# Formats read by a module of their own, one line each.
READERS = {
    ".rst": Reader("rag.ingest.rst", "read_rst", text=True),
    ".csv": Reader("rag.ingest.sheets", "read_csv", text=True),
    ".xlsx": Reader("rag.ingest.sheets", "read_xlsx"),
    ".pptx": Reader("rag.ingest.slides", "read_pptx"),
    ".epub": Reader("rag.ingest.ebook", "read_epub"),
    ".eml": Reader("rag.ingest.mail", "read_eml"),
    ".odt": Reader("rag.ingest.odf", "read_odt"),
    **{suffix: Reader("rag.ingest.ocr", "read_image") for suffix in sorted(IMAGE_SUFFIXES)},
}
TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
DECODED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {s for s, r in READERS.items() if r.text}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"} | set(READERS)
# Text is held whole (every offset refers to it) and sentence splitting runs at several seconds per MB, so a
# text file over this size is refused before anything is read. PDF and .docx may be CONTAINER_FACTOR times
# larger, since images dominate their size; the text extracted from them obeys the same limit.
MAX_FILE_BYTES = 32 * 1024 * 1024
CONTAINER_FACTOR = 4
BLOCK = 1 << 20


def shown(path) -> str:
    """The path as printed in messages: control characters (a newline in a file name) escaped."""
    text = str(path)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (the identity of a document version)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def iter_files(paths: Iterable[Path]) -> Iterator[Path | LoadError]:
    """Yield supported files under ``paths`` (recursing, skipping hidden ones), or a LoadError for a bad path.

    Folder symlinks are not followed (a link to a parent folder would loop forever); file symlinks are
    yielded and resolved by the indexer, so a file reachable twice is indexed once.
    """
    for path in paths:
        path = Path(path)
        if not path.exists():
            yield LoadError(shown(path), "no such file or folder")
        elif path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(root: Path) -> Iterator[Path | LoadError]:
    def on_error(err: OSError) -> None:
        pending.append(LoadError(shown(err.filename or root), f"cannot read folder ({err.strerror})"))

    pending: list[LoadError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield from pending
        pending.clear()
        for name in sorted(filenames):
            if not name.startswith("."):
                yield _checked_link(Path(dirpath) / name)
    yield from pending


def _checked_link(path: Path) -> Path | LoadError:
    """The path, or a LoadError for a symlink that loops or points nowhere (resolving it would fail later)."""
    if not path.is_symlink():
        return path
    try:
        path.resolve(strict=True)
    except (OSError, RuntimeError) as err:
        reason = getattr(err, "strerror", None) or "symbolic link loop"
        return LoadError(shown(path), f"is a broken symbolic link ({reason}); not read")
    return path


def load(path: Path, max_bytes: int = MAX_FILE_BYTES, ocr: OcrConfig | None = None) -> Document:
    """Load one file; raise LoadError with a one-line reason when it cannot be used."""
    return _load(Path(path), max_bytes, ocr or OcrConfig())[0]


def load_all(path: Path, max_bytes: int = MAX_FILE_BYTES,
             ocr: OcrConfig | None = None) -> tuple[list[Document], list[LoadError]]:
    """The file's Document followed by one per attachment it carries (e-mail), and a LoadError for each attachment
    that cannot be read; LoadError when the file itself cannot be."""
    ocr = ocr or OcrConfig()
    doc, attachments = _load(Path(path), max_bytes, ocr)
    docs, errors = [doc], []
    taken: set[str] = set()
    for name, data in attachments:
        try:
            docs.append(_attachment(doc, _unique(name, taken), data, max_bytes, ocr))
        except LoadError as err:
            errors.append(err)
    return docs, errors


def _unsupported(name: str, suffix: str) -> LoadError:
    return LoadError(name, f"unsupported file type '{suffix or '(none)'}'; supported: "
                     + ", ".join(sorted(SUPPORTED_SUFFIXES)))


def _load(path: Path, max_bytes: int, ocr: OcrConfig) -> tuple[Document, list[tuple[str, bytes]]]:
    name = shown(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _unsupported(name, suffix)
    is_text = suffix in DECODED_SUFFIXES
    limit = max_bytes if is_text else max_bytes * CONTAINER_FACTOR
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO named x.txt would block the indexer forever
            raise LoadError(name, "is not a regular file (a pipe, socket or device); not read")
        if info.st_size > limit:
            raise LoadError(name, f"file is {info.st_size / 2**20:.0f} MiB, over the {limit / 2**20:.0f} MiB limit "
                            "for this type (RAG_MAX_FILE_MB); split it into smaller files")
        source = str(path.resolve())
        if is_text:
            sha, text = read_text(path)
        else:
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
    except PermissionError:
        raise LoadError(name, "permission denied; make the file readable") from None
    except OSError as err:
        raise LoadError(name, f"cannot read file ({err.strerror or err})") from None
    found = _extract(path, suffix, text if is_text else data, ReadOptions(max_bytes, ocr))
    return _document(name, suffix, source, sha, found, max_bytes), found.attachments


def _extract(path: Path, suffix: str, content: str | bytes, options: ReadOptions) -> Extracted:
    """The text and structure of a file's content (decoded text for text formats, else bytes), by format."""
    if suffix in READERS:
        import importlib

        reader = READERS[suffix]
        return getattr(importlib.import_module(reader.module), reader.function)(shown(path), content, options)
    pages: tuple[tuple[int, int], ...] = ()
    structure: dict = {}
    text = content
    if suffix in HTML_SUFFIXES:
        text, structure = _html_text(path, content)
    elif suffix == ".pdf":
        text, pages, structure = _pdf_text(path, content, options.ocr)
    elif suffix == ".docx":
        text, structure = _docx_text(path, content)
    return Extracted(text, pages=pages, **structure)


def _document(name: str, suffix: str, source: str, sha: str, found: Extracted, max_bytes: int,
              parent: str | None = None) -> Document:
    text = found.text
    if not text.strip():
        raise LoadError(name, "file is empty" if suffix in TEXT_SUFFIXES else "contains no text")
    if len(text) > max_bytes:
        raise LoadError(name, f"its text is {len(text) / 2**20:.0f} M characters, over the "
                        f"{max_bytes / 2**20:.0f} M limit (RAG_MAX_FILE_MB); split it into smaller files")
    return with_structure(Document(source=source, text=text, sha256=sha, pages=found.pages, sections=found.sections,
                                   units=found.units, note=found.note, ocr_pages=found.ocr_pages, parent=parent))


def _attachment(parent: Document, name: str, data: bytes, max_bytes: int, ocr: OcrConfig) -> Document:
    """An attachment as a document of its own: source ``<file>#<name>``, read like a file of that name."""
    source = f"{parent.source}#{name}"
    label = shown(source)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _unsupported(label, suffix)
    limit = max_bytes if suffix in DECODED_SUFFIXES else max_bytes * CONTAINER_FACTOR
    if len(data) > limit:
        raise LoadError(label, f"is {len(data) / 2**20:.0f} MiB, over the {limit / 2**20:.0f} MiB limit for this "
                        "type (RAG_MAX_FILE_MB)")
    content = decode_text(Path(label), data) if suffix in DECODED_SUFFIXES else data
    found = _extract(Path(label), suffix, content, ReadOptions(max_bytes, ocr))
    return _document(label, suffix, source, hashlib.sha256(data).hexdigest(), found, max_bytes, parent=parent.source)


def _unique(name: str, taken: set[str]) -> str:
    """An attachment's file name, made unique within its message (report.pdf, report-2.pdf)."""
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    taken.add(candidate)
    return candidate


def read_text(path: Path) -> tuple[str, str]:
    """(sha256 of the bytes, decoded text) of a text file, in two streaming passes.

    Pass one hashes, detects binary content and validates the encoding block by block, so a bad byte is
    reported with its offset without ever holding the raw bytes; pass two decodes with universal newlines.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        encoding = "utf-16" if handle.read(2) in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        offset = 0
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
            if encoding != "utf-16" and b"\x00" in block:
                raise LoadError(shown(path), "looks like a binary file, not text")
            try:
                decoder.decode(block)
            except UnicodeDecodeError as err:
                raise LoadError(shown(path), _decode_reason(encoding, block, err, offset)) from None
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as err:
            raise LoadError(shown(path), _decode_reason(encoding, b"", err, offset)) from None
    parts: list[str] = []
    with open(path, encoding=encoding, newline=None) as text:  # universal newlines, as open().read() gives
        for piece in iter(lambda: text.read(BLOCK), ""):
            parts.append(piece)
    return digest.hexdigest(), "".join(parts)


def _decode_reason(encoding: str, block: bytes, err: UnicodeDecodeError, offset: int) -> str:
    if encoding == "utf-16":
        return "has a UTF-16 byte-order mark but invalid UTF-16 content"
    byte = f"byte 0x{block[err.start]:02x}" if err.start < len(block) else "a truncated sequence"
    # Guessing a legacy encoding (latin-1? cp1252? Shift-JIS?) would put silently wrong characters into quoted
    # citations, so the file is refused with the fix instead.
    return f"is not valid UTF-8 ({byte} at offset {offset + err.start}); re-save it as UTF-8"


def decode_text(path: Path, data: bytes) -> str:
    """Decode in-memory bytes like ``read_text`` does (uploads arrive as bytes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise LoadError(shown(path), "has a UTF-16 byte-order mark but invalid UTF-16 content") from None
    else:
        if b"\x00" in data:
            raise LoadError(shown(path), "looks like a binary file, not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise LoadError(shown(path), _decode_reason("utf-8", data, err, 0)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html_text(path: Path, markup: str) -> tuple[str, dict]:
    """The page's text and its structure (rag.ingest.html); the text alone, with a note, when the structure
    walk fails."""
    from rag.ingest.html import page_text, parse, read_html

    try:
        text, units, sections = read_html(markup)
        return text, {"units": units, "sections": sections}
    except Exception as err:  # RecursionError included: try the plain text, which recurses less
        note = f"its HTML structure could not be read ({type(err).__name__}); indexed as plain text"
    try:
        text = page_text(parse(markup)[0])
    except RecursionError:
        raise LoadError(shown(path), "HTML is nested too deeply to read") from None
    return text, {"note": note}


def _pdf_text(path: Path, data: bytes, ocr: OcrConfig) -> tuple[str, tuple[tuple[int, int], ...], dict]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(shown(path), "is an encrypted PDF; save an unencrypted copy")
        parts: list[str] = []
        pages: list[tuple[int, int]] = []
        offset = 0
        scanner = PageScanner(shown(path), ocr)
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip() or scanner.read(page, number)
            if not page_text:
                continue
            pages.append((offset, number))
            parts.append(page_text)
            offset += len(page_text) + 2
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise LoadError(shown(path), f"is not a readable PDF ({type(err).__name__}: {err})") from None
    except Exception as err:  # pypdf raises many types on malformed files
        raise LoadError(shown(path), f"is not a readable PDF ({type(err).__name__})") from None
    if not parts:
        raise LoadError(shown(path), scanner.empty_reason())
    text = "\n\n".join(parts)
    structure = _pdf_outline(reader, text, tuple(pages))
    structure["ocr_pages"] = tuple(scanner.read_pages)
    if scanner.note():
        structure["note"] = "; ".join(filter(None, [structure.get("note"), scanner.note()]))
    return text, tuple(pages), structure


def _pdf_outline(reader, text: str, pages: tuple[tuple[int, int], ...]) -> dict:
    """Sections from the PDF outline, if it has one (rag.ingest.pdf); a broken outline is noted, not fatal."""
    from rag.ingest.pdf import outline_sections

    try:
        return {"sections": outline_sections(reader, text, pages)}
    except Exception as err:  # pypdf raises many types on malformed outlines
        return {"note": f"its PDF outline could not be read ({type(err).__name__}); indexed without sections"}


def _docx_text(path: Path, data: bytes) -> tuple[str, dict]:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Declared sizes are trustworthy enough: zipfile stops at the declared size and fails the CRC.
            total = sum(info.file_size for info in archive.infolist())
        if total > 20 * len(data) + 50 * 2**20:
            raise LoadError(shown(path), f"unpacks to {total / 2**20:.0f} MiB from {len(data) / 2**20:.1f} MiB "
                            "(zip bomb?); not loaded")
        import docx

        document = docx.Document(io.BytesIO(data))
    except LoadError:
        raise
    except Exception as err:
        raise LoadError(shown(path), f"is not a readable .docx file ({type(err).__name__})") from None
    from rag.ingest.office import read_docx

    try:
        text, units, sections = read_docx(document)
        return text, {"units": units, "sections": sections}
    except Exception as err:  # the structure failed: the text as before, with a note
        note = f"its .docx structure could not be read ({type(err).__name__}); indexed as plain text"
    return _docx_plain_text(document), {"note": note}


def _docx_plain_text(document) -> str:
    blocks = [p.text.strip() for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            blocks.append(" | ".join(c for c in cells if c))
    return "\n".join(b for b in blocks if b)
