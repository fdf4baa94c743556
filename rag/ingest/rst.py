"""reStructuredText through docutils: the document tree read into text, answer units and section paths.

The loaded text is the text of the parsed document (markup removed, each paragraph on one line), not the file:
offsets and quotes refer to it. Sections nest as in Markdown ("Guide > Install > Linux"); paragraphs give their
sentences, list items, definition-list entries and fields one unit each, literal blocks a code unit, and tables one
"header: value" row per unit (rag.ingest.formats). docutils runs with file inclusion and raw output disabled and no
configuration files read, so a document cannot pull other files in; its warnings and errors stay out of the text.
A file docutils cannot parse is indexed as its plain text with a one-line note.
"""

from __future__ import annotations

import io

from rag.ingest.formats import Extracted, ReadOptions, TextBuilder, add_table
from rag.ingest.structure import SectionPath, plain_units

DOCUTILS_SETTINGS = {
    "report_level": 5, "halt_level": 5, "warning_stream": None, "file_insertion_enabled": False,
    "raw_enabled": False, "doctitle_xform": False, "sectsubtitle_xform": False, "_disable_config": True,
    "syntax_highlight": "none", "input_encoding": "unicode",
}
SKIPPED = ("system_message", "comment", "substitution_definition", "target", "raw", "pending", "problematic")


def read_rst(name: str, text: str, options: ReadOptions) -> Extracted:
    from docutils.core import publish_doctree

    try:
        doctree = publish_doctree(text, settings_overrides=dict(DOCUTILS_SETTINGS, warning_stream=io.StringIO()))
        walker = _Walker(TextBuilder(name, options.max_chars))
        walker.children(doctree)
        found = walker.out.finish()
    except RecursionError:
        found = None
        reason = "nested too deeply"
    except Exception as err:  # docutils raises many types on input it cannot read
        found = None
        reason = type(err).__name__
    if found is not None and found.text.strip():
        return found
    note = None if found is not None else f"its reStructuredText could not be parsed ({reason}); indexed as plain text"
    return Extracted(text, units=plain_units(text), note=note)


def _flat(node) -> str:
    return " ".join(node.astext().split())


class _Walker:
    def __init__(self, out: TextBuilder):
        self.out = out
        self.path = SectionPath()
        self.depth = 0

    def children(self, node) -> None:
        for child in node.children:
            self.visit(child)

    def visit(self, node) -> None:
        kind = node.tagname
        if kind in SKIPPED or (kind == "topic" and "contents" in node.get("classes", ())):
            return
        handler = getattr(self, f"on_{kind}", None)
        if handler is not None:
            handler(node)
        elif kind == "#text":
            self.out.paragraph(" ".join(str(node).split()))
        else:
            self.children(node)

    def on_section(self, node) -> None:
        self.depth += 1
        title = next((c for c in node.children if c.tagname == "title"), None)
        self.out.section(self.path.heading(self.depth, _flat(title) if title is not None else ""))
        if title is not None:
            self.out.heading(_flat(title))
        for child in node.children:
            if child is not title:
                self.visit(child)
        self.depth -= 1
        self.out.section(self.path.heading(self.depth + 1, "") if self.depth else None)

    def on_title(self, node) -> None:  # a topic's, sidebar's or table's title: a line of text
        self.out.paragraph(_flat(node))

    def on_paragraph(self, node) -> None:
        self.out.paragraph(_flat(node))

    on_rubric = on_caption = on_attribution = on_paragraph

    def on_line_block(self, node) -> None:
        self.out.paragraph(_flat(node))

    def on_literal_block(self, node) -> None:
        self.out.block(node.astext(), "code")

    on_doctest_block = on_literal_block

    def on_list_item(self, node) -> None:
        """The item's leading paragraphs are one unit; a nested list or block after them is read on its own."""
        children = list(node.children)
        lead = 0
        while lead < len(children) and children[lead].tagname == "paragraph":
            lead += 1
        self.out.block(" ".join(_flat(c) for c in children[:lead]), "list_item")
        for child in children[lead:]:
            self.visit(child)

    def on_definition_list_item(self, node) -> None:
        term = " ".join(_flat(c) for c in node.children if c.tagname in ("term", "classifier"))
        definition = next((c for c in node.children if c.tagname == "definition"), None)
        paragraphs = [c for c in definition.children] if definition is not None else []
        first = _flat(paragraphs[0]) if paragraphs and paragraphs[0].tagname == "paragraph" else ""
        self.out.block(f"{term}: {first}" if first else term, "list_item")
        for child in paragraphs[1:] if first else paragraphs:
            self.visit(child)

    def on_field(self, node) -> None:
        label = next((_flat(c) for c in node.children if c.tagname == "field_name"), "")
        body = next((_flat(c) for c in node.children if c.tagname == "field_body"), "")
        self.out.block(f"{label}: {body}" if body else label, "list_item")

    def on_table(self, node) -> None:
        for child in node.children:
            if child.tagname == "title":
                self.out.paragraph(_flat(child))
        rows = ([_flat(entry) for entry in row.children if entry.tagname == "entry"]
                for row in node.findall(lambda n: n.tagname == "row"))
        marked = any(True for _ in node.findall(lambda n: n.tagname == "thead"))
        add_table(self.out, rows, header=True if marked else None)
