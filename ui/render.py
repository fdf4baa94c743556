"""HTML for the chat: answers with clickable citation chips, the sources panel with the cited span highlighted.

Every piece of document or user text goes through ``escape``: HTML-escaped, and the characters Markdown or
LaTeX would interpret turned into numeric entities, so a document containing ``<script>`` or ``*bold*`` is
shown exactly as written in every panel (the chatbot renders Markdown, the panels raw HTML).

Text from a Markdown document is read as markup first (rag.ingest.markup, and the block layout of
rag.ingest.markdown): list and heading markers, anchors, comments, front matter and shortcode lines are hidden,
inline code, emphasis and link text are shown as such. Only the tags written here (``code``, ``strong``, ``em``,
``span``, ``mark``) are live; every piece of text in them is escaped as above. A cited span is rendered on its
own inside its ``<mark>``, so the highlight covers exactly the stored offsets.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from rag.cite.markers import SINGLE as MARKER
from rag.ingest.markup import inline_pieces
from rag.ingest.structure import MARKDOWN_SUFFIXES
from rag.types import Answer, Citation, Document

# Characters Markdown (marked), GFM tables/strikethrough and KaTeX give meaning to, as numeric entities.
# Quotes are in the table too: html.escape(quote=True) would emit "&#x27;", whose "#" the table would then
# re-encode, showing a literal "&#x27;" instead of an apostrophe.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|~$\"'"}
_MD_TABLE = str.maketrans(_MD_SPECIAL)
CONTEXT_CHARS = 320


def escape(text: str) -> str:
    """Text safe to drop into HTML (and into Markdown-rendered HTML): no tags, no formatting, line breaks kept."""
    return html.escape(str(text), quote=False).translate(_MD_TABLE).replace("\n", "<br>")


def is_markdown(source: str) -> bool:
    return Path(source).suffix.lower() in MARKDOWN_SUFFIXES


def markup_html(text: str, esc: Callable[[str], str] = escape) -> str:
    """Inline Markdown of a document span as HTML: markers hidden, code/emphasis/link text shown, text escaped
    with ``esc`` (``escape`` where the chatbot renders Markdown, ``html.escape`` in the raw-HTML panels)."""
    out: list[str] = []
    for piece in inline_pieces(text):
        if piece.kind == "text":
            out.append(esc(piece.text))
        elif piece.kind == "code":
            out.append(f"<code>{esc(piece.text)}</code>")
        else:
            tag = {"strong": "strong", "em": "em"}.get(piece.kind, "span")
            out.append(f"<{tag}>{markup_html(piece.text, esc)}</{tag}>")
    return "".join(out)


@lru_cache(maxsize=16)
def _layout(text: str) -> tuple[tuple[int, int, str], ...]:
    from rag.ingest.markdown import read_markdown

    try:
        return read_markdown(text).layout
    except Exception:  # the file was indexed as plain text (rag.ingest.structure); show it inline-rendered only
        return ()


def document_html(doc: Document, start: int, end: int) -> str:
    """``doc.text[start:end]`` as panel HTML: escaped text, or for Markdown its rendering by blocks (hidden lines
    dropped, headings in bold, code verbatim) and inline markup."""
    if not is_markdown(doc.source):
        return html.escape(doc.text[start:end])
    from rag.ingest.markdown import CODE, HEADING, HIDDEN, layout_at

    out: list[str] = []
    for a, b, kind in layout_at(_layout(doc.text), start, end):
        if kind == HIDDEN:
            continue
        if kind == CODE:
            out.append(f'<code class="block">{html.escape(doc.text[a:b])}</code>')
        elif kind == HEADING:
            out.append(f'<strong class="heading">{markup_html(doc.text[a:b], html.escape)}</strong>')
        else:
            out.append(markup_html(doc.text[a:b], html.escape))
    return _BLANK_LINES.sub("\n\n", "".join(out))


_BLANK_LINES = re.compile(r"\n\s*\n(?:\s*\n)+")


def doc_name(source: str) -> str:
    return Path(source).name or source


def location(citation: Citation) -> str:
    where = f"page {citation.page} · " if citation.page else ""
    return f"{where}chars {citation.start:,}–{citation.end:,}"


def _inline(text: str, turn: int, known: set[int], markup: bool = False) -> str:
    """Escape ``text`` (reading its Markdown when ``markup``) and turn each ``[n]`` that names a citation into a
    clickable chip."""
    show = markup_html if markup else escape
    out: list[str] = []
    cursor = 0
    for match in MARKER.finditer(text):
        n = int(match.group(1))
        if n not in known:
            continue
        out.append(show(text[cursor:match.start()]).rstrip(" ") if match.start() > cursor else "")
        out.append(f'<a class="cite-chip" href="#cite-{turn}-{n}" title="Show source [{n}]">{n}</a>')
        cursor = match.end()
    out.append(show(text[cursor:]))
    return "".join(out)


def _flagged_ranges(answer: Answer) -> list[tuple[int, int, float, str]]:
    """Where, in the answer text, the sentences the verifier flagged as unsupported sit, and why."""
    ranges: list[tuple[int, int, float, str]] = []
    cursor = 0
    for sentence in answer.sentences:
        text = sentence.text.strip()
        if not text:
            continue
        at = answer.answer.find(text, cursor)
        if at < 0:
            continue
        cursor = at + len(text)
        if not sentence.supported:
            ranges.append((at, cursor, sentence.support_score, sentence.unsupported_reason or ""))
    return ranges


def answer_html(answer: Answer, turn: int) -> str:
    """The assistant message: answer text with citation chips, unsupported sentences marked, a short footer."""
    if answer.abstained:
        body = f'<div class="abstain">{escape(answer.answer)}</div>'
    else:
        known = {c.n for c in answer.citations}
        markup = any(is_markdown(c.source) for c in answer.citations)  # the answer quotes Markdown
        parts: list[str] = []
        cursor = 0
        for start, end, support, reason in _flagged_ranges(answer):
            parts.append(_inline(answer.answer[cursor:start], turn, known, markup))
            why = f'<span class="flag-reason">{escape(reason)}</span>' if reason else ""
            parts.append(
                f'<span class="unsupported" title="Not supported by the cited passages '
                f'(support {support:.2f})">{_inline(answer.answer[start:end], turn, known, markup)}'
                f'<span class="flag">unsupported</span>{why}</span>'
            )
            cursor = end
        parts.append(_inline(answer.answer[cursor:], turn, known, markup))
        body = f'<div class="answer-text">{"".join(parts)}</div>'
        if answer.short_answer is not None:
            body = f'<div class="short-answer"><strong>{escape(answer.short_answer.text)}</strong></div>{body}'
    notice = f'<div class="notice">{escape(answer.notice)}</div>' if answer.notice else ""
    flagged = sum(1 for s in answer.sentences if not s.supported)
    warn = (f'<div class="notice warn">{flagged} sentence{"s" if flagged > 1 else ""} not supported by the '
            "cited passages; check before relying on it.</div>") if flagged else ""
    return f'<div class="rag-answer">{body}{warn}{notice}{_footer(answer, turn)}</div>'


def _footer(answer: Answer, turn: int) -> str:
    by_doc: dict[str, list[int]] = {}
    for c in answer.citations:  # one chip per document, its citation numbers inside
        by_doc.setdefault(c.source, []).append(c.n)
    chips = "".join(
        '<span class="src-chip">'
        + "".join(f'<a class="src-num" href="#cite-{turn}-{n}">{n}</a>' for n in numbers)
        + f'<a class="src-name" href="#cite-{turn}-{numbers[0]}" title="{html.escape(source)}">'
        f"{escape(doc_name(source))}</a></span>"
        for source, numbers in by_doc.items()
    )
    total = answer.timings_ms.get("total")
    meta = [escape(answer.mode)]
    if total is not None:
        meta.append(f"{total / 1000:.1f} s")
    if not answer.abstained:
        meta.append(f"confidence {answer.confidence:.2f}")
    copy = '<button class="copy-answer" type="button">Copy</button>'
    return f'<div class="answer-foot">{chips}<span class="meta">{" · ".join(meta)}</span>{copy}</div>'


def passage_html(doc: Document, start: int, end: int, context: int = CONTEXT_CHARS) -> str:
    """The text around ``doc.text[start:end]`` with that span in ``<mark>``, cut at word boundaries."""
    text = doc.text
    lo = max(0, start - context)
    hi = min(len(text), end + context)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space >= 0 else hi
    if is_markdown(doc.source):  # never show the tail of a heading ("}" of its anchor) or its head alone
        lo, hi = _whole_heading_lines(doc.text, lo, start, end, hi)
        lo, hi = _whole_constructs(doc.text, lo, start, end, hi)
    before = ("… " if lo > 0 else "") + document_html(doc, lo, start)
    after = document_html(doc, end, hi) + (" …" if hi < len(text) else "")
    return f'{before}<mark class="cited">{document_html(doc, start, end)}</mark>{after}'


def _whole_heading_lines(text: str, lo: int, start: int, end: int, hi: int) -> tuple[int, int]:
    """Context bounds moved off a heading or hidden line they cut: ``lo`` back to the line's start (a heading is
    shown whole, a hidden line not at all), ``hi`` back to the line's start (never into the cited span)."""
    from rag.ingest.markdown import HEADING, HIDDEN, layout_at

    layout = _layout(text)

    def cut(at: int) -> bool:
        return 0 < at < len(text) and text[at - 1] != "\n" and any(
            kind in (HEADING, HIDDEN) for _, _, kind in layout_at(layout, at, at + 1))

    if cut(lo):
        lo = text.rfind("\n", 0, lo) + 1
    if cut(hi):
        line = text.rfind("\n", 0, hi) + 1
        hi = line if line > end else hi
    return lo, hi


