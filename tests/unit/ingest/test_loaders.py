"""Loaders: every supported format gives text, and every kind of bad input gives one clear LoadError."""

from __future__ import annotations

import pytest

from rag.errors import LoadError
from rag.ingest.loaders import iter_files, load


def make_pdf(path, pages: list[str]) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for text in pages:
        if text:
            pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()


def test_txt_is_loaded_with_universal_newlines(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("first line\r\nsecond “line”\r\n".encode())
    doc = load(path)
    assert doc.text == path.read_text(encoding="utf-8")  # what open().read() gives
    assert doc.source == str(path.resolve())
    assert len(doc.sha256) == 64


def test_utf8_bom_and_utf16_bom(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeffhello".encode())
    (tmp_path / "u16.txt").write_bytes("hello wide".encode("utf-16"))
    assert load(tmp_path / "bom.txt").text == "hello"
    assert load(tmp_path / "u16.txt").text == "hello wide"


def test_markdown_html_docx_pdf(tmp_path):
    (tmp_path / "n.md").write_text("# Title\n\nSome *markdown* text.", encoding="utf-8")
    (tmp_path / "p.html").write_text(
        "<html><head><title>t</title><script>alert(1)</script></head>"
        "<body><h1>Heading</h1><p>Paragraph one.</p><style>p{}</style></body></html>",
        encoding="utf-8",
    )
    import docx

    document = docx.Document()
    document.add_paragraph("Docx paragraph about Kyoto.")
    document.save(str(tmp_path / "w.docx"))
    make_pdf(tmp_path / "r.pdf", ["Page one text.", "Page two text."])

    assert "*markdown*" in load(tmp_path / "n.md").text
    html = load(tmp_path / "p.html").text
    assert "Heading" in html and "Paragraph one." in html and "alert" not in html
    assert load(tmp_path / "w.docx").text == "Docx paragraph about Kyoto."
    pdf = load(tmp_path / "r.pdf")
    assert "Page one text." in pdf.text and "Page two text." in pdf.text
    assert pdf.page_at(pdf.text.index("Page two")) == 2
    assert pdf.page_at(0) == 1


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "file is empty"),
        ("blank.md", b"   \n\n  ", "file is empty"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("latin.txt", "caf\xe9 cr\xe8me".encode("latin-1"), "not valid UTF-8"),
        ("table.xyz", b"PK\x03\x04 not really", "unsupported file type '.xyz'"),
        ("table.xlsx", b"PK\x03\x04 not really", "not a readable .xlsx"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("broken.docx", b"not a zip", "not a readable .docx"),
    ],
)
def test_bad_inputs_raise_one_clear_error(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        load(path)
    assert reason in str(err.value)
    assert str(path) in str(err.value)


def test_pdf_without_text_layer(tmp_path):
    make_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(LoadError, match="no text layer"):
        load(tmp_path / "scan.pdf")


def test_iter_files_recurses_skips_hidden_and_reports_missing(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b", encoding="utf-8")
    (tmp_path / "a.md").write_text("a", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("h", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("c", encoding="utf-8")
    items = list(iter_files([tmp_path, tmp_path / "missing"]))
    files = sorted(p.name for p in items if not isinstance(p, LoadError))
    errors = [e for e in items if isinstance(e, LoadError)]
    assert files == ["a.md", "b.txt"]
    assert len(errors) == 1 and "no such file" in errors[0].reason
