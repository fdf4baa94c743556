"""Load files into Documents: .txt, .md, .html/.htm, .pdf, .docx, and through their own modules (``READERS``)
.rst, .csv, .xlsx, .pptx, .epub, .eml, .odt and images (OCR; PDF pages without a text layer are OCR'd too).

Every offset the product reports refers to the text loaded here. For .txt/.md that is the file decoded as
UTF-8 (a BOM is honoured; UTF-16 with a BOM is accepted) with universal newlines, i.e. what
``open(path, encoding="utf-8").read()`` gives. Each Document also carries its answer units and section paths
(rag.ingest.structure): Markdown through markdown-it, HTML through its DOM, .docx through its heading and list
styles, PDF outlines; a file whose structure cannot be read is indexed as plain text with a one-line ``note``.
A file that cannot be loaded raises LoadError naming the file and the reason; callers carry on with the rest.
An e-mail's attachments become documents of their own (``load_all``, source ``mail.eml#name``).
Reads are bounded (see docs/RELIABILITY.md): only regular files are opened and sizes are checked before reading
(rag/safe_read.py), text is streamed block by block, and every format but plain text and Markdown is parsed in a
separate process under a time and memory limit (rag/parse_process.py; OCR'd images and PDFs get RAG_OCR_TIMEOUT
more), zip-based formats (.docx .xlsx .pptx .epub .odt) through a counter that stops at the unpacked-size limit
(rag/archive_guard.py) before their library opens them.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions
from rag.ingest.ocr import IMAGE_SUFFIXES, OcrConfig, PageScanner
from rag.ingest.structure import with_structure
from rag.parse_process import ParseLimits, parse_isolated
from rag.safe_read import open_regular, read_block, read_bytes_bounded, sha256_file, shown, too_big
from rag.types import Document


class Reader(NamedTuple):
    module: str
    function: str  # (name for messages, str when ``text`` else bytes, ReadOptions) -> Extracted
    text: bool = False  # the file is text: decoded like .txt first
    archive: bool = False  # a zip container: unpacked through rag.archive_guard before the reader opens it


# Formats read by a module of their own, one line each; all are parsed in the worker process (parse_structured).
READERS = {
    ".rst": Reader("rag.ingest.rst", "read_rst", text=True),
    ".csv": Reader("rag.ingest.sheets", "read_csv", text=True),
    ".xlsx": Reader("rag.ingest.sheets", "read_xlsx", archive=True),
    ".pptx": Reader("rag.ingest.slides", "read_pptx", archive=True),
    ".epub": Reader("rag.ingest.ebook", "read_epub", archive=True),
    ".eml": Reader("rag.ingest.mail", "read_eml"),
    ".odt": Reader("rag.ingest.odf", "read_odt", archive=True),
    **{suffix: Reader("rag.ingest.ocr", "read_image") for suffix in sorted(IMAGE_SUFFIXES)},
}
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".mdx"}
HTML_SUFFIXES = {".html", ".htm"}
DECODED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {s for s, r in READERS.items() if r.text}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"} | set(READERS)
OCR_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}  # parsed with RAG_OCR_TIMEOUT added to the parse time limit
# Text is held whole (every offset refers to it) and sentence splitting runs at several seconds per MB, so a
# text file over this size is refused before anything is read. PDF and .docx may be CONTAINER_FACTOR times
# larger, since images dominate their size; the text extracted from them obeys the same limit.
MAX_FILE_BYTES = 32 * 1024 * 1024
CONTAINER_FACTOR = 4
BLOCK = 1 << 20

LIMIT_NOTE = " for this type (RAG_MAX_FILE_MB); split it into smaller files"
STRUCTURED = {".pdf": "pdf", ".docx": "docx"}  # parsed in the worker process, from bytes


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (the identity of a document version); LoadError for
    anything but a regular file (a FIFO or a link to /dev/zero would never end)."""
    return sha256_file(path)


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
            yield _utf8_named(path)


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
                found = _utf8_named(Path(dirpath) / name)
                yield found if isinstance(found, LoadError) else _checked_link(found)
    yield from pending


