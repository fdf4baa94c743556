"""Answer units and section paths: the structure of a document that chunking, embedding and answering use.

A unit is the smallest span an answer cites, ``(start, end, kind)`` with ``doc.text[start:end]`` the unit:

    "sentence"   a sentence of a prose paragraph (pysbd over the whole paragraph, so a sentence may span the
                 paragraph's hard line breaks), or of a list item too long to cite whole (LONG_ITEM)
    "list_item"  a whole list item without its marker: a definition-style bullet "`option` - Sets ... ." keeps
                 its continuation sentences ("Defaults to `N`.") in the same unit
    "table_row"  a table row (Markdown: without its outer pipes; the delimiter row is none)
    "code"       a code block without its fences, whole, or groups of whole lines when longer than LONG_CODE
    "text"       a sentence of plain text (.txt, PDF), split line by line as before units existed

Headings, front matter, heading anchors ``{ #id }``, HTML comments, Hugo/Jekyll shortcode lines, directive lines
(``:::``), thematic breaks and link reference definitions are never inside a unit. Units are sorted and disjoint,
which the sentence table relies on (a chunk's units are consecutive rows).

Sections are ``(offset, path)`` pairs sorted by offset: the path ("Guide > Configuration > Timeouts") holds from
its offset to the next entry. The loaders for Markdown (rag.ingest.markdown), HTML (rag.ingest.html), .docx
(rag.ingest.office) and PDF outlines (rag.ingest.pdf) produce them; a document loaded without units (plain text, or
one read back from an index) gets them here from its text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.ingest.sentences import paragraph_sentence_spans, sentence_spans
from rag.text import index_text
from rag.types import Document

UNIT_KINDS = ("sentence", "list_item", "table_row", "code", "text")
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdx"}  # .mdx: Docusaurus/MDX pages, Markdown with JSX lines
# A list item longer than this is cited sentence by sentence; a code block longer than this by groups of lines.
LONG_ITEM = 800
LONG_CODE = 800
SEPARATOR = " > "
# The version of the reading rules (loaders, structure readers, sentence splitting, and the keyword terms of
# rag.text.content_terms, which the stores' BM25 holds). Raise it with every change that alters a document's text,
# units, sections or terms: an index written under another version reads every file again at its next `rag index`
# (rag.ingest.indexer), so an upgrade never keeps answer units cut, or terms stemmed, by old rules.
# 4: "married" / "marries" / "marrying" all stem to "marry" (rag.text.stem).
PARSING_VERSION = 4

Unit = tuple[int, int, str]


@dataclass
class Structure:
    """What a structure reader found: units in document order and section starts."""

    units: list[Unit] = field(default_factory=list)
    sections: list[tuple[int, str]] = field(default_factory=list)

    def add_sentences(self, text: str, start: int, end: int, kind: str = "sentence",
                      lead: Callable[[str, int], int] | None = None) -> None:
        """Sentences of ``text[start:end]``; ``lead(text, start)`` moves a sentence's start past markup that is
        no answer text (a blockquote's "> " on a continuation line)."""
        for a, b in paragraph_sentence_spans(text, start, end):
            a = lead(text, a) if lead is not None else a
            if a < b:
                self.units.append((a, b, kind))

    def add_block(self, text: str, start: int, end: int, kind: str, long: int) -> None:
        """One unit for ``text[start:end]`` (trimmed of white space), or its sentences (lines, for code) when
        longer than ``long``."""
        start, end = trim(text, start, end)
        if start >= end:
            return
        if end - start <= long:
            self.units.append((start, end, kind))
        elif kind == "code":
            self.units.extend((a, b, kind) for a, b in line_groups(text, start, end, long))
        else:
            self.add_sentences(text, start, end)

    def finish(self) -> tuple[tuple[Unit, ...], tuple[tuple[int, str], ...]]:
        """Units sorted and made disjoint (a unit overlapping the one before it is dropped); sections sorted, a
        later entry at the same offset replacing the earlier (an empty path ends the section before it)."""
        units: list[Unit] = []
        for unit in sorted(set(self.units)):
            if unit[0] < unit[1] and (not units or unit[0] >= units[-1][1]):
                units.append(unit)
        by_offset: dict[int, str] = {}
        for offset, path in self.sections:
            by_offset[offset] = path
        return tuple(units), tuple(sorted(by_offset.items()))


class SectionPath:
    """The heading stack of a document: ``heading(level, title)`` gives the new path."""

    def __init__(self, root: str | None = None):
        self.root = root.strip() if root and root.strip() else None
        self.stack: list[tuple[int, str]] = []

    def heading(self, level: int, title: str) -> str | None:
        title = " ".join(title.split())
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        if title and not (not self.stack and self.root and title.casefold() == self.root.casefold()):
            self.stack.append((level, title))
        return self.path

    @property
    def path(self) -> str | None:
        parts = ([self.root] if self.root else []) + [t for _, t in self.stack]
        return SEPARATOR.join(parts) or None


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def line_groups(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Consecutive whole lines of ``text[start:end]`` packed into groups of at most ``limit`` characters (a longer
    line is a group by itself), each trimmed of white space; blank lines only separate."""
    groups: list[tuple[int, int]] = []
    lo = hi = -1
    position = start
    while position < end:
        newline = text.find("\n", position, end)
        line_end = end if newline < 0 else newline
        a, b = trim(text, position, line_end)
        if a < b:
            if lo >= 0 and b - lo > limit:
                groups.append((lo, hi))
                lo = -1
            if lo < 0:
                lo = a
            hi = b
        position = line_end + 1
    if lo >= 0:
        groups.append((lo, hi))
    return groups


def plain_units(text: str) -> tuple[Unit, ...]:
    """Plain text: pysbd sentences, line by line (kind "text")."""
    return tuple((a, b, "text") for a, b in sentence_spans(text))


def with_structure(doc: Document) -> Document:
    """``doc`` with its units (and, for Markdown read back from an index, its sections) filled in.

    A loader that read the structure already set them; otherwise Markdown is parsed from the text (its text is
    the file), anything else gets plain-text sentences. A Markdown text the parser cannot handle is indexed as
    plain text with a one-line note.
    """
    if doc.units:
        return doc
    if Path(doc.source).suffix.lower() in MARKDOWN_SUFFIXES:
        from rag.ingest.markdown import markdown_structure

        try:
            units, sections = markdown_structure(doc.text)
        except Exception as err:  # a parser failure must not drop the file: it is indexed as plain text
            return dataclasses.replace(doc, units=plain_units(doc.text), sections=(),
                                       note=f"Markdown structure not read ({type(err).__name__}); indexed as "
                                            "plain text")
        if units:
            return dataclasses.replace(doc, units=units, sections=sections)
        # nothing but headings/front matter/directives: keep the file searchable as plain text
        return dataclasses.replace(doc, units=plain_units(doc.text), sections=sections)
    return dataclasses.replace(doc, units=plain_units(doc.text))


# Whether a unit's embedding carries its section path too (the chunk's BM25 text always does: rag.text.index_text
# in the store). Chosen by measurement on the Kubernetes dev split: docs/EVAL.md, "Structure-aware ingestion".
EMBED_SECTION_PATH = True


def unit_text(doc: Document, start: int, end: int) -> str:
    """What is embedded for the unit ``doc.text[start:end]``."""
    text = doc.text[start:end]
    return index_text(doc.section_at(start), text) if EMBED_SECTION_PATH else text
