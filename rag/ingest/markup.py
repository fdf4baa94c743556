"""Inline Markdown and template markup as display pieces: what a reader sees of a verbatim span.

Citations quote the file verbatim (``**Note:**``, `` `kubectl` ``, ``{{< glossary_tooltip text="Pod" ... >}}``), but a
person reading an answer or its source passage wants text. ``inline_pieces`` reads a span into pieces to show:
plain text, inline code, strong/emphasis (their inner markup read again), link text. A list marker at a line start
is shown as a bullet "•"; heading and quote markers, heading anchors ``{ #id }``, HTML comments and template
shortcodes are hidden (a shortcode's ``text="..."`` argument is shown, as the site would), backslash escapes are
resolved and ``<br>`` is a line break. Inline HTML tags of prose (``<abbr title="...">ASGI</abbr>``, ``<dfn>``,
``<kbd>``, ``<span>``) are hidden and their text shown; other raw HTML (``<img>``, which has no text) is shown as
the text it is. Nothing here is HTML: the UI escapes every piece's text (ui/render.py); ``plain_text`` joins them
for titles, ``answer_text`` for the sentences of an extractive answer.

This is a small lexer for inline syntax only (block structure comes from markdown-it, rag.ingest.markdown), and
it is used for display and section titles, never to compute an offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Inline HTML that documentation sites use inside prose ("<abbr title="...">ASGI</abbr>", "<dfn>", "<kbd>",
# "<span style=...>"): the tags are hidden and their text is shown, as a browser would. A known list, so that
# "List<String>" in prose is not read as a tag.
_HTML_TAGS = ("abbr", "dfn", "span", "font", "u", "b", "i", "em", "strong", "sup", "sub", "small", "big", "kbd",
              "code", "a", "mark", "del", "ins", "s", "strike", "tt", "var", "samp", "cite", "q", "time",
              "details", "summary", "div", "p", "center", "nobr", "wbr", "label", "button")
_SHORTCODE_TEXT = re.compile(r"""\b(?:text|title)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_INLINE = re.compile(
    r"(?P<comment><!--.*?(?:-->|$))"
    r"|(?P<shortcode>\{\{[<%].*?[%>]\}\})"
    r"|(?P<liquid>\{%.*?%\})"
    r"|(?P<anchor>[ \t]*\{[ \t]*[#:][^{}\n]*\}[ \t]*$)"
    r"|(?P<code>(?P<ticks>`+)(?P<code_body>.+?)(?P=ticks))"
    r"|(?P<image>!\[(?P<alt>[^\]\n]*)\]\([^)\n]*\))"
    r"|(?P<link>\[(?P<link_text>[^\]\n]+)\](?:\([^)\n]*\)|\[[^\]\n]*\]))"
    r"|(?P<strong>\*\*(?=\S)(?P<strong_a>.+?)(?<=\S)\*\*|(?<![\w])__(?=\S)(?P<strong_b>.+?)(?<=\S)__(?![\w]))"
    r"|(?P<em>\*(?=[^\s*])(?P<em_a>[^*\n]+?)(?<=\S)\*|(?<![\w])_(?=[^\s_])(?P<em_b>[^_\n]+?)(?<=\S)_(?![\w]))"
    r"|(?P<bullet>^[ \t]*[-*+][ \t]+(?:\[[ xX]\][ \t]+)?)"
    r"|(?P<marker>^[ \t]*(?:>[ \t]?|\#{1,6}[ \t]+))"
    r"|(?P<escape>\\(?P<escaped>[\\`*_{}\[\]()#+\-.!|<>~]))"
    r"|(?P<tag><br\s*/?>)"
    r"|(?P<html></?(?:" + "|".join(_HTML_TAGS) + r")\b[^<>]*>)",
    re.DOTALL | re.MULTILINE | re.IGNORECASE,
)


@dataclass(frozen=True)
class Piece:
    """One thing to show: ``kind`` is "text" or "code" (``text`` shown as is), or "strong", "em", "link" (``text``
    is inner markup, to be read again with ``inline_pieces``)."""

    kind: str
    text: str


