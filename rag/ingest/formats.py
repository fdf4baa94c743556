"""What a format reader gives the loader, and the text builder the readers of generated text share.

The readers of slides, spreadsheets, e-books, e-mail, OpenDocument, reStructuredText and scans (rag.ingest.slides,
sheets, ebook, mail, odf, rst, ocr) each return an ``Extracted``: the text every offset refers to, with its answer
units, section paths and pages (rag.ingest.structure says what they are). None of those files has a text a reader
could quote as it is stored, so the loaded text is generated here, block by block, and the units are cut from it as
it grows: a paragraph gives its sentences, a list item or a table row one unit.

A table row reads as "header: value; header: value" (``row_text``), so a question about one cell finds the row
with its column names; the loaded text of a spreadsheet IS those lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rag.errors import LoadError
from rag.ingest.sentences import paragraph_sentence_spans
from rag.ingest.structure import LONG_CODE, LONG_ITEM, Structure, Unit, line_groups

ROW_KIND = "table_row"


@dataclass(frozen=True)
class ReadOptions:
    """What every reader is given besides the file: the text size limit and how to run OCR."""

    max_chars: int
    ocr: object  # rag.ingest.ocr.OcrConfig (kept untyped here: that module imports its libraries lazily)


@dataclass
class Extracted:
    """A reader's result. ``attachments`` are (file name, bytes) of files found inside (e-mail attachments), each
    loaded by rag.ingest.loaders as its own document."""

    text: str
    units: tuple[Unit, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()
    pages: tuple[tuple[int, int], ...] = ()
    ocr_pages: tuple[int, ...] = ()
    note: str | None = None
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


class TextBuilder:
    """Generated text, block by block, separated by ``\\n`` (``\\n\\n`` before a new section or page), with the
    units, sections and pages of what was added. ``section``/``page`` mark where the next block starts; a mark no
    block follows is dropped (a slide without text has no page)."""

    def __init__(self, name: str, max_chars: int):
        self.name = name
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.length = 0
        self.units: list[Unit] = []
        self.sections: list[tuple[int, str]] = []
        self.pages: list[tuple[int, int]] = []
        self._section: str | None = None
        self._page: int | None = None

    def section(self, path: str | None) -> None:
        self._section = path or ""

    def page(self, number: int) -> None:
        self._page = number

    def heading(self, text: str) -> None:
        """A title line: in the text (a passage reads with it), in no unit (the section path carries it)."""
        self._append(" ".join(text.split()))

    def paragraph(self, text: str) -> None:
        """Prose: its sentences are units (line breaks inside are read as spaces)."""
        start, block = self._append(text)
        if block:
            self.units.extend((start + a, start + b, "sentence") for a, b in paragraph_sentence_spans(block, 0,
                                                                                                       len(block)))

    def block(self, text: str, kind: str) -> None:
        """One unit of ``kind`` ("list_item", "table_row", "code"); a long list item gives its sentences, long code
        groups of its lines (as rag.ingest.structure does)."""
        start, block = self._append(text)
        if not block:
            return
        if kind == "code" and len(block) > LONG_CODE:
            self.units.extend((start + a, start + b, kind) for a, b in line_groups(block, 0, len(block), LONG_CODE))
        elif kind == "list_item" and len(block) > LONG_ITEM:
            self.units.extend((start + a, start + b, "sentence") for a, b in paragraph_sentence_spans(block, 0,
                                                                                                       len(block)))
        else:
            self.units.append((start, start + len(block), kind))

    def extend(self, text: str, units, sections) -> None:
        """A block that was read with its own structure (an HTML chapter), its offsets moved to where it lands."""
        start, block = self._append(text, strip=False)
        if not block:
            return
        self.units.extend((start + a, start + b, kind) for a, b, kind in units)
        self.sections.extend((start + offset, path) for offset, path in sections)

    def _append(self, text: str, strip: bool = True) -> tuple[int, str]:
        block = text.strip() if strip else text
        if not block.strip():
            return self.length, ""
        marked = self._section is not None or self._page is not None
        if self.parts:
            separator = "\n\n" if marked else "\n"
            self.parts.append(separator)
            self.length += len(separator)
        start = self.length
        if self._section is not None:
            self.sections.append((start, self._section))
            self._section = None
        if self._page is not None:
            self.pages.append((start, self._page))
            self._page = None
        self.parts.append(block)
        self.length += len(block)
        if self.length > self.max_chars:
            raise LoadError(self.name, f"its text is over the {self.max_chars / 2**20:.0f} M character limit "
                            "(RAG_MAX_FILE_MB); split it into smaller files")
        return start, block

    def finish(self, **extra) -> Extracted:
        """The text with its units sorted and disjoint and its sections sorted (rag.ingest.structure)."""
        units, sections = Structure(self.units, self.sections).finish()
        return Extracted("".join(self.parts), units, sections, tuple(self.pages), **extra)


def cell_text(value) -> str:
    """A cell as one line of text: numbers without a spurious ".0", dates in ISO form, white space collapsed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return " ".join(str(value).split())


def column_name(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: A, B, ..., Z, AA, ..."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def row_text(headers: list[str], values: list[str]) -> str:
    """"header: value; header: value" for the non-empty cells of a row (a column without a header is named by its
    letter; a pair equal to the one before it, a merged cell spanning columns, is given once)."""
    pairs: list[str] = []
    for i, value in enumerate(values):
        if value:
            header = headers[i] if i < len(headers) and headers[i] else column_name(i)
            pair = f"{header}: {value}"
            if not pairs or pairs[-1] != pair:
                pairs.append(pair)
    return "; ".join(pairs)


_NUMBER = re.compile(r"[\d\s.,:;%/+\-$€£¥()]+")


def table_lines(rows: Iterable[list[str]], header: bool | None = True) -> Iterator[str]:
    """A table's lines, one per non-empty row, read lazily.

    ``header`` True: the first non-empty row names the columns and every later row is ``row_text`` (a table of one
    row is that row's cells). False: no row names the columns; a two-column table is read as "key: value" pairs,
    a wider one as its cells joined by " | ". None (the format does not say): a two-column table is read as pairs,
    a first row holding a number is no header, else it is one."""
    rows = (r for r in rows if any(r))
    first = next(rows, None)
    if first is None:
        return
    if header is None:
        header = _width(first) != 2 and not any(c and _NUMBER.fullmatch(c) for c in first)
    if header:
        count = 0
        for values in rows:
            line = row_text(first, values)
            if line:
                count += 1
                yield line
        if not count:
            yield " | ".join(c for c in _merged(first) if c)
        return
    for values in (first, *rows):
        cells = [c for c in _merged(values) if c]
        yield f"{cells[0]}: {cells[1]}" if _width(values) == 2 and len(cells) == 2 else " | ".join(cells)


def _merged(values: list[str]) -> list[str]:
    """A row's cells with a merged cell (the same text in consecutive columns) given once."""
    return [c for i, c in enumerate(values) if i == 0 or c != values[i - 1]]


def _width(values: list[str]) -> int:
    return len(_merged(values))


def add_table(builder: TextBuilder, rows: Iterable[list[str]], title: str | None = None,
              header: bool | None = True) -> None:
    """A table row by row, one "table_row" unit per line of ``table_lines``; ``title`` (a sheet's name) is a heading
    line put before the first row, when the table has one."""
    for number, line in enumerate(table_lines(rows, header)):
        if number == 0 and title:
            builder.heading(title)
        builder.block(line, ROW_KIND)
