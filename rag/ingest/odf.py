""".odt OpenDocument text through odfpy: headings (text:h with their outline level) give section paths.

The loaded text is generated from the document body in order: headings as title lines, paragraphs as prose (their
sentences are units), list items one unit each, tables one "header: value" row per unit (rag.ingest.formats).
Offsets refer to this text. Sections and frames nested in the body are read in place.
"""

from __future__ import annotations

import io

from rag.archive_guard import expect_type
from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions, TextBuilder, add_table
from rag.ingest.structure import SectionPath

MAX_REPEAT = 64  # LibreOffice writes "this empty cell, 1,000 times"


def read_odt(name: str, data: bytes, options: ReadOptions) -> Extracted:
    expect_type(data, name, ".odt", "mimetype", b"application/vnd.oasis.opendocument.text")
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(data))
        walker = _Walker(TextBuilder(name, options.max_chars))
        walker.children(document.text)  # pyright: ignore[reportAttributeAccessIssue] - odfpy sets it at load
    except LoadError:
        raise
    except Exception as err:  # odfpy and the XML parser raise many types on damaged or encrypted files
        raise LoadError(name, f"is not a readable .odt file ({type(err).__name__})") from None
    return walker.out.finish()


def _text(element) -> str:
    from odf import teletype

    return " ".join(teletype.extractText(element).split())


class _Walker:
    def __init__(self, out: TextBuilder):
        self.out = out
        self.path = SectionPath()

    def children(self, element) -> None:
        for child in element.childNodes:
            if child.nodeType == child.ELEMENT_NODE:
                self.visit(child)

    def visit(self, element) -> None:
        name = element.qname[1]
        if name == "h":
            from odf.namespaces import TEXTNS

            level = element.getAttrNS(TEXTNS, "outline-level")
            title = _text(element)
            self.out.section(self.path.heading(int(level) if str(level or "").isdigit() else 1, title))
            self.out.heading(title)
        elif name == "p":
            self.out.paragraph(_text(element))
        elif name == "list-item":
            self.list_item(element)
        elif name == "table":
            marked = any(c.nodeType == c.ELEMENT_NODE and c.qname[1] == "table-header-rows" for c in element.childNodes)
            add_table(self.out, self.rows(element), header=True if marked else None)
        elif name not in ("tracked-changes", "sequence-decls", "variable-decls", "user-field-decls", "soft-page-break",
                          "table-of-content", "note", "annotation"):
            self.children(element)

    def list_item(self, element) -> None:
        """The item's own paragraphs are one unit; a nested list is read on its own."""
        lead: list[str] = []
        for child in element.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            if child.qname[1] in ("p", "h"):
                lead.append(_text(child))
            else:
                self.out.block(" ".join(lead), "list_item")
                lead = []
                self.visit(child)
        self.out.block(" ".join(lead), "list_item")

    def rows(self, table):
        from odf.namespaces import TABLENS

        for row in _descendants(table, "table-row"):
            cells: list[str] = []
            for cell in row.childNodes:
                if cell.nodeType != cell.ELEMENT_NODE or cell.qname[1] != "table-cell":
                    continue
                repeat = cell.getAttrNS(TABLENS, "number-columns-repeated")
                count = min(int(repeat), MAX_REPEAT) if str(repeat or "").isdigit() else 1
                cells.extend([_text(cell)] * count)
            yield cells


def _descendants(element, name: str):
    """Rows of this table, not of tables nested in its cells (header rows and row groups included)."""
    for child in element.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        if child.qname[1] == name:
            yield child
        elif child.qname[1] in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _descendants(child, name)
