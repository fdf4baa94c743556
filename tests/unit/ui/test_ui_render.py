"""Fast tests of the chat's HTML: escaping in every panel, citation chips, highlighted spans, flagged sentences."""

from __future__ import annotations

import html
import re

import pytest

from rag.types import Answer, Chunk, Citation, Document, Passage, SentenceCheck, ShortAnswer
from tests.support.html_checks import active_markup
from ui import render

HOSTILE = ('Intro. <script>window.__xss=1</script> and <img src=x onerror="window.__xss=2"> '
           "**bold** [link](javascript:alert(1)) $x$ | a | b |\n\nThe launch site is Sohae. Tail text here.")


def _doc(text: str = HOSTILE, source: str = "/data/uploads/evil<b>.md") -> Document:
    return Document(source=source, text=text, sha256="0" * 64)


def _answer(doc: Document, sentence: str, extra: str = "", flagged: bool = False) -> Answer:
    start = doc.text.index(sentence)
    end = start + len(sentence)
    chunk = Chunk("c1", doc.source, doc.sha256, 0, len(doc.text), doc.text)
    citation = Citation(1, doc.source, "c1", start, end, doc.text[start:end], 0.8)
    text = f"{sentence} [1]{extra}"
    sentences = [SentenceCheck(f"{sentence} [1]", [1], True, 0.9)]
    if extra:
        sentences.append(SentenceCheck(extra.strip(), [], not flagged, 0.1))
    return Answer(question="Where is <the> launch site?", answer=text, abstained=False, citations=[citation],
                  passages=[Passage(chunk, 0.03, 1, 0.5, 2.0)], sentences=sentences, confidence=0.8,
                  timings_ms={"total": 12.0})


def _no_live_markup(fragment: str) -> None:
    """The fragment, parsed as a browser would, has no element or attribute that came from the document text."""
    assert active_markup(fragment) == []


def test_escape_neutralises_html_markdown_and_latex():
    out = render.escape(HOSTILE)
    _no_live_markup(out)
    for ch in "*[]()$|":
        assert ch not in out
    assert html.unescape(out.replace("<br>", "\n")) == HOSTILE


def test_answer_html_has_chips_escaped_text_and_unknown_markers_left_as_text():
    doc = _doc()
    answer = _answer(doc, "<script>window.__xss=1</script> and")
    answer.answer += " See also [7]."
    out = render.answer_html(answer, turn=3)
    _no_live_markup(out)
    assert out.count('href="#cite-3-1"') == 3  # the inline chip, the footer's number and document name
    assert 'class="cite-chip"' in out
    assert "&#91;7&#93;" in out  # not a citation of this answer: shown literally, not as a chip
    assert "evil&lt;b&gt;.md" in out


def test_footer_groups_citations_by_document():
    doc = _doc()
    answer = _answer(doc, "The launch site is Sohae.")
    other = Citation(2, doc.source, "c1", 0, 6, doc.text[:6], 0.5)
    answer.citations.append(other)
    answer.answer += " Intro. [2]"
    out = render.answer_html(answer, turn=1)
    assert out.count('class="src-chip"') == 1
    assert '<a class="src-num" href="#cite-1-1">1</a><a class="src-num" href="#cite-1-2">2</a>' in out


def test_unsupported_sentences_are_marked():
    doc = _doc()
    answer = _answer(doc, "The launch site is Sohae.", extra=" It was built on the moon.", flagged=True)
    out = render.answer_html(answer, turn=1)
    flagged = re.search(r'<span class="unsupported"[^>]*>(.*?)<span class="flag">', out)
    assert flagged and "moon" in flagged.group(1)
    assert "not supported by the cited passages" in out
    assert "Sohae" not in flagged.group(1)


def test_a_flagged_sentence_shows_its_reason_escaped():
    doc = _doc()
    answer = _answer(doc, "The launch site is Sohae.", extra=" It was built on the moon.", flagged=True)
    answer.sentences[1].unsupported_reason = "name '<img src=x onerror=alert(1)>' not in the cited text"
    out = render.answer_html(answer, turn=1)
    reason = re.search(r'<span class="flag">unsupported</span><span class="flag-reason">(.*?)</span>', out)
    assert reason and html.unescape(reason.group(1)) == answer.sentences[1].unsupported_reason
    _no_live_markup(out)
    answer.sentences[1].unsupported_reason = None  # no reason given: no empty reason element
    assert "flag-reason" not in render.answer_html(answer, turn=1)


def test_abstained_answer_has_no_chips():
    answer = Answer(question="q", answer="The documents don't contain an answer to this.", abstained=True)
    out = render.answer_html(answer, turn=1)
    assert "cite-chip" not in out and 'class="abstain"' in out


def test_passage_highlight_is_exactly_the_cited_span_and_escaped():
    doc = _doc()
    sentence = '<img src=x onerror="window.__xss=2">'
    start = doc.text.index(sentence)
    out = render.passage_html(doc, start, start + len(sentence))
    _no_live_markup(out)
    marked = re.search(r'<mark class="cited">(.*?)</mark>', out, re.S).group(1)
    assert html.unescape(marked) == sentence


