"""Integrity check and repair of the on-disk index (`rag index --check` / `--repair`).

A snapshot is sound when its parts agree with each other: the manifest's chunk and document counts, the FAISS
vector count, the docstore and its id map, the BM25 document count, and the stored document texts (every chunk is
``doc.text[start:end]``, every document's sha256 and chunk count match the manifest). Source files that changed
since indexing are reported as stale, not as damage: the index is still internally consistent.

Repair, under the writer lock: drop a ``current`` that points at a damaged or missing snapshot and publish the
newest sound one; when none is sound, rebuild from the sources listed in the newest readable manifest.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

from rag.errors import IndexCorruptError
from rag.store.base import CheckReport, RepairReport
from rag.store.locking import writer_lock
from rag.store.snapshot import CURRENT, FORMAT_VERSION, SNAPSHOTS, open_snapshot, publish_snapshot, snapshot_dirs
from rag.types import chunk_id

MAX_LISTED = 10  # per kind of problem, so a badly damaged index gives a readable report


def check_snapshot(path: Path) -> tuple[list[str], dict]:
    """Problems of one snapshot folder (empty when sound), and its manifest ({} when unreadable)."""
    path = Path(path)
    name = path.name
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as err:
        return [f"{name}: manifest.json is missing or unreadable ({type(err).__name__})"], {}
    problems: list[str] = []
    if manifest.get("format") != FORMAT_VERSION:
        problems.append(f"{name}: manifest format {manifest.get('format')!r} is not {FORMAT_VERSION} "
                        "(an index of another version: rebuild it with `rag index --rebuild`)")
    parts = ["faiss/index.faiss", "faiss/index.pkl", "docs.jsonl", "sentences/vectors.npy", "sentences/spans.npy",
             "sentences/rows.json"]
    for part in parts:
        if not (path / part).is_file():
            problems.append(f"{name}: {part} is missing")
    if problems:
        return problems, manifest
    try:
        snapshot = open_snapshot(path)
    except Exception as err:  # any failure to load is damage; the checker must report it, never crash
        return [f"{name}: cannot be loaded ({type(err).__name__}: {str(err)[:200]})"], manifest
    return _check_loaded(name, manifest, snapshot), manifest


def _check_sentences(name: str, snapshot, dim) -> list[str]:
    """The sentence table: one row per span, every stored document has its block, every chunk's sentences are
    rows of its document's block."""
    table = snapshot.sentences
    problems: list[str] = []
    if table.vectors.shape != (len(table.spans), dim):
        problems.append(f"{name}: sentence vectors have shape {table.vectors.shape}, "
                        f"expected ({len(table.spans)}, {dim})")
        return problems
    missing = [s for s in snapshot.docs if s not in table.rows]
    problems += _capped([f"{name}: {s} has no sentence vectors" for s in missing])
    bad = []
    for position, chunk in enumerate(snapshot.chunks):
        if chunk.source in table.rows and any(table.row(chunk.source, a, b) is None for a, b in chunk.sentences):
            bad.append(f"{name}: chunk {position} ({chunk.chunk_id}) has a sentence with no stored vector")
    return problems + _capped(bad)