# Inline constructs with spaces inside, which a context bound cut at a space would split, leaving raw markup
# ("… term_id="cgroup" >}} limits", "… the API](/docs/concepts/overview/) server"): template shortcodes, links and
# images, code spans, HTML tags.
_CONSTRUCT = re.compile(r"\{\{[<%].*?[%>]\}\}|!?\[[^\]\n]*\]\([^)\n]*\)|`[^`\n]+`|</?[A-Za-z][^<>\n]*>")


def _whole_constructs(text: str, lo: int, start: int, end: int, hi: int) -> tuple[int, int]:
    """Context bounds moved off an inline construct they cut: ``lo`` back to its start (it is shown whole, rendered),
    ``hi`` on to its end, or back to its start when that is far (never into the cited span)."""

    def cut(at: int) -> re.Match | None:
        line = text.rfind("\n", 0, at) + 1
        stop = text.find("\n", at)
        for match in _CONSTRUCT.finditer(text, line, len(text) if stop < 0 else stop):
            if match.start() < at < match.end():
                return match
        return None

    if 0 < lo < start and (match := cut(lo)):
        lo = match.start()
    if end < hi < len(text) and (match := cut(hi)):
        hi = match.end() if match.end() - hi <= 200 else max(match.start(), end)
    return lo, hi


