"""One file, several documents: an e-mail's attachments are indexed as ``mail.eml#name`` and follow the message
through incremental indexing (unchanged: kept without embedding; changed: replaced; deleted: dropped)."""

from __future__ import annotations

import json
from pathlib import Path

from rag.ingest.indexer import index_paths
from rag.store.integrity import check_index
from tests.support import format_files as ff

BODY = "Hi Bo,\n\nThe morning ferry leaves the quay at 7:40 every weekday.\n\nAda\n"


def manifest_docs(settings) -> dict:
    return json.loads((Path(settings.index_dir) / "current" / "manifest.json").read_text())["documents"]


def names(settings) -> list[str]:
    return sorted(Path(s).name for s in manifest_docs(settings))


def test_attachments_follow_their_message(tmp_path, make_settings, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mill.txt").write_text("Tidal mills once ground grain along the estuary.\n", encoding="utf-8")
    mail = ff.write_eml(docs / "ferry.eml", "Ferry timetable", BODY, {
        "office.txt": b"The ticket office opens at 7:00 sharp.\n",
        "fares.csv": b"Route,Fare\nOslo-Nesodden,52 kroner\n"})
    settings = make_settings()

    report = index_paths([docs], settings, embedder=fake_embedder)
    assert sorted(Path(s).name for s in report.added) == ["ferry.eml", "mill.txt"]  # files, not documents
    assert names(settings) == ["ferry.eml", "ferry.eml#fares.csv", "ferry.eml#office.txt", "mill.txt"]
    entries = manifest_docs(settings)
    assert entries[str(mail.resolve()) + "#fares.csv"]["parent"] == str(mail.resolve())
    check = check_index(settings.index_dir)
    assert check.ok and not check.notes, (check.problems, check.notes)  # attachments are no missing files

    again = index_paths([docs], settings, embedder=fake_embedder)
    assert (again.added, again.changed, again.removed, again.embedded_chunks) == ([], [], [], 0)
    assert names(settings) == ["ferry.eml", "ferry.eml#fares.csv", "ferry.eml#office.txt", "mill.txt"]

    ff.write_eml(mail, "Ferry timetable", BODY, {"office.txt": b"The ticket office now opens at 6:30.\n"})
    changed = index_paths([docs], settings, embedder=fake_embedder)
    assert [Path(s).name for s in changed.changed] == ["ferry.eml"] and not changed.added
    assert names(settings) == ["ferry.eml", "ferry.eml#office.txt", "mill.txt"]
    from rag.services import build_services

    view = build_services(settings, embedder=fake_embedder).view()
    assert view.document(str(mail.resolve()) + "#office.txt").text == "The ticket office now opens at 6:30.\n"
    assert not any("fares" in c.source for _, c in view.iter_chunks())

    mail.unlink()
    removed = index_paths([docs], settings, embedder=fake_embedder)
    assert [Path(s).name for s in removed.removed] == ["ferry.eml"]
    assert names(settings) == ["mill.txt"]
    assert check_index(settings.index_dir).ok


def test_a_bad_attachment_is_one_line_and_the_message_is_indexed(tmp_path, make_settings, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    mail = ff.write_eml(docs / "report.eml", "Monthly report", BODY, {
        "figures.xlsx": b"PK\x03\x04 this is no workbook", "invite.ics": b"BEGIN:VCALENDAR\nEND:VCALENDAR\n",
        "notes.txt": b"Notes about the lighthouse lamp.\n"})
    settings = make_settings()
    report = index_paths([docs], settings, embedder=fake_embedder)
    lines = sorted(str(w) for w in report.warnings)
    assert len(lines) == 2
    assert lines[0].startswith(f"{mail.resolve()}#figures.xlsx: is not a readable .xlsx file")
    assert lines[1].startswith(f"{mail.resolve()}#invite.ics: unsupported file type '.ics'")
    assert names(settings) == ["report.eml", "report.eml#notes.txt"]


def test_removing_one_attachment_from_the_chat_keeps_the_message(tmp_path, make_settings, fake_embedder):
    from ui.documents import delete_document

    docs = tmp_path / "docs"
    docs.mkdir()
    mail = ff.write_eml(docs / "ferry.eml", "Ferry timetable", BODY, {"office.txt": b"Office opens at 7:00.\n"})
    settings = make_settings()
    index_paths([docs], settings, embedder=fake_embedder)
    delete_document(str(mail.resolve()) + "#office.txt", settings, fake_embedder)
    assert names(settings) == ["ferry.eml"]
    assert mail.exists()