def _utf8_named(path: Path) -> Path | LoadError:
    """The path, or a LoadError for a name that is not UTF-8 (b"bad\\xffname.txt", made on another system): Python
    reads its byte as a lone surrogate, which no JSON, snapshot or citation can carry; writing the index's rows took
    the whole `rag index` run down with a UnicodeEncodeError."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return LoadError(shown(path), "its name is not valid UTF-8; rename the file (for example with `convmv`)")
    return path


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


def load(path: Path, max_bytes: int = MAX_FILE_BYTES, limits: ParseLimits | None = None,
         ocr: OcrConfig | None = None) -> Document:
    """Load one file; raise LoadError with a one-line reason when it cannot be used. ``limits`` bound the parse
    (time, memory, unpacked size; default: the settings' defaults); ``ocr`` says how to run Tesseract."""
    return _load(Path(path), max_bytes, _limits(limits, ocr, max_bytes))[0]


def load_all(path: Path, max_bytes: int = MAX_FILE_BYTES, ocr: OcrConfig | None = None,
             limits: ParseLimits | None = None) -> tuple[list[Document], list[LoadError]]:
    """The file's Document followed by one per attachment it carries (e-mail), and a LoadError for each attachment
    that cannot be read; LoadError when the file itself cannot be."""
    limits = _limits(limits, ocr, max_bytes)
    doc, attachments = _load(Path(path), max_bytes, limits)
    docs, errors = [doc], []
    taken: set[str] = set()
    for name, data in attachments:
        try:
            docs.append(_attachment(doc, _unique(name, taken), data, max_bytes, limits))
        except LoadError as err:
            errors.append(err)
    return docs, errors


def _limits(limits: ParseLimits | None, ocr: OcrConfig | None, max_bytes: int) -> ParseLimits:
    """The parse limits, carrying what the readers in the worker need: the text limit and the OCR settings."""
    limits = limits or ParseLimits()
    return replace(limits, max_chars=max_bytes, ocr=ocr or limits.ocr or OcrConfig())


def _unsupported(name: str, suffix: str) -> LoadError:
    return LoadError(name, f"unsupported file type '{suffix or '(none)'}'; supported: "
                     + ", ".join(sorted(SUPPORTED_SUFFIXES)))


def _load(path: Path, max_bytes: int, limits: ParseLimits) -> tuple[Document, list[tuple[str, bytes]]]:
    name = shown(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _unsupported(name, suffix)
    is_text = suffix in DECODED_SUFFIXES
    limit = max_bytes if is_text else max_bytes * CONTAINER_FACTOR
    try:
        source = str(path.resolve())
    except (OSError, RuntimeError) as err:
        raise LoadError(name, f"cannot be resolved ({getattr(err, 'strerror', None) or err})") from None
    content: str | bytes
    if is_text:
        sha, content = read_text(path, limit)
    else:
        content = read_bytes_bounded(path, limit, LIMIT_NOTE)
        sha = hashlib.sha256(content).hexdigest()
    found = _extract(name, suffix, content, limits)
    del content
    return _document(name, suffix, source, sha, found, max_bytes), found.attachments


def _extract(name: str, suffix: str, content: str | bytes, limits: ParseLimits) -> Extracted:
    """The text and structure of a file's content (decoded text for text formats, else bytes), by format: plain
    text here, everything else in the worker process (parse_structured)."""
    if suffix in TEXT_SUFFIXES:
        assert isinstance(content, str)
        return Extracted(content)
    payload = content.encode("utf-8") if isinstance(content, str) else content
    ocr = limits.ocr
    if suffix in OCR_SUFFIXES and isinstance(ocr, OcrConfig) and ocr.available():
        limits = replace(limits, timeout=limits.timeout + ocr.timeout)
    kind = "html" if suffix in HTML_SUFFIXES else suffix.lstrip(".")
    text, pages, structure = parse_isolated(kind, name, payload, limits)
    return Extracted(text, pages=pages, **structure)


def _document(name: str, suffix: str, source: str, sha: str, found: Extracted, max_bytes: int,
              parent: str | None = None) -> Document:
    text = found.text
    if not text.strip():
        raise LoadError(name, "file is empty" if suffix in TEXT_SUFFIXES else "contains no text")
    if len(text) > max_bytes:
        raise LoadError(name, f"its text is {len(text) / 2**20:.0f} M characters, over the "
                        f"{max_bytes / 2**20:.0f} M limit (RAG_MAX_FILE_MB); split it into smaller files")
    return with_structure(Document(source=source, text=text, sha256=sha, pages=tuple(found.pages),
                                   sections=tuple(found.sections), units=tuple(found.units), note=found.note,
                                   ocr_pages=tuple(found.ocr_pages), parent=parent))


def _attachment(parent: Document, name: str, data: bytes, max_bytes: int, limits: ParseLimits) -> Document:
    """An attachment as a document of its own: source ``<file>#<name>``, read like a file of that name."""
    source = f"{parent.source}#{name}"
    label = shown(source)
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _unsupported(label, suffix)
    limit = max_bytes if suffix in DECODED_SUFFIXES else max_bytes * CONTAINER_FACTOR
    if len(data) > limit:
        raise LoadError(label, f"is {len(data) / 2**20:.0f} MiB, over the {limit / 2**20:.0f} MiB limit for this "
                        "type (RAG_MAX_FILE_MB)")
    content = decode_text(Path(label), data) if suffix in DECODED_SUFFIXES else data
    found = _extract(label, suffix, content, limits)
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


def read_text(path: Path, max_bytes: int | None = None) -> tuple[str, str]:
    """(sha256 of the bytes, decoded text) of a text file, in two streaming passes.

    Pass one hashes, detects binary content and validates the encoding block by block, so a bad byte is
    reported with its offset without ever holding the raw bytes; pass two decodes with universal newlines.
    Both passes open the file through rag.safe_read (regular files only) and stop after ``max_bytes``.
    """
    digest = hashlib.sha256()
    with open_regular(path, max_bytes, LIMIT_NOTE) as handle:
        encoding = "utf-16" if read_block(handle, 2, path) in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        offset = 0
        for block in iter(lambda: read_block(handle, BLOCK, path), b""):
            if max_bytes is not None and offset + len(block) > max_bytes:  # the file grew after the size check
                raise too_big(shown(path), offset + len(block), max_bytes, LIMIT_NOTE)
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
    chars = 0
    # universal newlines, as open().read() gives
    with io.TextIOWrapper(open_regular(path), encoding=encoding, newline=None) as text:
        for piece in iter(lambda: text.read(BLOCK), ""):
            chars += len(piece)
            if chars > offset:  # more than the bytes validated in pass one: the file changed in between
                raise LoadError(shown(path), "changed while being read; try again")
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
    except (LoadError, MemoryError):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise LoadError(shown(path), f"is not a readable PDF ({type(err).__name__}: {err})") from None
    except Exception as err:  # pypdf raises many types on malformed files
        _raise_if_out_of_memory(err)
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


def _raise_if_out_of_memory(err: Exception) -> None:
    """A parser that ran out of memory says so in its own way (libxml2: "Memory allocation failed"); that is the
    parse's memory limit (rag/parse_process.py), not a malformed file."""
    if isinstance(err, MemoryError) or "memory allocation failed" in str(err).lower():
        raise MemoryError from None


def _docx_text(path: Path, data: bytes, limits: ParseLimits | None = None,
               deadline: float | None = None) -> tuple[str, dict]:
    from rag.archive_guard import check_archive

    limits = limits or ParseLimits()
    check_archive(data, shown(path), limits.expanded_bytes, deadline, limits.timeout, ".docx")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except LoadError:
        raise
    except Exception as err:
        _raise_if_out_of_memory(err)
        raise LoadError(shown(path), f"is not a readable .docx file ({type(err).__name__})") from None
    from rag.ingest.office import read_docx

    try:
        text, units, sections = read_docx(document)
        return text, {"units": units, "sections": sections}
    except MemoryError:
        raise
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


def import_parsers() -> None:
    """Import the parsing libraries (the worker process does this once, before its first file and outside the
    memory limit: pytesseract alone pulls in pandas)."""
    import email.parser  # noqa: F401

    import bs4  # noqa: F401
    import docutils.core  # noqa: F401
    import docx  # noqa: F401
    import ebooklib.epub  # noqa: F401
    import lxml.etree  # noqa: F401
    import odf.opendocument  # noqa: F401
    import openpyxl  # noqa: F401
    import pptx  # noqa: F401
    import pypdf  # noqa: F401
    import pytesseract  # noqa: F401
    from PIL import Image  # noqa: F401


def parse_structured(kind: str, name: str, payload: bytes, limits: ParseLimits,
                     deadline: float | None) -> tuple[str, tuple, dict]:
    """(text, pages, structure) of one payload of ``kind`` (a supported suffix without its dot, not .txt/.md);
    runs in the parser process (rag/parse_process.py). ``structure`` holds the Document's units, sections,
    ``note``, ``ocr_pages`` and (e-mail) ``attachments``; text formats arrive UTF-8 encoded."""
    path = Path(name)
    ocr = limits.ocr if isinstance(limits.ocr, OcrConfig) else OcrConfig()
    if kind == "pdf":
        return _pdf_text(path, payload, ocr)
    reader = READERS.get("." + kind)
    if reader is not None:
        import importlib

        if reader.archive:
            from rag.archive_guard import check_archive

            check_archive(payload, name, limits.expanded_bytes, deadline, limits.timeout, "." + kind)
        content = payload.decode("utf-8") if reader.text else payload
        options = ReadOptions(limits.max_chars or MAX_FILE_BYTES, ocr)
        found: Extracted = getattr(importlib.import_module(reader.module), reader.function)(name, content, options)
        return found.text, tuple(found.pages), {"units": tuple(found.units), "sections": tuple(found.sections),
                                                "note": found.note, "ocr_pages": tuple(found.ocr_pages),
                                                "attachments": list(found.attachments)}
    if kind == "docx":
        text, structure = _docx_text(path, payload, limits, deadline)
        return text, (), structure
    if kind == "html":
        text, structure = _html_text(path, payload.decode("utf-8"))
        return text, (), structure
    raise LoadError(name, f"has no parser for {kind!r}")
