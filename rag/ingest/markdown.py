"""Markdown structure through markdown-it-py: answer units, section paths and the layout the chat renders.

The text is the file as decoded (every offset refers to it); markdown-it gives each block its line range
(``token.map``), and units are cut from those lines. What a unit is: rag.ingest.structure.

Lines that are not text inside a paragraph or list item (a line holding only Hugo/Jekyll shortcodes such as
``{{< note >}}`` or ``{{< glossary_definition ... >}}``, a ``{% ... %}`` tag, a ``:::`` directive, an HTML comment
or an attribute list ``{: .class}``) split the block around them and belong to no unit. A shortcode that shows
text (``{{< glossary_tooltip text="Pod" ... >}}``) is a word of its sentence, even alone on a line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from rag.ingest.markup import plain_text
from rag.ingest.structure import LONG_CODE, LONG_ITEM, SectionPath, Structure, Unit, trim

_SHORTCODE = r"\{\{[<%].*?[%>]\}\}"
# MkDocs / Python-Markdown extensions write lines that are markup, never text: a PyMdown block fence ("/// note",
# "/// tip | Title", "///"), a file include ("{* ../../docs_src/app.py hl[3] *}", pymdownx.snippets'
# '--8<-- "file"', markdown-include's "{! file !}"); so does MDX (Docusaurus): an ES module line
# ("import Tabs from '@theme/Tabs';", "export const toc = ...;") and a line holding only JSX tags
# ("<Tabs>", "<TabItem value="py" label="Python">", "</TabItem>").
_MKDOCS = (r"/{3,}(?:\s.*)?|\{\*.*\*\}|-{2}8<-{2}.*|\{!.*!\}"
           r"|(?:import|export)\s.*(?:\sfrom\s+['\"][^'\"]+['\"]|=.*|\{.*\});?"
           r"|(?:</?[A-Z][\w.]*(?:\s[^<>]*)?/?>\s*)+")
_DIRECTIVE = re.compile(
    rf"(?:\s*(?:{_SHORTCODE}|\{{%.*?%\}}|<!--.*?-->|\{{[:#.][^{{}}]*\}}|\{{\s+[#.][^{{}}]*\}}))+\s*$|\s*:::"
    rf"|\s*(?:{_MKDOCS})\s*$")
_OPENS = re.compile(r"\s*(\{\{[<%]|<!--)")
_CLOSES = {"{{<": re.compile(r">\}\}|%\}\}"), "{{%": re.compile(r"%\}\}|>\}\}"), "<!--": re.compile(r"-->")}
_ANCHOR = re.compile(r"\s*\{\s*#[^{}]*\}\s*$")
_QUOTED = re.compile(r'"([^"]+)"')
_QUOTE_MARKERS = re.compile(r"[ \t]*(?:>[ \t]?)+")
_INLINE_TEXT = re.compile(r"\{\{<[^}]*\btext\s*=")

# Layout kinds for rendering (ui/render.py): "hidden" lines are not shown, "heading" lines are shown as a title,
# "code" is shown verbatim; everything else is read as inline markup (rag.ingest.markup).
HIDDEN, HEADING, CODE = "hidden", "heading", "code"


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.admon import admon_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    # admon: MkDocs admonitions ("!!! note", "??? tip") hold indented text that CommonMark alone reads as code
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin).use(admon_plugin)


@dataclass
class _Lines:
    text: str
    starts: list[int] = field(default_factory=list)

    def __post_init__(self):
        self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def start(self, line: int) -> int:
        return self.starts[line] if line < len(self.starts) else len(self.text)

    def end(self, line: int) -> int:
        """Offset of the end of ``line`` (before its newline)."""
        nxt = self.start(line + 1)
        return nxt - 1 if nxt > self.start(line) and self.text[nxt - 1:nxt] == "\n" else nxt

    def get(self, line: int) -> str:
        return self.text[self.start(line):self.end(line)]


@dataclass
class _Item:
    """An open list item: its lead lines (the text before a nested block) and where its text starts."""

    line: int
    column: int
    first: int = -1
    last: int = -1
    closed: bool = False


class _Walker:
    def __init__(self, text: str):
        self.text = text
        self.lines = _Lines(text)
        self.out = Structure()
        self.layout: list[tuple[int, int, str]] = []
        self.path = SectionPath()
        self.items: list[_Item] = []

    def run(self, tokens) -> None:
        i = 0
        while i < len(tokens):
            i = self.token(tokens, i)
        while self.items:
            self.close_item()

    def token(self, tokens, i: int) -> int:
        tok = tokens[i]
        kind = tok.type
        if kind == "front_matter":
            self.front_matter(tok)
        elif kind == "heading_open":
            self.close_lead()
            self.heading(tok, tokens[i + 1])
            return i + 3
        elif kind == "paragraph_open":
            self.paragraph(tok)
            return i + 3
        elif kind == "list_item_open":
            self.close_lead()
            self.items.append(_Item(tok.map[0], self.item_column(tok)))
        elif kind == "list_item_close":
            self.close_item()
        elif kind in ("fence", "code_block"):
            self.close_lead()
            self.code(tok)
        elif kind == "tr_open":
            self.close_lead()
            self.row(tok)
        elif kind == "html_block":
            self.close_lead()
            self.html(tok)
        elif kind == "admonition_title_open":  # the '!!! note "Title"' line: markup and a label, not text
            self.close_lead()
            self.hide(tok.map[0], tok.map[1])
            return i + 3
        elif kind in ("bullet_list_open", "ordered_list_open", "table_open", "blockquote_open", "hr",
                      "admonition_open"):
            self.close_lead()
            if kind == "hr":
                self.hide(tok.map[0], tok.map[1])
        return i + 1

    # -- sections -------------------------------------------------------------------------------------------
    def front_matter(self, tok) -> None:
        self.hide(tok.map[0], tok.map[1])
        title = _front_matter_title(tok.content)
        if title:
            self.path = SectionPath(title)
            self.out.sections.append((0, self.path.path or ""))

    def heading(self, tok, inline) -> None:
        first, last = tok.map
        title = plain_text(_ANCHOR.sub("", inline.content))
        if not title:  # a heading made by a shortcode, {{% heading "whatsnext" %}}: its argument
            quoted = _QUOTED.search(inline.content)
            title = quoted.group(1) if quoted else ""
        path = self.path.heading(int(tok.tag[1:]), title)
        self.out.sections.append((self.lines.start(first), path or ""))
        self.layout.append((self.lines.start(first), self.lines.start(last), HEADING))

    # -- units ----------------------------------------------------------------------------------------------
    def paragraph(self, tok) -> None:
        first, last = tok.map
        item = self.items[-1] if self.items else None
        if item is not None and not item.closed:
            if item.first < 0:
                item.first = first
            item.last = last
            return
        for a, b in self.runs(first, last):
            self.out.add_sentences(self.text, a, b, lead=_skip_quote)

    def close_lead(self) -> None:
        item = self.items[-1] if self.items else None
        if item is None or item.closed:
            return
        item.closed = True
        if item.first < 0:
            return
        for a, b in self.runs(item.first, item.last, item.column if item.first == item.line else 0):
            self.out.add_block(self.text, a, b, "list_item", LONG_ITEM)

    def close_item(self) -> None:
        self.close_lead()
        self.items.pop()

    def item_column(self, tok) -> int:
        """Where the item's text starts on its first line: after the marker ("-", "1.") and its spaces."""
        line = self.lines.get(tok.map[0])
        marker = (tok.info or "") + tok.markup
        at = line.find(marker)
        if at < 0:
            return 0
        column = at + len(marker)
        while column < len(line) and line[column] in " \t":
            column += 1
        return column

    def code(self, tok) -> None:
        first, last = tok.map
        if tok.type == "fence":
            self.hide(first, first + 1)
            closing = last - 1 > first and self.lines.get(last - 1).strip().startswith(tok.markup)
            if closing:
                self.hide(last - 1, last)
            first, last = first + 1, (last - 1 if closing else last)
        if first >= last:
            return
        a, b = self.lines.start(first), self.lines.end(last - 1)
        self.layout.append((a, b, CODE))
        self.out.add_block(self.text, a, b, "code", LONG_CODE)

    def row(self, tok) -> None:
        line = tok.map[0]
        if _DIRECTIVE.match(self.lines.get(line)):  # a shortcode line the table swallowed
            self.hide(line, line + 1)
            return
        a, b = trim(self.text, self.lines.start(line), self.lines.end(line))
        if a < b and self.text[a] == "|":
            a += 1
        if b > a and self.text[b - 1] == "|" and self.text[b - 2:b] != "\\|":
            b -= 1
        self.out.add_block(self.text, a, b, "table_row", 10 ** 9)

    def html(self, tok) -> None:
        first, last = tok.map
        if tok.content.lstrip().startswith("<!--"):
            self.hide(first, last)
            return
        for a, b in self.runs(first, last, tag_lines=True):
            self.out.add_sentences(self.text, a, b, lead=_skip_quote)

    # -- lines ----------------------------------------------------------------------------------------------
    def hide(self, first: int, last: int) -> None:
        self.layout.append((self.lines.start(first), self.lines.start(last), HIDDEN))

    def runs(self, first: int, last: int, column: int = 0, tag_lines: bool = False) -> list[tuple[int, int]]:
        """(start, end) of each run of consecutive text lines in [first, last), directive lines left out."""
        runs: list[tuple[int, int]] = []
        start = -1
        end = -1
        skip_until: re.Pattern | None = None
        for line in range(first, last):
            body = self.lines.get(line)
            directive = skip_until is not None
            if skip_until is not None:
                closed = skip_until.search(body)
                if closed:
                    skip_until = None
                    directive = not body[closed.end():].strip() or bool(_DIRECTIVE.match(body[closed.end():]))
            elif _INLINE_TEXT.search(body):  # {{< glossary_tooltip text="Pod" ... >}} is a word of its sentence
                directive = False
            elif _DIRECTIVE.match(body) or (tag_lines and _is_tag_line(body)):
                directive = True
            else:
                opened = _OPENS.match(body)
                if opened and not _CLOSES[opened.group(1)].search(body, opened.end()):
                    skip_until = _CLOSES[opened.group(1)]
                    directive = True
            if directive:
                self.hide(line, line + 1)
                if start >= 0:
                    runs.append((start, end))
                start = -1
                continue
            if start < 0:
                start = _skip_quote(self.text, self.lines.start(line) + (column if line == first else 0))
            end = self.lines.end(line)
        if start >= 0:
            runs.append((start, end))
        return [r for r in (trim(self.text, a, b) for a, b in runs) if r[0] < r[1]]