OCR_BADGE = '<span class="ocr" title="Text read by OCR from a scanned page or image">OCR</span>'


def citation_card(citation: Citation, doc: Document | None, turn: int, selected: bool) -> str:
    score = f'<span class="score">score {citation.score:.3f}</span>'
    if doc is not None and doc.text[citation.start:citation.end] == citation.quote:
        passage = passage_html(doc, citation.start, citation.end)
    else:  # the document changed or was removed since the answer; the quote itself is still exact
        quote = markup_html(citation.quote, html.escape) if is_markdown(citation.source) else html.escape(
            citation.quote)
        passage = f'<mark class="cited">{quote}</mark>'
    section = (f'<div class="cite-section" title="Section">{html.escape(citation.section)}</div>'
               if citation.section else "")
    return (
        f'<div class="cite-card{" selected" if selected else ""}" id="cite-{turn}-{citation.n}" '
        f'data-turn="{turn}" data-cite="{citation.n}" data-start="{citation.start}" data-end="{citation.end}">'
        f'<div class="cite-head"><span class="num">{citation.n}</span>'
        f'<span class="doc" title="{html.escape(citation.source)}">{html.escape(doc_name(citation.source))}</span>'
        f'<span class="loc">{location(citation)}</span>{OCR_BADGE if citation.ocr else ""}{score}</div>'
        f'{section}<div class="passage">{passage}</div></div>'
    )