def inline_pieces(text: str) -> list[Piece]:
    pieces: list[Piece] = []
    cursor = 0
    for match in _INLINE.finditer(text):
        if match.start() > cursor:
            pieces.append(Piece("text", text[cursor:match.start()]))
        cursor = match.end()
        kind = match.lastgroup if match.lastgroup in _KINDS else _group(match)
        piece = _piece(kind, match)
        if piece is not None and piece.text:
            pieces.append(piece)
    if cursor < len(text):
        pieces.append(Piece("text", text[cursor:]))
    return pieces


_KINDS = ("comment", "shortcode", "liquid", "anchor", "code", "image", "link", "strong", "em", "bullet", "marker",
          "escape", "tag", "html")


def _group(match: re.Match) -> str:
    return next(name for name in _KINDS if match.group(name) is not None)


def _piece(kind: str, match: re.Match) -> Piece | None:
    if kind == "shortcode":
        found = _SHORTCODE_TEXT.search(match.group())
        return Piece("text", found.group(1) if found.group(1) is not None else found.group(2)) if found else None
    if kind == "code":
        body = match.group("code_body")
        if body.startswith(" ") and body.endswith(" ") and body.strip():
            body = body[1:-1]
        return Piece("code", body)
    if kind == "image":
        return Piece("text", match.group("alt"))
    if kind == "link":
        return Piece("link", match.group("link_text"))
    if kind == "strong":
        return Piece("strong", match.group("strong_a") or match.group("strong_b"))
    if kind == "em":
        return Piece("em", match.group("em_a") or match.group("em_b"))
    if kind == "escape":
        return Piece("text", match.group("escaped"))
    if kind == "tag":
        return Piece("text", "\n")
    if kind == "bullet":  # a list item's marker, as the page would show it
        return Piece("text", "\u2022 ")
    return None  # comment, liquid tag, anchor, heading/quote marker, inline HTML tag: hidden


def plain_text(text: str) -> str:
    """The span as a reader sees it, markup removed, white space collapsed (section titles, labels)."""
    return " ".join(_plain(text).split())


def _plain(text: str) -> str:
    return "".join(p.text if p.kind in ("text", "code") else _plain(p.text) for p in inline_pieces(text))


def answer_text(text: str) -> str:
    """A verbatim span as the text of an answer: what a reader sees of it (``plain_text``), white space collapsed,
    with inline code kept in backticks (`max_age` stays recognisable as a name), no list bullet in front, a table
    row without its outer pipes, and an ``<abbr>``'s title after it ("ASGI (Asynchronous Server Gateway
    Interface)"). Not for code blocks, whose text is shown as written. The citation keeps the verbatim span; this is
    only the sentence the user reads ("Granian: A Rust HTTP server ..." rather than
    "[Granian](https://github.com/emmett-framework/granian): A Rust HTTP server ...")."""
    shown = " ".join(_shown(_ABBR.sub(_spelled, text)).split())
    shown = shown[2:] if shown.startswith("\u2022 ") else shown
    if len(shown) > 2 and shown[0] == "|" and shown[-1] == "|":  # a table row: its cells, without the outer pipes
        shown = shown[1:-1].strip()
    return shown


# An abbreviation a page explains in a tooltip (`<abbr title="Asynchronous Server Gateway Interface">ASGI</abbr>`):
# an answer has no tooltip, so it spells the title out after the abbreviation.
_ABBR = re.compile(r"""<abbr\b[^<>]*?\btitle\s*=\s*(?:"([^"]*)"|'([^']*)')[^<>]*>(.*?)</abbr\s*>""",
                   re.IGNORECASE | re.DOTALL)


def _spelled(match: re.Match) -> str:
    title = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
    shown = match.group(3)
    return f"{shown} ({title})" if title and title.lower() != plain_text(shown).lower() else shown


def _shown(text: str) -> str:
    return "".join(p.text if p.kind == "text" else f"`{p.text}`" if p.kind == "code" else _shown(p.text)
                   for p in inline_pieces(text))
