"""Bad input in the new formats: each unreadable file gets one clear line naming it and is skipped; what is already
indexed is never lost (a file that turns bad keeps its last good version)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rag.errors import LoadError
from rag.ingest.loaders import load
from tests.support import format_files as ff


def _bytes(writer, suffix: str, *args, **kwargs) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        writer(path, *args, **kwargs)
        return path.read_bytes()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    plain = _bytes(ff.write_scanned_pdf, ".pdf", [("text", ["Secret quarterly numbers."])])
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(plain)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="hunter2", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


XLSX = _bytes(ff.write_xlsx, ".xlsx", {"S": [["Item", "Cost"], ["Rope", 12]]})
PPTX = _bytes(ff.write_pptx, ".pptx", [("Title", ["A bullet about the quay."])])
EPUB = _bytes(ff.write_epub, ".epub", "Book", [("One", ["A chapter about the reef."])])
ODT = _bytes(ff.write_odt, ".odt", {"Head": ["A paragraph about the dune."]})
DOCX = _bytes(ff.write_docx_table, ".docx", "Intro.", [["A", "B", "C"], ["1", "2", "3"]])

# name, content, what the one line says
BAD = [
    ("truncated.xlsx", XLSX[:300], "is not a readable .xlsx file"),
    ("truncated.pptx", PPTX[:400], "is not a readable .pptx file"),
    ("truncated.epub", EPUB[:200], "is not a readable .epub file"),
    ("truncated.odt", ODT[:250], "is not a readable .odt file"),
    ("docx_named.xlsx", DOCX, "is not a .xlsx file"),
    ("text_named.pptx", b"just some words, no archive", "is not a readable .pptx file"),
    ("not_an_image.png", b"this is text, not a PNG", "is not a readable image"),
    ("truncated.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "is not a readable image"),
    ("encrypted.pdf", _encrypted_pdf(), "encrypted"),
    ("not_mail.eml", b"\x00\x01 binary junk that is no message", "is not an e-mail message"),
    ("latin1.csv", "Name,Town\nRené,Tromsø\n".encode("latin-1"), "is not valid UTF-8"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_file_is_one_clear_error(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and reason in message
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize(("name", "base", "member"), [("bomb.xlsx", XLSX, "xl/bomb.xml"),
                                                      ("bomb.epub", EPUB, "EPUB/bomb.xhtml"),
                                                      ("bomb.pptx", PPTX, "ppt/bomb.xml"),
                                                      ("bomb.odt", ODT, "bomb.xml")])
def test_a_zip_bomb_inside_is_refused_before_unpacking(tmp_path, name, base, member):
    path = ff.zip_bomb(tmp_path / name, base, member, megabytes=300)
    assert path.stat().st_size < 2 * 2**20
    with pytest.raises(LoadError, match=r"unpacks to 3\d\d MiB from .*, over the 50 MiB limit "
                                        r"\(RAG_MAX_EXPANDED_MB; zip bomb\?\); not loaded"):
        load(path)


def test_bad_files_never_cost_what_is_indexed(tmp_path, make_settings, fake_embedder):
    from rag.ingest.indexer import index_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    good = {"sheet.xlsx": XLSX, "deck.pptx": PPTX, "book.epub": EPUB, "text.odt": ODT}
    for name, data in good.items():
        (docs / name).write_bytes(data)
    settings = make_settings()
    first = index_paths([docs], settings, embedder=fake_embedder)
    assert len(first.added) == 4 and not first.warnings
    before = json.loads((Path(settings.index_dir) / "current" / "manifest.json").read_text())["documents"]

    for name, content, _reason in BAD:
        (docs / name).write_bytes(content)
    (docs / "sheet.xlsx").write_bytes(XLSX[:300])  # a good file turns bad: its last good version stays
    ff.zip_bomb(docs / "bomb.epub", EPUB, "EPUB/bomb.xhtml", megabytes=300)
    report = index_paths([docs], settings, embedder=fake_embedder)
    lines = sorted(str(w) for w in report.warnings)
    assert len(lines) == len(BAD) + 2 and all("\n" not in line for line in lines)
    assert {Path(line.split(": ", 1)[0]).name for line in lines} == {b[0] for b in BAD} | {"sheet.xlsx", "bomb.epub"}
    after = json.loads((Path(settings.index_dir) / "current" / "manifest.json").read_text())["documents"]
    assert after == before
