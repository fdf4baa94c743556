"""Every new format, end to end: a generated file is indexed (beside a distractor) and a question about it gets a
cited answer whose quote is the loaded text at [start:end], with the page/section the format gives.

The hashing embedder is used where the question shares its words with the answer; two tests use the real model."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.loaders import load, load_all
from tests.support import format_files as ff

DISTRACTOR = ("Tidal mills once ground grain along the estuary. The miller kept his records in a ledger. "
              "Flooding in spring often stopped the wheel for weeks.\n")


def build(tmp_path, make_settings, embedder, *files: Path):
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    (tmp_path / "docs" / "mill.txt").write_text(DISTRACTOR, encoding="utf-8")
    # These tests check what each format's reader gives the answerer; with the lexical hashing embedder the
    # abstention model (fitted on the real model's signals) is not what is under test, so it never refuses here.
    settings = make_settings(abstain_threshold=0.0)
    report = index_paths([tmp_path / "docs"], settings, embedder=embedder)
    assert not report.warnings, report.warnings
    assert sorted(Path(s).name for s in report.added) == sorted(["mill.txt", *(f.name for f in files)])
    return build_services(settings, embedder=embedder)


def cited(services, question: str, name: str, contains: str):
    """Ask; a citation holding ``contains`` is from ``name`` and quotes the stored text verbatim (the answerer may
    cite a second sentence or row beside it)."""
    answer = services.assistant.ask(question)
    assert not answer.abstained, answer.answer
    citation = next((c for c in answer.citations if contains in c.quote), None)
    assert citation is not None, answer.to_json()
    assert Path(citation.source).name == name, answer.to_json()
    doc = services.view().document(citation.source)
    assert doc.text[citation.start:citation.end] == citation.quote
    return answer, citation, doc


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def test_rst_sections_and_cited_answer(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_rst(docs / "harbour.rst", "Harbour Guide", {
        "Pier": ["The pier is 300 metres long and was rebuilt in 1994.", "Boats dock there at dawn."],
        "Lamps": ["The harbour lamp burns whale oil every night."],
    })
    doc = load(path)
    assert "=====" not in doc.text and "Pier" in doc.text  # the parsed text, not the markup
    assert doc.section_at(doc.text.index("The pier")) == "Harbour Guide > Pier"
    assert doc.section_at(doc.text.index("The harbour lamp")) == "Harbour Guide > Lamps"
    services = build(tmp_path, make_settings, fake_embedder, path)
    _, citation, _ = cited(services, "What does the harbour lamp burn?", "harbour.rst", "whale oil")
    assert citation.section == "Harbour Guide > Lamps"


def test_rst_tables_lists_and_no_file_inclusion(tmp_path):
    path = tmp_path / "t.rst"
    path.write_text("Title\n=====\n\n- first item\n- second item\n\n.. include:: /etc/passwd\n\n"
                    ".. list-table::\n   :header-rows: 1\n\n   * - Name\n     - Year\n   * - Ada\n     - 1901\n\n"
                    "::\n\n   code line\n", encoding="utf-8")
    doc = load(path)
    units = {doc.text[a:b]: kind for a, b, kind in doc.units}
    assert units["first item"] == "list_item"
    assert units["Name: Ada; Year: 1901"] == "table_row"
    assert units["code line"] == "code"
    assert "root:" not in doc.text and "include" not in doc.text


def test_pptx_slide_number_is_the_page(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_pptx(docs / "review.pptx", [
        ("Quarterly review", ["Revenue grew 12 percent in the third quarter.", "Costs fell slightly."]),
        ("Expansion plans", ["A new office opens in Lisbon next spring."]),
    ], notes={2: "Remind everyone that the Lisbon lease is signed."},
        table=(2, [["Office", "Staff"], ["Lisbon", "14"], ["Porto", "6"]]))
    doc = load(path)
    assert doc.page_at(doc.text.index("Revenue grew")) == 1
    assert doc.page_at(doc.text.index("Lisbon lease")) == 2
    assert ("Office: Porto; Staff: 6", "table_row") in [(doc.text[a:b], k) for a, b, k in doc.units]
    services = build(tmp_path, make_settings, fake_embedder, path)
    _, citation, _ = cited(services, "When does the new Lisbon office open?", "review.pptx", "Lisbon")
    assert citation.page == 2 and citation.section == "Expansion plans"


def test_csv_rows_are_header_value_pairs(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_csv(docs / "cities.csv", [["City", "Population", "Mayor"], ["Oslo", "709000", "Anne Lind"],
                                             ["Bergen", "286000", "Rune Dahl"], ["Tromso", "77000", "Gunnar Lie"]])
    doc = load(path)
    assert doc.text.splitlines()[1] == "City: Bergen; Population: 286000; Mayor: Rune Dahl"
    assert [k for _, _, k in doc.units] == ["table_row"] * 3
    services = build(tmp_path, make_settings, fake_embedder, path)
    _, citation, _ = cited(services, "Who is the mayor of Bergen?", "cities.csv", "Rune Dahl")
    assert citation.quote == "City: Bergen; Population: 286000; Mayor: Rune Dahl"  # the whole row, one unit


def test_xlsx_sheets_are_sections(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_xlsx(docs / "budget.xlsx", {
        "Costs": [["Item", "Cost", "Supplier"], ["Ropes", 120.0, "Nordtau"], ["Paint", 80, "Farge AS"]],
        "Empty": [],
        "Staff": [["Name", "Role"], ["Ida", "Lighthouse keeper"], ["Per", "Boatman"]],
    })
    doc = load(path)
    assert "Item: Ropes; Cost: 120; Supplier: Nordtau" in doc.text.splitlines()
    assert doc.section_at(doc.text.index("Name: Per")) == "Staff"
    services = build(tmp_path, make_settings, fake_embedder, path)
    _, citation, _ = cited(services, "Which supplier sells the ropes?", "budget.xlsx", "Nordtau")
    assert citation.section == "Costs"


def test_epub_chapters_are_sections(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_epub(docs / "keeper.epub", "The Keeper", [
        ("The Storm", ["The storm hit the island in October.", "Waves rose over the sea wall."]),
        ("The Calm", ["By spring the keeper had repainted the tower red."]),
    ])
    doc = load(path)
    assert doc.section_at(doc.text.index("The storm hit")) == "The Storm"
    assert doc.section_at(doc.text.index("By spring")) == "The Calm"
    services = build(tmp_path, make_settings, fake_embedder, path)
    _, citation, _ = cited(services, "What colour did the keeper repaint the tower?", "keeper.epub", "red")
    assert citation.section == "The Calm"


def test_odt_headings_are_sections(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_odt(docs / "rules.odt", {"Visitors": ["Visitors sign the guest book at the gate."],
                                             "Safety": ["Open flames are forbidden in the lamp room."]},
                        items=["Bring a torch for the stairs.", "Wear boots on the rocks."])
    doc = load(path)
    assert doc.section_at(doc.text.index("Open flames")) == "Safety"
    assert ("Wear boots on the rocks.", "list_item") in [(doc.text[a:b], k) for a, b, k in doc.units]
    services = build(tmp_path, make_settings, fake_embedder, path)
    _, citation, _ = cited(services, "Where are open flames forbidden?", "rules.odt", "lamp room")
    assert citation.section == "Safety"


def test_eml_headers_body_and_attachments(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_eml(docs / "ferry.eml", "Ferry timetable", "Hi Bo,\n\nThe morning ferry leaves the quay at "
                        "7:40 every weekday.\n\nAda\n", {"office.txt": b"The ticket office opens at 7:00 sharp.\n",
                                                        "fares.csv": b"Route,Fare\nOslo-Nesodden,52 kroner\n"})
    docs_found, errors = load_all(path)
    assert not errors
    main, *attachments = docs_found
    assert main.text.startswith("From: Ada Keeper <ada@example.org>\nTo: Bo Lamp <bo@example.org>\n"
                                "Subject: Ferry timetable\nDate: ")
    assert "ticket office" not in main.text
    assert [Path(d.source).name for d in attachments] == ["ferry.eml#office.txt", "ferry.eml#fares.csv"]
    assert all(d.parent == main.source for d in attachments)
    services = build(tmp_path, make_settings, fake_embedder, path)
    cited(services, "When does the morning ferry leave the quay?", "ferry.eml", "7:40")
    _, citation, _ = cited(services, "When does the ticket office open?", "ferry.eml#office.txt", "7:00")
    assert citation.source == main.source + "#office.txt"
    cited(services, "What is the fare for the route Oslo-Nesodden?", "ferry.eml#fares.csv", "52 kroner")


def test_docx_tables_row_by_row(tmp_path, docs, make_settings, fake_embedder):
    path = ff.write_docx_table(docs / "stock.docx", "The stock list follows.",
                               [["Part", "Count", "Shelf"], ["Bolt", "40", "A3"], ["Hinge", "55", "C7"]])
    doc = load(path)
    rows = [doc.text[a:b] for a, b, k in doc.units if k == "table_row"]
    assert rows == ["Part: Bolt; Count: 40; Shelf: A3", "Part: Hinge; Count: 55; Shelf: C7"]
    assert doc.section_at(doc.text.index("Part: Hinge")) == "Inventory"
    services = build(tmp_path, make_settings, fake_embedder, path)
    _, citation, _ = cited(services, "On which shelf is the hinge?", "stock.docx", "Shelf: C7")
    assert citation.quote == "Part: Hinge; Count: 55; Shelf: C7"


def test_docx_header_marked_in_word_and_two_column_tables(tmp_path):
    import docx
    from docx.oxml import OxmlElement

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Owner", (0, 1): "Ada", (1, 0): "Team", (1, 1): "Lamps"}.items():
        table.cell(r, c).text = text
    marked = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Tool", (0, 1): "Drawer", (1, 0): "Chisel", (1, 1): "Top"}.items():
        marked.cell(r, c).text = text
    marked.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    document.save(tmp_path / "t.docx")
    doc = load(tmp_path / "t.docx")
    assert doc.text.splitlines() == ["Owner: Ada", "Team: Lamps", "Tool: Chisel; Drawer: Top"]


@pytest.mark.slow
def test_real_model_answers_from_a_spreadsheet_row_and_a_slide(tmp_path, docs, make_settings, real_embedder):
    sheet = ff.write_xlsx(docs / "fleet.xlsx", {"Boats": [
        ["Boat", "Length", "Home port", "Skipper"],
        ["Sula", "12 m", "Alesund", "Kari Moen"],
        ["Terna", "9 m", "Bodo", "Jon Hauge"],
        ["Lomvi", "15 m", "Tromso", "Siri Berg"]]})
    deck = ff.write_pptx(docs / "safety.pptx", [
        ("Safety briefing", ["Life jackets are stored under the rear bench.", "Check the radio before leaving."]),
        ("Weather", ["Do not sail when the wind is above 15 metres per second."])])
    services = build(tmp_path, make_settings, real_embedder, sheet, deck)
    cited(services, "Who skippers the boat from Bodo?", "fleet.xlsx", "Jon Hauge")
    _, citation, _ = cited(services, "Where are the life jackets kept?", "safety.pptx", "rear bench")
    assert citation.page == 1
