""".docx structure through python-docx: heading styles give sections, list paragraphs and table rows give units.

The text is each non-empty paragraph a line, then each table row by row (rag.ingest.formats.table_lines): when
the first row is the header (Word's "repeat as header row", a bold first row, or a first row of labels in a table
wider than two columns) every later row is one line "header: value; header: value", so a question about one cell
finds its row; a two-column table reads "key: value" row by row. The rows come after all paragraphs in that
text, so each table's rows get the section the table stands under in the body. What a unit is:
rag.ingest.structure.
"""

from __future__ import annotations

from rag.ingest.formats import table_lines
from rag.ingest.structure import LONG_ITEM, SectionPath, Structure, Unit


def read_docx(document) -> tuple[str, tuple[Unit, ...], tuple[tuple[int, str], ...]]:
    from docx.oxml.ns import qn

    paragraphs = document.paragraphs
    path = SectionPath()
    out = Structure()
    parts: list[str] = []
    offset = 0
    table_paths: list[str | None] = []
    index = 0
    pending: list[tuple[int, int, str]] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:tbl"):
            table_paths.append(path.path)
            continue
        if child.tag != qn("w:p"):
            continue
        paragraph = paragraphs[index]
        index += 1
        text = paragraph.text.strip()
        if not text:
            continue
        if parts:
            offset += 1
        start, end = offset, offset + len(text)
        parts.append(text)
        offset = end
        style = _style_name(paragraph)
        level = _heading_level(style)
        if style == "title":
            path = SectionPath(text)
            out.sections.append((start, path.path or ""))
        elif level:
            out.sections.append((start, path.heading(level, text) or ""))
        else:
            pending.append((start, end, "list_item" if style.startswith("list") or _numbered(paragraph) else ""))
    for number, table in enumerate(document.tables):
        first = True
        rows = ([" ".join(cell.text.split()) for cell in row.cells] for row in table.rows)
        for line in table_lines(rows, header=True if _header_marked(table) else None):
            if parts:
                offset += 1
            if first:
                section = table_paths[number] if number < len(table_paths) else None
                out.sections.append((offset, section or ""))
                first = False
            out.units.append((offset, offset + len(line), "table_row"))
            parts.append(line)
            offset += len(line)
    text = "\n".join(parts)
    for start, end, kind in pending:
        if kind:
            out.add_block(text, start, end, kind, LONG_ITEM)
        else:
            out.add_sentences(text, start, end)
    units, sections = out.finish()
    return text, units, sections


def _style_name(paragraph) -> str:
    try:
        style = paragraph.style
    except (KeyError, ValueError, AttributeError):
        return ""
    return (style.name or "").strip().lower() if style is not None else ""


def _heading_level(style: str) -> int:
    if style.startswith("heading "):
        tail = style[len("heading "):].strip()
        return int(tail) if tail.isdigit() and 1 <= int(tail) <= 9 else 0
    return 0


def _numbered(paragraph) -> bool:
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def _header_marked(table) -> bool:
    """Whether Word marks the table's first row as its header: "repeat as header row", or every run in it bold."""
    from docx.oxml.ns import qn

    rows = table.rows
    if not len(rows):
        return False
    first = rows[0]
    properties = first._tr.trPr
    if properties is not None and properties.find(qn("w:tblHeader")) is not None:
        return True
    runs = [run for cell in first.cells for paragraph in cell.paragraphs for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold for run in runs)