def retrieved_html(answer: Answer) -> str:
    if not answer.passages:
        return ""
    rows = []
    for p in answer.passages:
        dense = "–" if p.dense_score is None else f"{p.dense_score:.3f}"
        bm25 = "–" if p.bm25_score is None else f"{p.bm25_score:.2f}"
        scores = f'<span class="score">fused {p.score:.4f} · dense {dense} · bm25 {bm25}</span>'
        head = p.chunk.text[:220]
        snippet = (markup_html(head, html.escape) if is_markdown(p.chunk.source) else html.escape(head)) + (
            "…" if len(p.chunk.text) > 220 else "")
        if p.chunk.section:
            snippet = f'<span class="section">{html.escape(p.chunk.section)}</span> · {snippet}'
        rows.append(
            f'<li><span class="rank">#{p.rank}</span> <span class="doc">{html.escape(doc_name(p.chunk.source))}'
            f'</span> <span class="loc">chars {p.chunk.start:,}–{p.chunk.end:,}</span>{scores}'
            f'<div class="snippet">{snippet}</div></li>'
        )
    return (f'<details class="retrieved"><summary>{len(rows)} retrieved passages</summary>'
            f'<ol>{"".join(rows)}</ol></details>')


def sources_section(answer: Answer, turn: int, documents: Callable[[str], Document | None]) -> str:
    """One turn's block of the sources panel: a card per citation (the first selected) and the retrieval list.

    Scores are always in the markup (class ``score``) and shown or hidden by CSS, so the "show retrieval
    scores" setting applies to earlier answers too without re-rendering them."""
    head = f'<div class="turn-q">Q{turn}: {html.escape(answer.question)}</div>'
    if answer.citations:
        cards = "".join(
            citation_card(c, documents(c.source), turn, selected=(i == 0))
            for i, c in enumerate(answer.citations)
        )
    elif answer.abstained:
        cards = '<div class="empty">No citations: the documents don\'t answer this question.</div>'
    else:
        cards = ('<div class="empty">This answer cites no passage, so nothing in it is verified; the passages '
                 "it was given are listed below.</div>")
    retrieved = retrieved_html(answer)
    if not answer.citations:
        retrieved = retrieved.replace('<details class="retrieved">', '<details class="retrieved" open>', 1)
    return f'<section class="turn" data-turn="{turn}">{head}{cards}{retrieved}</section>'


EMPTY_SOURCES = (
    '<div class="sources-empty"><div class="big">Sources</div>'
    "Ask a question: every answer cites its sources with numbered chips. Click a chip to see the exact "
    "passage it comes from, highlighted in its document.</div>"
)


def sources_panel(sections: list[str]) -> str:
    """All turns' sections; the latest one is active until a chip of another turn is clicked."""
    if not sections:
        return EMPTY_SOURCES
    last = len(sections) - 1
    body = "".join(
        s.replace('<section class="turn"', '<section class="turn active"', 1) if i == last else s
        for i, s in enumerate(sections)
    )
    return f'<div class="sources">{body}</div>'


def error_html(message: str) -> str:
    return f'<div class="rag-error">{escape(message)}</div>'


def question_html(question: str) -> str:
    return escape(question)


def streaming_html(text: str) -> str:
    """The answer while it is still arriving (markers not yet resolvable into chips)."""
    if not text:
        return '<span class="thinking">Searching your documents…</span>'
    return f'<div class="answer-text streaming">{escape(text)}<span class="caret"></span></div>'