def _skip_quote(text: str, start: int) -> int:
    """``start`` moved past blockquote markers ("> ") when only they stand before it on its line."""
    if text[text.rfind("\n", 0, start) + 1:start].strip():
        return start
    quoted = _QUOTE_MARKERS.match(text, start)
    return quoted.end() if quoted else start


def _is_tag_line(body: str) -> bool:
    stripped = body.strip()
    return not stripped or (stripped.startswith("<") and stripped.endswith(">"))


def _front_matter_title(content: str) -> str | None:
    import yaml

    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError:
        return None
    title = data.get("title") if isinstance(data, dict) else None
    return plain_text(str(title)) if isinstance(title, (str, int, float)) and str(title).strip() else None


@dataclass(frozen=True)
class MarkdownStructure:
    units: tuple[Unit, ...]
    sections: tuple[tuple[int, str], ...]
    layout: tuple[tuple[int, int, str], ...]


def read_markdown(text: str) -> MarkdownStructure:
    """Units, sections and layout of a Markdown text (raises whatever the parser raises on input it cannot read;
    rag.ingest.structure.with_structure falls back to plain text then)."""
    walker = _Walker(text)
    walker.run(_parser().parse(text))
    units, sections = walker.out.finish()
    return MarkdownStructure(units, sections, tuple(sorted(walker.layout)))


def markdown_structure(text: str) -> tuple[tuple[Unit, ...], tuple[tuple[int, str], ...]]:
    found = read_markdown(text)
    return found.units, found.sections


def layout_at(layout: tuple[tuple[int, int, str], ...], start: int, end: int) -> list[tuple[int, int, str]]:
    """The window [start, end) cut into (a, b, kind) pieces: "hidden", "heading", "code" or "text"."""
    pieces: list[tuple[int, int, str]] = []
    cursor = start
    i = max(0, bisect_right(layout, (start,)) - 1)
    for a, b, kind in layout[i:]:
        if a >= end:
            break
        if b <= cursor:
            continue
        a, b = max(a, cursor), min(b, end)
        if a > cursor:
            pieces.append((cursor, a, "text"))
        pieces.append((a, b, kind))
        cursor = b
    if cursor < end:
        pieces.append((cursor, end, "text"))
    return pieces
