"""Integrity check and repair: every kind of damage is named, `--check` exits non-zero, `--repair` restores a sound
index (older snapshot or re-index from the manifest's sources). In-process through `rag.cli.main`."""

from __future__ import annotations

import json
import os
import random
import shutil

import pytest

from rag.cli import main
from rag.embedding import HashEmbedder
from rag.ingest.indexer import index_paths
from rag.store.integrity import check_index, check_snapshot
from rag.store.snapshot import current_path, load_snapshot, snapshot_dirs
from tests.support.hostile_corpus import HASH_MODEL, corpus_state, prose, rag_env, run_rag


@pytest.fixture
def built(tmp_path, make_settings, monkeypatch):
    """A corpus indexed twice (so an older sound snapshot exists), with the fake embedder the CLI will also use."""
    monkeypatch.setenv("RAG_EMBED_MODEL", HASH_MODEL)
    rng = random.Random(3)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"d{i}.txt").write_text(prose(rng, 30), encoding="utf-8")
    settings = make_settings(embed_model=HASH_MODEL)
    embedder = HashEmbedder(64)
    index_paths([corpus], settings, embedder=embedder)
    (corpus / "d6.txt").write_text(prose(rng, 20), encoding="utf-8")
    index_paths([corpus], settings, embedder=embedder)
    return settings, corpus, embedder