def _check_loaded(name: str, manifest: dict, snapshot) -> list[str]:
    problems: list[str] = []
    store = snapshot.vectorstore
    n_manifest = manifest.get("n_chunks")
    n_vectors = int(store.index.ntotal)
    n_ids = len(store.index_to_docstore_id)
    n_docstore = len(getattr(store.docstore, "_dict", {}))
    n_bm25 = int(snapshot.bm25.scores["num_docs"]) if snapshot.bm25 is not None else 0
    counts = {"manifest": n_manifest, "FAISS vectors": n_vectors, "id map": n_ids, "docstore": n_docstore,
              "BM25 documents": n_bm25}
    if len(set(counts.values())) != 1:
        problems.append(f"{name}: chunk counts disagree (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")
    dim = manifest.get("embedding", {}).get("dim")
    if dim != store.index.d:
        problems.append(f"{name}: vectors have dimension {store.index.d}, the manifest says {dim}")
    problems += _check_vectors(name, snapshot)
    problems += _check_sentences(name, snapshot, dim)

    listed = manifest.get("documents", {})
    if manifest.get("n_documents") != len(listed) or len(snapshot.docs) != len(listed):
        problems.append(f"{name}: document counts disagree (manifest n_documents {manifest.get('n_documents')}, "
                        f"listed {len(listed)}, stored texts {len(snapshot.docs)})")
    bad: list[str] = []
    for source, entry in listed.items():
        doc = snapshot.docs.get(source)
        if doc is None:
            bad.append(f"{name}: {source} is listed in the manifest but its text is not stored")
        elif doc.sha256 != entry.get("sha256"):
            bad.append(f"{name}: {source} has sha256 {doc.sha256[:12]} but the manifest says "
                       f"{str(entry.get('sha256'))[:12]}")
        elif entry.get("chars") is not None and entry["chars"] != len(doc.text):
            bad.append(f"{name}: {source} has {len(doc.text)} characters but the manifest says {entry['chars']}")
    bad += [f"{name}: {s} is stored but not listed in the manifest" for s in snapshot.docs if s not in listed]
    problems += _capped(bad)

    per_doc: Counter[str] = Counter()
    seen_ids: set[str] = set()
    bad = []
    for position, chunk in enumerate(snapshot.chunks):
        per_doc[chunk.source] += 1
        doc = snapshot.docs.get(chunk.source)
        where = f"{name}: chunk {position} ({chunk.chunk_id})"
        if chunk.chunk_id in seen_ids:
            bad.append(f"{where} appears twice")
        seen_ids.add(chunk.chunk_id)
        if doc is None:
            bad.append(f"{where} belongs to {chunk.source}, whose text is not stored")
        elif doc.text[chunk.start:chunk.end] != chunk.text:
            bad.append(f"{where} text differs from {chunk.source}[{chunk.start}:{chunk.end}]")
        elif chunk.doc_sha256 != doc.sha256 or chunk.chunk_id != chunk_id(doc.sha256, chunk.start, chunk.end):
            bad.append(f"{where} does not belong to the stored version of {chunk.source}")
        elif any(not (0 <= s < e <= len(doc.text)) for s, e in chunk.sentences):
            bad.append(f"{where} has a sentence span outside {chunk.source}")
    for source, entry in listed.items():
        if entry.get("chunks") is not None and entry["chunks"] != per_doc.get(source, 0):
            bad.append(f"{name}: {source} has {per_doc.get(source, 0)} chunks but the manifest says {entry['chunks']}")
    problems += _capped(bad)
    return problems


def _check_vectors(name: str, snapshot) -> list[str]:
    import numpy as np

    try:
        matrix = snapshot.chunk_vectors()
    except RuntimeError:  # an index type that cannot reconstruct vectors: nothing to check here
        return []
    norms = np.linalg.norm(np.asarray(matrix, dtype=np.float64), axis=1) if len(matrix) else np.zeros(0)
    # Unit length, or zero for a text with no tokens under the hashing embedder; anything else is damage.
    bad = int((~np.isfinite(norms) | ((np.abs(norms - 1.0) > 1e-3) & (norms > 1e-6))).sum())
    return [f"{name}: {bad} vectors are not unit length (damaged numbers)"] if bad else []


def _capped(items: list[str]) -> list[str]:
    if len(items) <= MAX_LISTED:
        return items
    return items[:MAX_LISTED] + [f"... and {len(items) - MAX_LISTED} more like these"]


def check_index(index_dir: Path) -> CheckReport:
    """Check the published snapshot."""
    index_dir = Path(index_dir)
    report = CheckReport(str(index_dir))
    link = index_dir / CURRENT
    candidates = snapshot_dirs(index_dir)
    if not os.path.lexists(link):
        if candidates:
            report.problems.append(f"{link} is missing although {len(candidates)} snapshot(s) exist")
        else:
            report.problems.append(f"there is no index in {index_dir}; build one with `rag index PATH`")
            report.missing = True
        return report
    if not link.is_symlink():
        report.problems.append(f"{link} is not a symbolic link to a snapshot")
        return report
    target = link.resolve()
    report.snapshot = target.name
    if not target.is_dir():
        report.problems.append(f"{link} points at {os.readlink(link)}, which does not exist")
        return report
    if target.parent != (index_dir / SNAPSHOTS).resolve():
        report.notes.append(f"{link} points outside {index_dir / SNAPSHOTS}")
    problems, manifest = check_snapshot(target)
    report.problems += problems
    report.n_documents = len(manifest.get("documents", {}))
    report.n_chunks = int(manifest.get("n_chunks") or 0)
    report.notes += _leftovers(index_dir, target)
    return report


