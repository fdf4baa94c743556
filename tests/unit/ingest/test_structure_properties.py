"""Property: on any Markdown made of headings, paragraphs, lists, tables, code fences, front matter, shortcodes and
comments, every unit and chunk is a verbatim, trimmed span of the text, units are sorted and disjoint, and no
unit holds markup that is not answer text."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import load

WORDS = st.sampled_from(["alpha", "beta", "`code`", "**bold**", "_em_", "gamma.", "Delta", "e.g.", "x=1", "3.5",
                         "[link](/a/b)", "end.", "why?", "ünï", "naïve", "{{< tip text=\"t\" >}}"])
FORBIDDEN = ("Head", "{#", "{{< note", "{{% ", "<!--", "title:", "```", "FENCE")


def sentence():
    return st.lists(WORDS, min_size=1, max_size=12).map(" ".join)


def paragraph():
    return st.lists(sentence(), min_size=1, max_size=4).map("\n".join)


@st.composite
def heading(draw):
    level = draw(st.integers(1, 4))
    anchor = draw(st.sampled_from(["", " {#anc-x}", " { #anc-y }"]))
    return "#" * level + f" Head{draw(st.integers(0, 99))}{anchor}"


@st.composite
def bullet_list(draw):
    marker = draw(st.sampled_from(["-", "*", "1."]))
    items = []
    for _ in range(draw(st.integers(1, 4))):
        item = f"{marker} {draw(sentence())}"
        if draw(st.booleans()):
            item += f"\n  {draw(sentence())}"
        if draw(st.booleans()):
            item += f"\n  - {draw(sentence())}"
        items.append(item)
    return "\n".join(items)


@st.composite
def table(draw):
    rows = [f"| {draw(sentence())} | {draw(sentence())} |" for _ in range(draw(st.integers(1, 3)))]
    return "| A | B |\n|---|---|\n" + "\n".join(rows)


@st.composite
def fence(draw):
    lines = draw(st.lists(st.sampled_from(["x = 1", "  indented()", "", "# comment", "print('FENCE')"]),
                          min_size=1, max_size=5))
    return "```python\n" + "\n".join(lines) + "\n```"


BLOCKS = st.one_of(
    paragraph(), heading(), bullet_list(), table(), fence(),
    st.just("{{< note >}}"), st.just('{{% heading "whatsnext" %}}'), st.just("<!-- body -->"), st.just("---"),
    paragraph().map(lambda p: "{{< note >}}\n" + p + "\n{{< /note >}}"),
    st.just("[ref]: https://example.com/x"),
    paragraph().map(lambda p: "> " + p.replace("\n", "\n> ")),
)


@st.composite
def markdown(draw):
    front = draw(st.sampled_from(["", "---\ntitle: FM Title\nweight: 3\n---\n\n"]))
    blocks = draw(st.lists(BLOCKS, min_size=1, max_size=10))
    separators = draw(st.lists(st.sampled_from(["\n\n", "\n\n\n", "\n"]), min_size=len(blocks),
                               max_size=len(blocks)))
    return front + "".join(b + s for b, s in zip(blocks, separators))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown())
def test_units_and_chunks_are_verbatim_spans(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.md"
        path.write_text(text, encoding="utf-8")
        doc = load(path)
    assert doc.text == text
    previous = 0
    for start, end, kind in doc.units:
        span = doc.text[start:end]
        assert previous <= start < end <= len(text) and span == span.strip()
        previous = end
        assert kind in {"sentence", "list_item", "table_row", "code", "text"}
        if kind != "text":
            assert not any(bad in span for bad in FORBIDDEN if not (kind == "code" and bad == "FENCE")), span
            assert not span.startswith(("- ", "* ", "1. ", ">"))  # nor a list or blockquote marker
    offsets = [o for o, _ in doc.sections]
    assert offsets == sorted(set(offsets)) and all(0 <= o <= len(text) for o in offsets)
    for chunk in chunk_document(doc, 200, 30):
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.unit_kinds) == len(chunk.sentences) > 0
        assert all(a < chunk.end and b > chunk.start for a, b in chunk.sentences)
