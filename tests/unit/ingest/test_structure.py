"""Answer units and section paths read from each format's structure (rag.ingest.structure and its readers)."""

from __future__ import annotations

import pytest

from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import load
from rag.ingest.markup import plain_text

GUIDE = """---
title: Guide
weight: 10
---

<!-- overview -->

Intro paragraph wrapped
over two lines. Second sentence here.

## Configuration {#config}

{{< note >}}
Notes are shown in a box.
{{< /note >}}

Set these options:

* `timeout` - Sets the maximum time a request may take.
  Defaults to `30s`.
* `retries` - How often to retry.
  - nested item one
  - nested item two

### Timeouts { #timeouts }

| Option | Default |
|--------|---------|
| `timeout` | 30s |
| `idle` | 5m |

```yaml
timeout: 30s
```

[ref]: https://example.com/ref

## {{% heading "whatsnext" %}}

---

Last words.
"""


def units_of(doc):
    return [(doc.text[a:b], kind) for a, b, kind in doc.units]


def section_of(doc, needle):
    return doc.section_at(doc.text.index(needle))


def test_markdown_units_and_sections(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(GUIDE, encoding="utf-8")
    doc = load(path)
    assert doc.text == GUIDE  # offsets refer to the file itself
    units = units_of(doc)
    assert units == [
        ("Intro paragraph wrapped\nover two lines.", "sentence"),
        ("Second sentence here.", "sentence"),
        ("Notes are shown in a box.", "sentence"),
        ("Set these options:", "sentence"),
        ("`timeout` - Sets the maximum time a request may take.\n  Defaults to `30s`.", "list_item"),
        ("`retries` - How often to retry.", "list_item"),
        ("nested item one", "list_item"),
        ("nested item two", "list_item"),
        ("Option | Default", "table_row"),
        ("`timeout` | 30s", "table_row"),
        ("`idle` | 5m", "table_row"),
        ("timeout: 30s", "code"),
        ("Last words.", "sentence"),
    ]
    assert section_of(doc, "Intro paragraph") == "Guide"
    assert section_of(doc, "`timeout` - Sets") == "Guide > Configuration"
    assert section_of(doc, "`idle`") == "Guide > Configuration > Timeouts"
    assert section_of(doc, "Last words") == "Guide > whatsnext"
    for text, _ in units:  # never markup that is not answer text
        for bad in ("{#", "{ #", "<!--", "{{<", "{{%", "---", "[ref]", "```", "* "):
            assert not text.startswith(bad) and bad not in text.replace("- nested", "")


def test_chunks_carry_unit_kinds_and_sections(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(GUIDE * 3, encoding="utf-8")
    doc = load(path)
    chunks = chunk_document(doc, 300, 40)
    assert len(chunks) > 3
    for chunk in chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.unit_kinds) == len(chunk.sentences) > 0
        assert all((a, b, k) in doc.units for (a, b), k in zip(chunk.sentences, chunk.unit_kinds))
        assert chunk.section is not None and chunk.section.startswith("Guide")
    assert {"list_item", "table_row", "code", "sentence"} <= {k for c in chunks for k in c.unit_kinds}


def test_a_shortcode_that_shows_text_stays_inside_its_sentence(tmp_path):
    path = tmp_path / "tooltip.md"
    path.write_text('# T\n\nObjects live in the\n{{< glossary_tooltip text="API Group" term_id="g" >}}\n'
                    "which is used for things.\n\n{{< note >}}\nA note.\n{{< /note >}}\n", encoding="utf-8")
    assert units_of(load(path)) == [
        ('Objects live in the\n{{< glossary_tooltip text="API Group" term_id="g" >}}\nwhich is used for things.',
         "sentence"),
        ("A note.", "sentence"),
    ]


MKDOCS = """# Query parameters { #query-parameters }

Other parameters are read from the query:

{* ../../docs_src/query_params/tutorial001_py310.py hl[9] *}

The query goes after the `?` in a URL, separated by `&` characters. Next sentence.

/// tip | Good to know

Use `None` as the default to make it optional.

///

!!! note "Be careful"
    The default timeout is `30` seconds.

    - it can be changed

--8<-- "snippets/footer.md"
{! includes/links.md !}
Last words.
"""


def loaded(tmp_path, name: str, text: str):
    """``text`` written to ``name`` and loaded; the loaded text is the file's, unchanged."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    doc = load(path)
    assert doc.text == text
    return doc


def test_mkdocs_blocks_includes_and_admonitions_are_markup_not_text(tmp_path):
    """MkDocs docs (Material, PyMdown): include lines and block fences are never units, an admonition's indented
    body is text (not a code block), and a sentence is not cut at a "?" inside an inline code span."""
    doc = loaded(tmp_path, "query.md", MKDOCS)
    assert units_of(doc) == [
        ("Other parameters are read from the query:", "sentence"),
        ("The query goes after the `?` in a URL, separated by `&` characters.", "sentence"),
        ("Next sentence.", "sentence"),
        ("Use `None` as the default to make it optional.", "sentence"),
        ("The default timeout is `30` seconds.", "sentence"),
        ("it can be changed", "list_item"),
        ("Last words.", "sentence"),
    ]
    assert section_of(doc, "The default timeout") == "Query parameters"


MDX = """---
title: Install
---
import Tabs from '@theme/Tabs';
import TabItem from '@theme/TabItem';

# Install

Pick your package manager:

<Tabs>
<TabItem value="npm" label="npm">

Run the installer with npm.

</TabItem>
</Tabs>

:::tip
The installer needs Node 18 or later.
:::
"""


def test_mdx_pages_are_markdown_without_their_module_and_jsx_lines(tmp_path):
    doc = loaded(tmp_path, "install.mdx", MDX)
    assert units_of(doc) == [
        ("Pick your package manager:", "sentence"),
        ("Run the installer with npm.", "sentence"),
        ("The installer needs Node 18 or later.", "sentence"),
    ]
    assert section_of(doc, "Run the installer") == "Install"


def test_long_list_item_and_long_code_are_cut(tmp_path):
    sentence = "This sentence is part of a very long list item that goes on. "
    code = "\n".join(f"line_{i} = {i}" for i in range(200))
    path = tmp_path / "long.md"
    path.write_text(f"# Long\n\n- {sentence * 20}\n- short item\n\n```\n{code}\n```\n", encoding="utf-8")
    doc = load(path)
    kinds = [k for _, k in units_of(doc)]
    assert kinds.count("sentence") == 20 and kinds.count("list_item") == 1
    code_units = [t for t, k in units_of(doc) if k == "code"]
    assert len(code_units) > 1 and "\n".join(code_units) == code
    assert all(len(t) <= 800 for t in code_units)


def test_markdown_without_any_unit_stays_searchable(tmp_path):
    path = tmp_path / "only-headings.md"
    path.write_text("---\ntitle: Empty\n---\n\n# Only a heading\n", encoding="utf-8")
    doc = load(path)
    assert doc.units and {k for _, k in units_of(doc)} == {"text"}
    assert chunk_document(doc, 800, 100)


def test_html_units_sections_and_unchanged_text(tmp_path):
    from bs4 import BeautifulSoup

    from rag.ingest.html import page_text

    page = """<html><head><title>Manual</title><style>p{}</style></head><body>
    <h1>Setup</h1><p>Install it with <code>pip</code> first.
    Then run it.</p>
    <ul><li>Option <b>a</b> sets the speed.<ul><li>inner item</li></ul></li><li>Option b.</li></ul>
    <h2>Tables</h2><table><tr><th>Key</th><th>Value</th></tr><tr><td>port</td><td>8080</td></tr></table>
    <pre>run --fast
run --slow</pre><!-- hidden --><script>alert(1)</script></body></html>"""
    path = tmp_path / "manual.html"
    path.write_text(page, encoding="utf-8")
    doc = load(path)
    soup = BeautifulSoup(page, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    assert doc.text == page_text(soup)  # the text (every offset) is what it always was
    units = units_of(doc)
    assert ("Install it with\npip\nfirst.", "sentence") in units
    assert ("Then run it.", "sentence") in units
    assert ("Option\na\nsets the speed.", "list_item") in units
    assert ("inner item", "list_item") in units and ("Option b.", "list_item") in units
    assert ("Key\nValue", "table_row") in units and ("port\n8080", "table_row") in units
    assert ("run --fast\nrun --slow", "code") in units
    assert all("Setup" not in t and "Tables" not in t for t, _ in units)
    assert section_of(doc, "Install") == "Manual > Setup"
    assert section_of(doc, "port") == "Manual > Setup > Tables"


def test_docx_heading_styles_lists_and_table_rows(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Handbook", level=0)
    document.add_heading("Installing", level=1)
    document.add_paragraph("Run the installer. It takes a minute.")
    document.add_paragraph("Pick the default folder", style="List Bullet")
    document.add_heading("Limits", level=2)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Users", "50"
    table.cell(1, 0).text, table.cell(1, 1).text = "Disk", "10 GB"
    document.add_heading("Support", level=1)
    document.add_paragraph("Write to the help desk.")
    path = tmp_path / "handbook.docx"
    document.save(path)
    doc = load(path)
    assert doc.text.splitlines()[:3] == ["Handbook", "Installing", "Run the installer. It takes a minute."]
    units = units_of(doc)
    assert units == [
        ("Run the installer.", "sentence"),
        ("It takes a minute.", "sentence"),
        ("Pick the default folder", "list_item"),
        ("Write to the help desk.", "sentence"),
        ("Users: 50", "table_row"),
        ("Disk: 10 GB", "table_row"),
    ]
    assert section_of(doc, "Run the installer") == "Handbook > Installing"
    assert section_of(doc, "Write to") == "Handbook > Support"
    assert section_of(doc, "Disk: 10 GB") == "Handbook > Installing > Limits"  # where the table stands


def _pdf_with_outline(path, with_outline: bool):
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for number, (chapter, body) in enumerate([("Chapter One", "The first chapter talks about apples."),
                                              ("Chapter Two", "The second chapter talks about pears.")]):
        pdf.drawString(72, 720, chapter)
        pdf.drawString(72, 700, body)
        if with_outline:
            pdf.bookmarkPage(f"c{number}")
            pdf.addOutlineEntry(chapter, f"c{number}", level=0)
            if number == 1:
                pdf.bookmarkPage("s1")
                pdf.addOutlineEntry("Details", "s1", level=1)
        pdf.showPage()
    pdf.save()


@pytest.mark.parametrize("with_outline", [True, False])
def test_pdf_outline_gives_sections(tmp_path, with_outline):
    path = tmp_path / "book.pdf"
    _pdf_with_outline(path, with_outline)
    doc = load(path)
    apples, pears = doc.text.index("apples"), doc.text.index("pears")
    assert {k for _, _, k in doc.units} == {"text"}
    if with_outline:
        assert doc.section_at(apples) == "Chapter One"
        # "Details" is not in the text: it starts with its page, where the deeper entry wins
        assert doc.section_at(pears) == doc.section_at(doc.text.index("Chapter Two")) == "Chapter Two > Details"
    else:
        assert doc.sections == () and doc.section_at(pears) is None


def test_markdown_parser_failure_is_indexed_as_plain_text_with_a_note(tmp_path, monkeypatch):
    import rag.ingest.markdown as markdown

    def broken(text):
        raise RecursionError("too deep")

    monkeypatch.setattr(markdown, "markdown_structure", broken)
    path = tmp_path / "deep.md"
    path.write_text("# Title\n\nSome text. More text.\n", encoding="utf-8")
    doc = load(path)
    assert doc.note and "indexed as plain text" in doc.note and "\n" not in doc.note
    assert {k for _, _, k in doc.units} == {"text"} and chunk_document(doc, 800, 100)


def test_plain_text_keeps_pysbd_sentences(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("First line. Second one.\nThird.\n", encoding="utf-8")
    assert units_of(load(path)) == [("First line.", "text"), ("Second one.", "text"), ("Third.", "text")]


@pytest.mark.parametrize("raw, shown", [
    ("Configuration {#config}", "Configuration"),
    ("Use `kubectl` **now**", "Use kubectl now"),
    ('The {{< glossary_tooltip text="API Group" term_id="api-group" >}} field', "The API Group field"),
    ("See [the docs](https://x.y/z) <!-- note -->", "See the docs"),
    ("snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"),
    ('A standard called <abbr title="Asynchronous Server Gateway Interface">ASGI</abbr>.', "A standard called ASGI."),
    ('Data <dfn title="converting the string">"parsing"</dfn> and <kbd>Ctrl</kbd>+C', 'Data "parsing" and Ctrl+C'),
    ("A List<String> stays", "A List<String> stays"),
])
def test_plain_text_of_inline_markup(raw, shown):
    assert plain_text(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("* [Kestrel](https://example.org/k): A **Java** queue.", "Kestrel: A Java queue."),
        ("- `max_age` - Sets a _maximum_ time. Defaults to `600`.",
         "`max_age` - Sets a maximum time. Defaults to `600`."),
        ('It speaks <abbr title="Advanced Message Queuing Protocol">AMQP</abbr>.',
         "It speaks AMQP (Advanced Message Queuing Protocol)."),
        ('<abbr title="AMQP">amqp</abbr> and <abbr>MQTT</abbr>', "amqp and MQTT"),  # a title that only repeats it
        ("| `retries` | 6 | the **default** |", "`retries` | 6 | the default"),
        ('The {{< glossary_tooltip text="kubelet" term_id="kubelet" >}} runs\n  every *five* minutes.',
         "The kubelet runs every five minutes."),
    ],
)
def test_the_text_of_an_answer_is_what_the_page_shows(raw, shown):
    from rag.ingest.markup import answer_text

    assert answer_text(raw) == shown