def _leftovers(index_dir: Path, current: Path) -> list[str]:
    notes = []
    folder = index_dir / SNAPSHOTS
    temporaries = [p.name for p in folder.glob(".tmp-*")] if folder.is_dir() else []
    if temporaries:
        notes.append(f"{len(temporaries)} unfinished snapshot folder(s) from an interrupted write (harmless; "
                     "removed by the next write or --repair)")
    ordered = [p.name for p in snapshot_dirs(index_dir)]
    newer = ordered[:ordered.index(current.name)] if current.name in ordered else []
    if newer:
        notes.append(f"{len(newer)} finished but unpublished snapshot(s) newer than the current one "
                     "(a write was interrupted before it committed)")
    return notes


def repair_index(index_dir: Path, rebuild, lock_timeout: float = 0.0) -> RepairReport:
    """Make the index sound again, keeping as much as possible; ``rebuild(sources)`` re-indexes the source files
    of the newest readable manifest when no snapshot is sound. IndexCorruptError when nothing is left."""
    index_dir = Path(index_dir)
    repair = RepairReport()
    sources: list[str] = []
    with writer_lock(index_dir, lock_timeout):
        report = check_index(index_dir)
        if report.ok:
            _clean_leftovers(index_dir, repair)
            repair.check = check_index(index_dir)
            return repair
        repair.actions += [f"found: {p}" for p in report.problems]
        broken_current = (index_dir / CURRENT).resolve() if os.path.lexists(index_dir / CURRENT) else None
        for candidate in snapshot_dirs(index_dir):
            problems, manifest = check_snapshot(candidate)
            if manifest and not sources:
                sources = [s for s, e in manifest.get("documents", {}).items() if not e.get("parent")]
            if not problems:
                publish_snapshot(index_dir, candidate)
                repair.actions.append(f"published the newest sound snapshot {candidate.name}")
                break
            shutil.rmtree(candidate, ignore_errors=True)
            repair.actions.append(f"removed damaged snapshot {candidate.name}")
        else:
            candidate = None
        if candidate is not None:
            if broken_current is not None and broken_current.is_dir() and broken_current != candidate.resolve():
                shutil.rmtree(broken_current, ignore_errors=True)
            _clean_leftovers(index_dir, repair)
            repair.check = check_index(index_dir)
            return repair
    # No sound snapshot survives: rebuild from the sources the newest readable manifest listed.
    return _rebuild(index_dir, rebuild, sources, repair)


def _rebuild(index_dir: Path, rebuild, sources: list[str], repair: RepairReport) -> RepairReport:
    existing = [s for s in sources if Path(s).is_file()]
    repair.lost = [s for s in sources if not Path(s).is_file()]
    if not existing:
        raise IndexCorruptError(
            f"The index in {index_dir} is damaged and no snapshot lists source files that still exist; "
            "rebuild it with `rag index PATH --rebuild`."
        )
    link = index_dir / CURRENT
    if os.path.lexists(link):
        link.unlink()
    repair.actions.append(rebuild(existing))
    if repair.lost:
        repair.actions.append(f"{len(repair.lost)} listed source file(s) no longer exist and were not re-indexed")
    repair.check = check_index(index_dir)
    return repair


def _clean_leftovers(index_dir: Path, repair: RepairReport) -> None:
    folder = index_dir / SNAPSHOTS
    for temporary in folder.glob(".tmp-*") if folder.is_dir() else ():
        shutil.rmtree(temporary, ignore_errors=True)
        repair.actions.append(f"removed unfinished snapshot folder {temporary.name}")
    for stray in index_dir.glob(f".{CURRENT}.*"):
        stray.unlink(missing_ok=True)
