"""Markdown answers and Sources passages read as text, the cited span still highlighted exactly, nothing live."""

from __future__ import annotations

import html
import re

from rag.types import Answer, Citation, Document
from tests.support.html_checks import active_markup
from ui import render

DOC = """---
title: Guide
---

<!-- overview -->

{{< glossary_definition term_id="pod" length="short" >}}

## Options {#options}

Set these:

* `timeout` - Sets the **maximum** time.
  Defaults to `30s`.
* `mode` - See [the modes](javascript:alert(1)) <script>x()</script> {{< glossary_tooltip text="API" term_id="api" >}}.

```shell
# a shell comment
kubectl get pods *
```
"""


def _doc(source="/docs/guide.md") -> Document:
    return Document(source=source, text=DOC, sha256="0" * 64)


def _visible(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _marked(fragment: str) -> str:
    return re.search(r'<mark class="cited">(.*?)</mark>', fragment, re.S).group(1)


def test_passage_hides_markup_and_highlights_exactly_the_cited_item():
    doc = _doc()
    item = "`timeout` - Sets the **maximum** time.\n  Defaults to `30s`."
    start = DOC.index(item)
    out = render.passage_html(doc, start, start + len(item), context=2000)
    assert active_markup(out) == []
    assert _visible(_marked(out)) == "timeout - Sets the maximum time.\n  Defaults to 30s."
    assert "<code>timeout</code>" in _marked(out) and "<strong>maximum</strong>" in _marked(out)
    shown = _visible(out)
    for raw in ("title:", "<!--", "{{<", "{#options}", "## ", "* `", "```"):
        assert raw not in shown, raw
    assert "Options" in shown and "API" in shown  # the heading text and the shortcode's text= argument
    assert "# a shell comment\nkubectl get pods *" in shown  # code is shown verbatim, not read as markup
    assert "<script>" not in out and "&lt;script&gt;" in out  # raw HTML stays text


def test_plain_text_sources_are_not_read_as_markdown():
    doc = _doc("/docs/guide.txt")
    start = DOC.index("`timeout`")
    out = render.passage_html(doc, start, start + 9)
    assert _visible(_marked(out)) == "`timeout`"
    assert "{{&lt; glossary_definition" in out or "{{< glossary_definition" in _visible(out)


def test_answer_quoting_markdown_is_rendered_and_escaped_for_the_chatbot():
    doc = _doc()
    item = "`mode` - See [the modes](javascript:alert(1)) <script>x()</script>"
    start = DOC.index(item)
    citation = Citation(1, doc.source, "c", start, start + len(item), item, 0.9, section="Guide > Options")
    answer = Answer(question="q", answer=f"{item} [1]", abstained=False, citations=[citation], confidence=0.9)
    out = render.answer_html(answer, turn=1)
    assert active_markup(out) == []
    text = out.split('<a class="cite-chip"')[0]
    assert "<code>mode</code>" in text and "the modes" in text and "javascript" not in text  # link text only
    assert "<script>" not in out and "&lt;script&gt;" in text
    assert out.count("href=") == 3  # the chip and the footer's two links: none from the document
    card = render.citation_card(citation, doc, 1, selected=True)
    assert 'class="cite-section"' in card and "Guide &gt; Options" in card


def test_no_section_line_without_a_section():
    citation = Citation(1, "/x/a.txt", "c", 0, 4, "text", 0.5)
    assert "cite-section" not in render.citation_card(citation, None, 1, selected=False)
