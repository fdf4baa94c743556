"""Build or update the index incrementally: only new or changed documents are loaded and embedded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from rag.ingest.chunking import chunk_document, make_splitter
from rag.embedding import Embedder, make_embedder, model_id_for
from rag.errors import IndexMismatchError, LoadError, NothingIndexedError
from rag.ingest.loaders import file_sha256, iter_files, shown
from rag.ingest.parse import ParseOptions, parse_files
from rag.ingest.structure import unit_text, with_structure
from rag.store.locking import writer_lock
from rag.store.sentence_table import SentenceTableWriter, chunk_vectors, document_spans
from rag.settings import Settings
from rag.store.snapshot import FORMAT_VERSION, DenseIndexBuilder, load_snapshot, new_snapshot_dir, read_manifest, write_snapshot
from rag.types import Chunk, Document

Progress = Callable[[int, int], None]
GROUP_SENTENCES = 4096


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[LoadError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # files indexed as plain text because their structure failed
    missing_paths: list[str] = field(default_factory=list)
    n_documents: int = 0
    n_chunks: int = 0
    embedded_chunks: int = 0
    upgraded: int = 0  # documents re-embedded because the old index predates stored sentence vectors
    seconds: float = 0.0
    parsed_files: int = 0  # files loaded and chunked (new or changed)
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def counts_line(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"

    def summary(self) -> str:
        upgraded = f"{self.upgraded} re-embedded for the new index format; " if self.upgraded else ""
        return (upgraded + f"{self.counts_line}; index has {self.n_documents} documents, {self.n_chunks} chunks "
                f"({self.embedded_chunks} embedded, {len(self.warnings)} skipped) in {self.seconds:.1f} s")


def versions() -> dict[str, str]:
    out = {}
    for name in ("rag-assistant", "sentence-transformers", "transformers", "torch", "faiss-cpu",
                 "langchain-core", "langchain-community", "langchain-text-splitters", "bm25s", "pysbd"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _config(settings: Settings, model_id: str) -> dict:
    return {
        "embedding": {"model": model_id},
        "chunking": {"splitter": "RecursiveCharacterTextSplitter", "chunk_size": settings.chunk_size,
                     "chunk_overlap": settings.chunk_overlap},
    }


def check_compatible(manifest: dict, settings: Settings, model_id: str, index_dir: Path) -> None:
    want = _config(settings, model_id)
    have_model = manifest.get("embedding", {}).get("model")
    old_format = manifest.get("format", 1) < FORMAT_VERSION
    if old_format and (have_model != model_id or manifest.get("chunking") != want["chunking"]):
        raise IndexMismatchError(
            f"The index in {index_dir} was written by an earlier version of rag (embedding model {have_model!r}); "
            "run `rag index` once to upgrade it: it re-embeds the stored texts and keeps every document."
        )
    if have_model != model_id:
        raise IndexMismatchError(
            f"The index in {index_dir} was built with embedding model {have_model!r}, but the settings ask for "
            f"{model_id!r}; run `rag index --rebuild` to rebuild it."
        )
    if manifest.get("chunking") != want["chunking"]:
        have = manifest.get("chunking", {})
        raise IndexMismatchError(
            f"The index in {index_dir} was built with chunk size {have.get('chunk_size')}/overlap "
            f"{have.get('chunk_overlap')}, but the settings ask for {settings.chunk_size}/{settings.chunk_overlap}; "
            "run `rag index --rebuild` to rebuild it."
        )


def index_paths(
    paths: Iterable[Path],
    settings: Settings,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    show_progress: bool = False,
    lock_timeout: float = 0.0,
    remove: Iterable[str] = (),
) -> IndexReport:
    """Bring the index at ``settings.index_dir`` in line with ``paths`` (plus explicit ``remove`` sources).

    Documents previously indexed from inside ``paths`` that are gone, and documents whose file no longer
    exists, are dropped; documents indexed from elsewhere whose files still exist are kept.
    """
    started = time.perf_counter()
    index_dir = Path(settings.index_dir)
    paths = [Path(p) for p in paths]
    model_id = embedder.model_id if embedder else model_id_for(settings)
    report = IndexReport()
    with writer_lock(index_dir, lock_timeout):
        manifest = None if rebuild else read_manifest(index_dir)
        # An older format is upgraded below by re-embedding every document from its stored text, so a model or
        # chunking change needs no --rebuild there, and an unchanged corpus still gets a new snapshot.
        current_format = manifest is not None and manifest.get("format", 1) >= FORMAT_VERSION
        if current_format:
            check_compatible(manifest, settings, model_id, index_dir)
        previous = (manifest or {}).get("documents", {})

        seen: dict[str, Path] = {}
        for item in iter_files(paths):
            if isinstance(item, LoadError):
                report.warnings.append(item)
                if item.reason == "no such file or folder":
                    report.missing_paths.append(item.path)
                continue
            seen.setdefault(str(item.resolve()), item)

        fresh: list[Document] = []
        chunked: dict[str, list[Chunk]] = {}
        reused: set[str] = set()
        to_parse: list[tuple[str, Path]] = []
        for source, path in seen.items():
            old = previous.get(source)
            if old is not None and old["sha256"] == file_sha256(path):
                reused.add(source)
            else:
                to_parse.append((source, path))
        parse_started = time.perf_counter()
        parsed_all = parse_files([p for _, p in to_parse], ParseOptions.from_settings(settings),
                                 settings.parse_workers, show_progress)
        for (source, path), parsed in zip(to_parse, parsed_all):
            report.warnings.extend(parsed.errors)
            if not parsed.documents:
                if source in previous:  # keep the last good version of a file that became unreadable
                    reused.add(source)
                continue
            (report.changed if source in previous else report.added).append(source)
            for doc, doc_chunks in parsed.documents:
                if doc.note:
                    report.notes.append(f"{path if doc.source == source else shown(doc.source)}: {doc.note}")
                fresh.append(doc)
                chunked[doc.source] = doc_chunks
        report.parsed_files = len(to_parse)
        report.parse_seconds = time.perf_counter() - parse_started

        roots = [p.resolve() for p in paths if p.exists()]
        explicit = {str(Path(s)) for s in remove}
        # A document found inside a file (an e-mail attachment) follows that file: kept while the file is kept,
        # replaced by what the file's new version holds, dropped with it (only an explicit removal drops it alone).
        inner = {s: e["parent"] for s, e in previous.items() if e.get("parent")}
        for source in previous:
            if source in seen or source in reused or source in inner:
                continue
            inside = any(_is_within(Path(source), root) for root in roots)
            if source in explicit or inside or not Path(source).exists():
                report.removed.append(source)
            else:
                reused.add(source)
        for source, parent in inner.items():
            if source in explicit:
                report.removed.append(source)
            elif parent in reused and source not in chunked:
                reused.add(source)
        report.unchanged = len([s for s in reused if s in seen])

        if not fresh and not report.removed and current_format:
            report.n_documents = manifest.get("n_documents", 0)
            report.n_chunks = manifest.get("n_chunks", 0)
            report.seconds = time.perf_counter() - started
            if report.warnings and not any(s in reused for s in seen):
                raise NothingIndexedError(_nothing_message(report))
            return report
        if not fresh and not reused and not report.removed:
            raise NothingIndexedError(_nothing_message(report))

        embedder = embedder or make_embedder(settings)
        _build(index_dir, settings, embedder, fresh, reused, report, progress, show_progress, chunked)
        report.seconds = time.perf_counter() - started
        return report


def _build(index_dir: Path, settings: Settings, embedder: Embedder, fresh: list[Document], reused: set[str],
           report: IndexReport, progress: Progress | None, show_progress: bool,
           chunked: dict[str, list[Chunk]] | None = None) -> None:
    """Write the next snapshot: ``reused`` documents keep their chunks and vectors from the current one, ``fresh``
    ones are embedded (with their chunks from ``chunked``, else chunked here). Called under the writer lock."""
    chunked = chunked or {}
    old_snapshot = load_snapshot(index_dir, embedder) if reused else None
    if old_snapshot is not None and (old_snapshot.sentences is None
                                     or old_snapshot.manifest.get("format", 1) < FORMAT_VERSION):
        # Written by a version that stored no sentence vectors: re-embed those documents from their stored
        # text (no file needs to be read again) instead of refusing the index.
        upgraded = sorted(s for s in reused if s in old_snapshot.docs)
        fresh.extend(old_snapshot.docs[s] for s in upgraded)
        reused.difference_update(upgraded)
        report.upgraded = len(upgraded)
        if not reused:
            old_snapshot = None
    docs: list[Document] = []
    chunks: list[Chunk] = []
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    by_doc = [(doc, chunked[doc.source] if doc.source in chunked
                    else chunk_document(doc, settings.chunk_size, settings.chunk_overlap, splitter))
              for doc in map(with_structure, fresh)]
    kept_sources = sorted(s for s in reused if old_snapshot is not None and s in old_snapshot.docs)
    n_rows = sum(len(old_snapshot.sentences.block(s)[0]) for s in kept_sources) if kept_sources else 0
    fresh_spans = [document_spans(doc_chunks) for _, doc_chunks in by_doc]
    n_rows += sum(len(spans) for spans in fresh_spans)
    tmp = new_snapshot_dir(index_dir)
    table = SentenceTableWriter(tmp, n_rows, embedder.dim)
    keep = [i for i, c in enumerate(old_snapshot.chunks) if c.source in reused] if kept_sources else []
    dense = DenseIndexBuilder(embedder.dim, len(keep) + sum(len(c) for _, c in by_doc), settings)
    if kept_sources:
        chunks.extend(old_snapshot.chunks[i] for i in keep)
        dense.add(old_snapshot.vectors(keep) if keep else np.zeros((0, embedder.dim), np.float32))
        docs.extend(old_snapshot.docs[s] for s in kept_sources)
        for source in kept_sources:
            table.append(source, *old_snapshot.sentences.block(source))
    embed_started = time.perf_counter()
    _embed_sentences(embedder, by_doc, fresh_spans, table, dense.add, settings.embed_batch_size, progress,
                     show_progress)
    report.embed_seconds = time.perf_counter() - embed_started
    table.close()
    del fresh_spans
    for doc, doc_chunks in by_doc:
        docs.append(doc)
        chunks.extend(doc_chunks)
    report.embedded_chunks = sum(len(c) for _, c in by_doc)
    del by_doc, old_snapshot

    manifest = dict(_config(settings, embedder.model_id))
    manifest["embedding"]["dim"] = int(embedder.dim)
    manifest["embedding"]["normalized"] = True
    counts: dict[str, int] = {}
    for c in chunks:
        counts[c.source] = counts.get(c.source, 0) + 1
    manifest["documents"] = {
        d.source: {"sha256": d.sha256, "chunks": counts.get(d.source, 0), "chars": len(d.text),
                   **({"parent": d.parent} if d.parent else {})} for d in docs
    }
    manifest["versions"] = versions()
    manifest["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    write_snapshot(index_dir, tmp, manifest, docs, chunks, dense, embedder)

    report.n_documents = len(docs)
    report.n_chunks = len(chunks)


def _embed_sentences(embedder: Embedder, by_doc: list[tuple[Document, list[Chunk]]],
                     spans: list[list[tuple[int, int]]], table: SentenceTableWriter,
                     add_chunk_vectors: Callable[[np.ndarray], None], batch: int, progress: Progress | None,
                     show: bool) -> None:
    """Embed every sentence of the new documents once, append them to ``table`` document by document, and pass
    the new chunks' vectors (length-weighted means of their sentences, rag.store.sentence_table.chunk_vectors) to
    ``add_chunk_vectors`` in document order.

    Documents are taken in groups of about GROUP_SENTENCES sentences; within a group the sentences are embedded
    in length-sorted batches (less padding), then put back in order. Only one group's float32 vectors are held
    at a time."""
    from tqdm import tqdm

    total = sum(len(s) for s in spans)
    done = 0
    with tqdm(total=total, desc="Embedding", unit="sentence", disable=not show, leave=False) as bar:
        group: list[int] = []
        size = 0
        for i in range(len(by_doc) + 1):
            if i < len(by_doc):
                group.append(i)
                size += len(spans[i])
                if size < GROUP_SENTENCES and i + 1 < len(by_doc):
                    continue
            if not group:
                break
            texts = [unit_text(by_doc[d][0], a, b) for d in group for a, b in spans[d]]
            order = sorted(range(len(texts)), key=lambda j: len(texts[j]))
            vectors = np.empty((len(texts), embedder.dim), np.float32)
            step = max(batch, 16)
            for lo in range(0, len(order), step):
                ids = order[lo:lo + step]
                vectors[ids] = embedder.embed_array([texts[j] for j in ids])
                bar.update(len(ids))
                done += len(ids)
                if progress:
                    progress(done, total)
            row = 0
            for d in group:
                doc, doc_chunks = by_doc[d]
                block = np.asarray(spans[d], dtype=np.int64).reshape(-1, 2)
                doc_vectors = vectors[row:row + len(block)]
                row += len(block)
                table.append(doc.source, block, doc_vectors)
                add_chunk_vectors(chunk_vectors(doc_chunks, block, doc_vectors))
            group, size = [], 0


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _nothing_message(report: IndexReport) -> str:
    first = report.warnings[0] if report.warnings else None
    detail = f" (first problem: {first})" if first else ""
    return f"Nothing could be indexed{detail}; fix the files listed above and run `rag index` again."