def test_passage_context_is_cut_at_word_boundaries():
    words = " ".join(f"word{i}" for i in range(400))
    doc = _doc(words, "/x/long.txt")
    start = words.index("word200")
    out = render.passage_html(doc, start, start + len("word200"), context=50)
    assert out.startswith("… word") and out.endswith(" …")
    assert re.search(r"word\d+ ?<mark", out)


def test_sources_section_cards_are_escaped_and_first_is_selected():
    doc = _doc()
    answer = _answer(doc, "The launch site is Sohae.")
    out = render.sources_section(answer, 2, {doc.source: doc}.get)
    _no_live_markup(out)
    assert 'class="cite-card selected" id="cite-2-1"' in out
    assert f'data-start="{answer.citations[0].start}"' in out
    assert "chars " in out and "score 0.800" in out
    assert "fused 0.0300" in out  # retrieval scores are in the markup; CSS shows them when asked
    assert "Q2: Where is &lt;the&gt; launch site?" in out


def test_sources_card_falls_back_to_the_quote_when_the_document_is_gone():
    doc = _doc()
    answer = _answer(doc, "The launch site is Sohae.")
    out = render.sources_section(answer, 1, lambda source: None)
    assert '<mark class="cited">The launch site is Sohae.</mark>' in out


def test_page_is_shown_for_pdf_citations():
    citation = Citation(1, "/x/report.pdf", "c", 10, 20, "0123456789", 0.5, page=3)
    assert render.location(citation) == "page 3 · chars 10–20"


def test_sources_panel_activates_the_latest_turn():
    panel = render.sources_panel(['<section class="turn" data-turn="1">a</section>',
                                  '<section class="turn" data-turn="2">b</section>'])
    assert panel.count("turn active") == 1
    assert '<section class="turn active" data-turn="2">' in panel
    assert render.sources_panel([]) == render.EMPTY_SOURCES


@pytest.mark.parametrize("text", ["", "partial answer <b>x</b> [1"])
def test_streaming_html_is_escaped(text):
    out = render.streaming_html(text)
    assert "<b>" not in out


def test_uncited_answer_is_called_unverified_not_unanswerable():
    doc = _doc()
    answer = _answer(doc, "The launch site is Sohae.")
    answer.citations, answer.answer = [], "It is on the moon."
    out = render.sources_section(answer, 1, {doc.source: doc}.get)
    assert "cites no passage" in out and '<details class="retrieved" open>' in out
    answer.abstained = True
    assert "don't answer this question" in render.sources_section(answer, 1, {doc.source: doc}.get)


def test_quotes_are_encoded_once():
    assert html.unescape(render.escape("Kim's \"deal\"")) == "Kim's \"deal\""


def test_short_answer_is_bold_above_the_cited_passage_and_escaped():
    doc = _doc()
    answer = _answer(doc, "<script>window.__xss=1</script> and")
    start = doc.text.index("<img")
    end = doc.text.index("**bold**") - 1
    answer.short_answer = ShortAnswer(doc.text[start:end], start, end, doc.source)
    out = render.answer_html(answer, turn=1)
    _no_live_markup(out)
    shown = re.search(r'<div class="short-answer"><strong>(.*?)</strong></div>', out)
    assert shown is not None and out.index("short-answer") < out.index("answer-text")
    assert html.unescape(shown.group(1)) == doc.text[start:end]
    answer.short_answer = None
    assert "short-answer" not in render.answer_html(answer, turn=1)


def test_passage_context_never_shows_part_of_a_heading_or_inline_html_tags():
    """The context window may start inside a heading line ("## ASGI Servers { #asgi-servers }"): the heading is
    shown whole, without its anchor, never as a stray "}"; inline HTML of prose shows its text only."""
    text = ("Intro.\n\n## ASGI Servers { #asgi-servers }\n\nLet's go deeper.\n\n"
            'FastAPI uses a standard called <abbr title="Asynchronous Server Gateway Interface">ASGI</abbr>.\n')
    doc = _doc(text, "/docs/manually.md")
    start = text.index("FastAPI uses")
    end = text.index("</abbr>.") + len("</abbr>.")
    out = render.passage_html(doc, start, end, context=len("Servers { #asgi-servers }\n\nLet's go deeper.\n\n"))
    assert out.startswith('… <strong class="heading">ASGI Servers')
    assert "}" not in out and "#asgi" not in out and "abbr" not in out
    assert '<mark class="cited">FastAPI uses a standard called ASGI.</mark>' in out


def test_passage_context_never_cuts_a_link_or_shortcode_in_half():
    """The context window is cut at a space, and shortcodes and links hold spaces: a bound inside one moves to its
    edge, so the passage never shows "term_id="cgroup" >}}" or "](/docs/...)" raw."""
    text = ("Containers share the node. The kernel feature behind limits is "
            '{{< glossary_tooltip text="cgroup" term_id="cgroup" >}}, and the kubelet writes its limits there. '
            "Read [the resource management page](/docs/concepts/configuration/manage-resources/) next.\n")
    doc = _doc(text, "/docs/limits.md")
    start = text.index("and the kubelet")
    end = text.index("there.") + len("there.")
    for context in range(10, 80, 3):
        out = render.passage_html(doc, start, end, context=context)
        assert "}}" not in out and "term_id" not in out and "](" not in out and "/docs/" not in out, (context, out)
        assert '<mark class="cited">and the kubelet writes its limits there.</mark>' in out