def cli(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    out = capsys.readouterr()
    return code, out.out, out.err


def damage_docs_text(snap):
    rows = [json.loads(line) for line in (snap / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    rows[0]["text"] = "X" + rows[0]["text"][1:]
    (snap / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def damage_manifest_count(snap):
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["n_chunks"] += 3
    (snap / "manifest.json").write_text(json.dumps(manifest))


def damage_manifest_sha(snap):
    manifest = json.loads((snap / "manifest.json").read_text())
    first = next(iter(manifest["documents"]))
    manifest["documents"][first]["sha256"] = "0" * 64
    (snap / "manifest.json").write_text(json.dumps(manifest))


def damage_manifest_chunks(snap):
    manifest = json.loads((snap / "manifest.json").read_text())
    first = next(iter(manifest["documents"]))
    manifest["documents"][first]["chunks"] += 1
    (snap / "manifest.json").write_text(json.dumps(manifest))


def damage_bm25(snap):
    older = [p for p in snapshot_dirs(snap.parent.parent) if p != snap][0]
    shutil.rmtree(snap / "bm25")
    shutil.copytree(older / "bm25", snap / "bm25")  # BM25 of the previous version: one document short


def damage_faiss_truncated(snap):
    path = snap / "faiss" / "index.faiss"
    path.write_bytes(path.read_bytes()[:100])


def damage_faiss_missing(snap):
    (snap / "faiss" / "index.faiss").unlink()


def damage_vectors(snap):
    path = snap / "faiss" / "index.faiss"
    data = bytearray(path.read_bytes())
    data[-400:] = b"\x7f" * 400  # NaN/huge floats in the last vectors
    path.write_bytes(bytes(data))


def damage_manifest_garbage(snap):
    (snap / "manifest.json").write_text("{not json")


def damage_docs_missing_line(snap):
    lines = (snap / "docs.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (snap / "docs.jsonl").write_text("".join(lines[1:]), encoding="utf-8")


def damage_sentence_vectors_truncated(snap):
    path = snap / "sentences" / "vectors.npy"
    path.write_bytes(path.read_bytes()[:-512])


def damage_sentence_rows_missing(snap):
    (snap / "sentences" / "rows.json").unlink()


def damage_sentence_spans_shifted(snap):
    import numpy as np

    spans = np.load(snap / "sentences" / "spans.npy")
    spans[:, 0] += 1  # no chunk's sentence matches a stored span any more
    np.save(snap / "sentences" / "spans.npy", spans)


DAMAGES = {
    "truncated sentence vectors": (damage_sentence_vectors_truncated, "cannot be loaded"),
    "sentence rows missing": (damage_sentence_rows_missing, "sentences/rows.json is missing"),
    "sentence spans shifted": (damage_sentence_spans_shifted, "has a sentence with no stored vector"),
    "chunk text differs": (damage_docs_text, "text differs"),
    "manifest chunk count": (damage_manifest_count, "chunk counts disagree"),
    "manifest sha256": (damage_manifest_sha, "sha256"),
    "per-document chunk count": (damage_manifest_chunks, "chunks but the manifest says"),
    "bm25 from another snapshot": (damage_bm25, "BM25 documents"),
    "truncated faiss file": (damage_faiss_truncated, "cannot be loaded"),
    "missing faiss file": (damage_faiss_missing, "index.faiss is missing"),
    "damaged vectors": (damage_vectors, "not unit length"),
    "manifest not json": (damage_manifest_garbage, "manifest.json is missing or unreadable"),
    "document text missing": (damage_docs_missing_line, "text is not stored"),
}


def test_sound_index_passes(built, capsys):
    settings, _corpus, _ = built
    code, out, _err = cli(["index", "--check", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 0 and "is sound" in out and "7 documents" in out


@pytest.mark.parametrize("kind", list(DAMAGES))
def test_damage_is_reported_and_repaired(built, capsys, kind):
    settings, corpus, embedder = built
    damage, expected = DAMAGES[kind]
    damaged = current_path(settings.index_dir)
    damage(damaged)

    code, out, err = cli(["index", "--check", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 6, out + err
    problems = [line for line in out.splitlines() if line.startswith("problem: ")]
    assert problems and any(expected in line for line in problems), out
    assert "Traceback" not in err and "run `rag index --repair`" in err

    code, out, err = cli(["index", "--repair", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 0, out + err
    assert "is sound" in out
    assert check_index(settings.index_dir).ok
    assert current_path(settings.index_dir) != damaged
    # The repaired index answers from the previous sound snapshot (6 documents) or a rebuild (7).
    snapshot = load_snapshot(settings.index_dir, embedder)
    assert set(snapshot.manifest["documents"]) <= set(corpus_state(corpus))
    assert len(snapshot.manifest["documents"]) >= 6


def test_dangling_current_falls_back_to_previous_snapshot(built, capsys):
    settings, corpus, _ = built
    newest = current_path(settings.index_dir)
    shutil.rmtree(newest)
    code, out, _ = cli(["index", "--check", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 6 and "does not exist" in out
    code, out, err = cli(["index", "--repair", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 0 and "published the newest sound snapshot" in err
    assert len(load_snapshot(settings.index_dir).manifest["documents"]) == 6


def test_missing_current_link_is_restored(built, capsys):
    settings, _corpus, _ = built
    newest = current_path(settings.index_dir)
    os.unlink(settings.index_dir / "current")
    code, out, _ = cli(["index", "--check", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 6 and "is missing although" in out
    code, _, _ = cli(["index", "--repair", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 0 and current_path(settings.index_dir) == newest


def test_no_sound_snapshot_rebuilds_from_manifest_sources(built, capsys):
    settings, corpus, _ = built
    for snap in snapshot_dirs(settings.index_dir):
        damage_faiss_truncated(snap)
    code, out, err = cli(["index", "--repair", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 0, out + err
    assert "rebuilt the index from 7 source file(s)" in err
    manifest = load_snapshot(settings.index_dir).manifest
    assert {s: d["sha256"] for s, d in manifest["documents"].items()} == corpus_state(corpus)


def test_nothing_left_to_repair_from_is_one_clear_error(built, capsys):
    settings, corpus, _ = built
    for snap in snapshot_dirs(settings.index_dir):
        damage_faiss_truncated(snap)
    shutil.rmtree(corpus)
    code, _, err = cli(["index", "--repair", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 6 and "rag index PATH --rebuild" in err and "Traceback" not in err


def test_stale_sources_and_leftovers_are_notes_not_damage(built, capsys):
    settings, corpus, _ = built
    (corpus / "d0.txt").write_text("changed after indexing", encoding="utf-8")
    (corpus / "d1.txt").unlink()
    (settings.index_dir / "snapshots" / ".tmp-interrupted").mkdir()
    code, out, err = cli(["index", "--check", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 0 and "is sound" in out
    assert "1 indexed file(s) changed since indexing" in err
    assert "1 indexed file(s) no longer exist" in err
    assert "unfinished snapshot folder" in err
    code, _, err = cli(["index", "--repair", "--index-dir", str(settings.index_dir)], capsys)
    assert code == 0 and "removed unfinished snapshot folder .tmp-interrupted" in err
    assert not (settings.index_dir / "snapshots" / ".tmp-interrupted").exists()


def test_every_snapshot_written_by_the_indexer_is_sound(built):
    settings, _corpus, _ = built
    for snap in snapshot_dirs(settings.index_dir):
        problems, manifest = check_snapshot(snap)
        assert problems == [] and manifest["n_chunks"] > 0


def test_check_on_missing_index_is_exit_4(tmp_path, capsys):
    code, _, err = cli(["index", "--check", "--index-dir", str(tmp_path / "none")], capsys)
    assert code == 4 and "No index in" in err


NOT_REGULAR = "is not a regular file (a pipe, socket or device); not read"


@pytest.mark.parametrize("replacement", ["fifo", "link to /dev/zero", "link to /dev/urandom"])
def test_an_indexed_file_replaced_by_a_fifo_or_a_device_never_hangs_the_tools(built, replacement):
    """Was: `rag index`, `--check` and `--repair` hashed the file before checking it was regular: a FIFO blocked
    them forever (holding the writer lock), /dev/zero never ended. Real processes, each with a time bound."""
    settings, corpus, _ = built
    victim = corpus / "d0.txt"
    before = load_snapshot(settings.index_dir).manifest["documents"]
    victim.unlink()
    if replacement == "fifo":
        os.mkfifo(victim)
    else:
        os.symlink(replacement.removeprefix("link to "), victim)
    env = rag_env(settings.index_dir)

    check, _ = run_rag(["index", "--check"], env, timeout=120)
    assert check.returncode == 0 and "is sound" in check.stdout, check.stderr
    assert "note: 1 indexed file(s) no longer exist or cannot be read; run `rag index` to drop them" in check.stderr
    repair, _ = run_rag(["index", "--repair"], env, timeout=120)
    assert repair.returncode == 0 and "is sound" in repair.stdout, repair.stderr
    indexed, _ = run_rag(["index", str(corpus), "--quiet"], env, timeout=120)
    assert indexed.returncode == 0, indexed.stderr
    assert indexed.stderr.splitlines() == [f"skipped {victim}: {NOT_REGULAR}"]
    after = load_snapshot(settings.index_dir).manifest["documents"]
    if replacement == "fifo":  # the last good version of the file is kept, as for any file that became unreadable
        assert indexed.stdout.startswith("0 added, 0 changed, 0 removed; index has 7 documents")
        assert after == before
    else:  # the path now resolves to a device, outside the corpus: its old version is dropped
        assert indexed.stdout.startswith("0 added, 0 changed, 1 removed; index has 6 documents")
        assert after == {s: d for s, d in before.items() if s != str(victim)}
    # The writer lock was released each time: a writer that will not wait gets it at once.
    again, _ = run_rag(["index", str(corpus), "--quiet", "--wait", "0"], env, timeout=120)
    assert again.returncode == 0, again.stderr
    assert check_index(settings.index_dir).ok
