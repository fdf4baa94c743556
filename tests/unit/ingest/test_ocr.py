"""OCR with the real Tesseract: an image and a PDF page without a text layer are read, a question about a sentence
printed there is answered with a citation of that page (marked OCR), and without Tesseract each such file gets
one line while the rest is indexed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.ingest.loaders import load
from tests.support import format_files as ff

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract is not installed (make installs tesseract-ocr as root)")
MISSING = "/nonexistent/bin/tesseract"
VAULT = ["The vault code is kept by Ingrid Solberg.", "She changes it every Monday morning."]
TIDE = ["The harbour master noted that the tide", "turns at noon on Fridays in winter."]


@pytest.fixture
def scans(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    ff.write_image(folder / "vault.png", VAULT)
    ff.write_scanned_pdf(folder / "log.pdf", [("text", ["Page one is typed: the gulls nest on the north cliff."]),
                                               ("scan", TIDE)])
    (folder / "mill.txt").write_text("Tidal mills once ground grain along the estuary.\n", encoding="utf-8")
    return folder


@needs_tesseract
def test_an_image_is_read_as_page_one(scans):
    doc = load(scans / "vault.png")
    assert doc.text == "The vault code is kept by Ingrid Solberg. She changes it every Monday morning."
    assert doc.pages == ((0, 1),) and doc.ocr_pages == (1,)
    assert doc.ocr_at(0)


@needs_tesseract
def test_a_pdf_page_without_text_layer_is_read_by_ocr(scans):
    doc = load(scans / "log.pdf")
    scanned = doc.text.index("The harbour master")
    assert doc.text[scanned:] == "The harbour master noted that the tide turns at noon on Fridays in winter."
    assert doc.page_at(scanned) == 2 and doc.ocr_pages == (2,)
    assert doc.ocr_at(scanned) and not doc.ocr_at(doc.text.index("gulls"))


@needs_tesseract
def test_cited_answers_point_to_the_scanned_page(scans, make_settings, fake_embedder):
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    settings = make_settings()
    report = index_paths([scans], settings, embedder=fake_embedder)
    assert len(report.added) == 3 and not report.warnings
    services = build_services(settings, embedder=fake_embedder)

    answer = services.assistant.ask("When does the tide turn on Fridays?").to_json()
    citation = next(c for c in answer["citations"] if "noon" in c["quote"])
    assert Path(citation["source"]).name == "log.pdf" and citation["page"] == 2 and citation["ocr"] is True
    assert services.view().document(citation["source"]).text[citation["start"]:citation["end"]] == citation["quote"]

    answer = services.assistant.ask("Who keeps the vault code?").to_json()
    citation = next(c for c in answer["citations"] if "Ingrid Solberg" in c["quote"])
    assert Path(citation["source"]).name == "vault.png" and citation["page"] == 1 and citation["ocr"] is True

    answer = services.assistant.ask("Where do the gulls nest?").to_json()
    citation = next(c for c in answer["citations"] if "north cliff" in c["quote"])
    assert citation["page"] == 1 and "ocr" not in citation  # the typed page is not OCR


@needs_tesseract
@pytest.mark.slow
def test_rag_ask_json_marks_ocr_citations(scans, tmp_path, monkeypatch, capsys):
    from rag.cli import main

    monkeypatch.chdir(tmp_path)
    index_dir = tmp_path / "index"
    main(["index", str(scans), "--index-dir", str(index_dir), "--quiet"])
    assert "3 added" in capsys.readouterr().out
    main(["ask", "Who keeps the vault code?", "--index-dir", str(index_dir), "--json"])
    answer = json.loads(capsys.readouterr().out)
    citation = next(c for c in answer["citations"] if "Ingrid Solberg" in c["quote"])
    assert citation["ocr"] is True and citation["page"] == 1
    main(["ask", "Who keeps the vault code?", "--index-dir", str(index_dir)])
    assert "vault.png (page 1, OCR, chars " in capsys.readouterr().out


def test_without_tesseract_scans_get_one_line_and_the_rest_is_indexed(scans, tmp_path, monkeypatch, capsys):
    from rag.cli import main

    ff.write_scanned_pdf(scans / "scan_only.pdf", [("scan", TIDE)])
    monkeypatch.setenv("RAG_OCR_COMMAND", MISSING)
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash:256")
    monkeypatch.chdir(tmp_path)
    main(["index", str(scans), "--index-dir", str(tmp_path / "index"), "--quiet"])
    out = capsys.readouterr()
    skipped = [line for line in out.err.splitlines() if line.startswith("skipped ")]
    assert sorted(skipped) == sorted([
        f"skipped {scans / 'scan_only.pdf'}: is a scanned PDF; install tesseract-ocr and tesseract-ocr-eng (or set "
        "RAG_OCR_COMMAND) to read it",
        f"skipped {scans / 'vault.png'}: is a scanned page/image; install tesseract-ocr and tesseract-ocr-eng (or "
        "set RAG_OCR_COMMAND) to read it",
    ])
    assert f"note: {scans / 'log.pdf'}: scanned page(s) 2 not read; install tesseract-ocr" in out.err
    assert "2 added, 0 changed, 0 removed" in out.out and "Traceback" not in out.err
    manifest = json.loads((tmp_path / "index" / "current" / "manifest.json").read_text())
    assert sorted(Path(s).name for s in manifest["documents"]) == ["log.pdf", "mill.txt"]


def test_the_chat_marks_an_ocr_citation():
    from rag.types import Citation
    from ui.render import citation_card

    ocr = Citation(1, "/d/vault.png", "c1", 0, 5, "The v", 0.9, page=1, ocr=True)
    typed = Citation(2, "/d/log.pdf", "c2", 0, 5, "Page ", 0.9, page=1)
    assert '<span class="ocr"' in citation_card(ocr, None, 1, True) and ">OCR<" in citation_card(ocr, None, 1, True)
    assert "OCR" not in citation_card(typed, None, 1, True)
