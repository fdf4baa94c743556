"""HTML through its DOM: the text (as before: the page's strings, one per line, lines stripped, blank runs cut to
one blank line), its answer units and its section paths.

The text is exactly what the loader has always produced, so offsets into HTML documents do not change; each DOM
string's place in it is tracked, so an element's text maps to a span. ``<li>``/``<dt>``/``<dd>`` give list items,
``<tr>`` table rows, ``<pre>`` code, ``<h1>``..``<h6>`` sections (under the ``<title>``), any other block's text
its sentences. What a unit is: rag.ingest.structure.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from rag.ingest.structure import LONG_CODE, LONG_ITEM, SectionPath, Structure, Unit

REMOVED = ["script", "style", "noscript", "template", "head"]
UNIT_TAGS = {"li": "list_item", "dt": "list_item", "dd": "list_item", "tr": "table_row", "pre": "code"}
HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLANK_RUNS = re.compile(r"\n{3,}")


def parse(markup: str):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")  # libxml2 caps nesting depth, so deep trees do not recurse
    title = soup.title.get_text(" ", strip=True) if soup.title is not None else None
    for tag in soup(REMOVED):
        tag.decompose()
    return soup, title


def page_text(soup) -> str:
    """The text of a parsed page as the loader has always produced it (kept for the plain-text fallback)."""
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


class _Normalised:
    """``"\\n".join(strings)`` with every line stripped, blank runs cut to one blank line and the ends stripped,
    remembering where each kept line came from."""

    def __init__(self, raw: str):
        self.raw_starts: list[int] = []
        self.final_starts: list[int] = []
        self.lengths: list[int] = []
        parts: list[str] = []
        position = final = 0
        blank = False
        for line in raw.splitlines(keepends=True):
            body = line.splitlines()[0] if line.splitlines() else ""
            stripped = body.strip()
            if stripped:
                if parts:
                    separator = "\n\n" if blank else "\n"
                    parts.append(separator)
                    final += len(separator)
                self.raw_starts.append(position + len(body) - len(body.lstrip()))
                self.final_starts.append(final)
                self.lengths.append(len(stripped))
                parts.append(stripped)
                final += len(stripped)
                blank = False
            elif parts:
                blank = True
            position += len(line)
        self.text = "".join(parts)

    def span(self, a: int, b: int) -> tuple[int, int] | None:
        """The kept characters of raw [a, b) as a span of the text, or None when none is kept."""
        j = bisect_right(self.raw_starts, a) - 1
        if j < 0 or a >= self.raw_starts[j] + self.lengths[j]:
            j += 1
            if j >= len(self.raw_starts) or self.raw_starts[j] >= b:
                return None
            start = self.final_starts[j]
        else:
            start = self.final_starts[j] + a - self.raw_starts[j]
        k = bisect_right(self.raw_starts, b - 1) - 1
        last = min(b - 1, self.raw_starts[k] + self.lengths[k] - 1)
        end = self.final_starts[k] + last - self.raw_starts[k] + 1
        return (start, end) if end > start else None


def read_html(markup: str) -> tuple[str, tuple[Unit, ...], tuple[tuple[int, str], ...]]:
    """(text, units, sections) of an HTML page. Raises RecursionError on trees nested too deeply to read."""
    soup, title = parse(markup)
    strings = list(soup.strings)
    normalised = _Normalised("\n".join(strings))
    text = normalised.text
    out = Structure()
    path = SectionPath(title)
    if path.path:
        out.sections.append((0, path.path))
    runs: list[list] = []  # [container, start, end]
    raw = 0
    for string in strings:
        span = normalised.span(raw, raw + len(string))
        raw += len(string) + 1
        if span is None:
            continue
        container = _container(string)
        if runs and runs[-1][0] is container:
            runs[-1][2] = span[1]
        else:
            runs.append([container, span[0], span[1]])
    for container, start, end in runs:
        name = container.name if container is not None else ""
        if name in HEADINGS:
            out.sections.append((start, path.heading(HEADINGS[name], text[start:end]) or ""))
        elif name in UNIT_TAGS:
            kind = UNIT_TAGS[name]
            out.add_block(text, start, end, kind, LONG_CODE if kind == "code" else LONG_ITEM if kind == "list_item"
                          else 10 ** 9)
        else:
            out.add_sentences(text, start, end)
    units, sections = out.finish()
    return text, units, sections


_BLOCKS = {"p", "div", "section", "article", "main", "body", "html", "blockquote", "td", "th", "caption",
           "figcaption", "header", "footer", "nav", "aside", "summary", "details", "form", "address", "center",
           "table", "ul", "ol", "dl", "fieldset", "legend", "label", "option", "button", "[document]"}


def _container(string):
    """The element a DOM string's unit is cut from: the nearest list item, row, <pre> or heading around it, else
    the nearest block (whose text is split into sentences)."""
    block = None
    for parent in string.parents:
        name = parent.name
        if name in UNIT_TAGS or name in HEADINGS:
            return parent
        if block is None and name in _BLOCKS:
            block = parent
    return block
