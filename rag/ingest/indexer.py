"""Build or update the index incrementally: only new or changed documents are loaded and embedded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.embedding import Embedder, make_embedder, model_id_for
from rag.errors import IndexMismatchError, LoadError, NothingIndexedError
from rag.ingest.loaders import file_sha256, iter_files, shown
from rag.ingest.parse import Parsed, ParseOptions, parse_files
from rag.ingest.structure import PARSING_VERSION, unit_text, with_structure
from rag.settings import Settings
from rag.store import Store, StoredDocument, StoreWriter, open_store
from rag.store.sentence_table import chunk_vectors, document_spans
from rag.types import Chunk, Document

Progress = Callable[[int, int], None]
DocChunks = tuple[Document, list[Chunk]]
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
    seconds: float = 0.0
    parsed_files: int = 0  # files loaded and chunked (new or changed)
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def counts_line(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"

    def summary(self) -> str:
        return (f"{self.counts_line}; index has {self.n_documents} documents, {self.n_chunks} chunks "
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
        "parsing": PARSING_VERSION,
    }


def check_compatible(manifest: dict, settings: Settings, model_id: str, location: str | Path) -> None:
    """Refuse to mix vectors of another model or chunks of another chunking into an existing index."""
    want = _config(settings, model_id)
    have_model = manifest.get("embedding", {}).get("model")
    if have_model != model_id:
        raise IndexMismatchError(
            f"The index in {location} was built with embedding model {have_model!r}, but the settings ask for "
            f"{model_id!r}; run `rag index --rebuild` to rebuild it."
        )
    if manifest.get("chunking") != want["chunking"]:
        have = manifest.get("chunking", {})
        raise IndexMismatchError(
            f"The index in {location} was built with chunk size {have.get('chunk_size')}/overlap "
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
    store: Store | None = None,
    pipeline: Pipeline | None = None,
) -> IndexReport:
    """Bring the store (default: the FAISS snapshot at ``settings.index_dir``) in line with ``paths`` (plus
    explicit ``remove`` sources).

    Documents previously indexed from inside ``paths`` that are gone, and documents whose file no longer
    exists, are dropped; documents indexed from elsewhere whose files still exist are kept. New and changed files
    are parsed and their answer units embedded by ``pipeline``: in this process and its parsing pool (the
    default, LocalPipeline) or on a Ray cluster (rag.ingest.distributed.RayPipeline); this process always lists
    and compares the files and writes the store.
    """
    started = time.perf_counter()
    store = store or open_store(settings)
    paths = [Path(p) for p in paths]
    model_id = embedder.model_id if embedder else model_id_for(settings)
    report = IndexReport()
    with store.writer(lock_timeout) as writer:
        manifest = None if rebuild else writer.manifest
        if manifest is not None:
            check_compatible(manifest, settings, model_id, store.location)
        previous = (manifest or {}).get("documents", {})
        # Files read under other reading rules are read again, unchanged or not (PARSING_VERSION).
        reread = bool(previous) and (manifest or {}).get("parsing") != PARSING_VERSION
        if reread:
            report.notes.append("the reading rules changed since this index was written; every file is read again")

        seen: dict[str, Path] = {}
        for item in iter_files(paths):
            if isinstance(item, LoadError):
                report.warnings.append(item)
                if item.reason == "no such file or folder":
                    report.missing_paths.append(item.path)
                continue
            seen.setdefault(str(item.resolve()), item)

        pipeline = pipeline or LocalPipeline()
        fresh: list[DocChunks] = []
        chunked: set[str] = set()
        reused: set[str] = set()
        to_parse: list[tuple[str, Path]] = []
        for source, path in seen.items():
            old = previous.get(source)
            try:
                unchanged = old is not None and not reread and old["sha256"] == file_sha256(path)
            except LoadError:  # not a regular file (any more) or unreadable: load() below says which
                unchanged = False
            if unchanged:
                reused.add(source)
            else:
                to_parse.append((source, path))
        parse_started = time.perf_counter()
        parsed_all = pipeline.parse([p for _, p in to_parse], settings, show_progress)
        for (source, path), parsed in zip(to_parse, parsed_all, strict=True):
            report.warnings.extend(parsed.errors)
            if not parsed.documents:
                if source in previous:  # keep the last good version of a file that became unreadable
                    reused.add(source)
                continue
            (report.changed if source in previous else report.added).append(source)
            for doc, doc_chunks in parsed.documents:
                if doc.note:
                    report.notes.append(f"{path if doc.source == source else shown(doc.source)}: {doc.note}")
                fresh.append((doc, doc_chunks))
                chunked.add(doc.source)
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
            # A shared store (PostgreSQL) holds files of other machines too: absent here is not deleted.
            gone = not getattr(store, "shared", False) and not Path(source).exists()
            if source in explicit or inside or gone:
                report.removed.append(source)
            else:
                reused.add(source)
        for source, parent in inner.items():
            if source in explicit:
                report.removed.append(source)
            elif parent in reused and source not in chunked:
                reused.add(source)
        fresh = _drop_copies(fresh, reused, previous, report)
        report.unchanged = len([s for s in reused if s in seen])

        if not fresh and not report.removed and manifest is not None:
            report.n_documents = manifest.get("n_documents", 0)
            report.n_chunks = manifest.get("n_chunks", 0)
            report.seconds = time.perf_counter() - started
            if report.warnings and not any(s in reused for s in seen):
                raise NothingIndexedError(_nothing_message(report))
            return report
        if not fresh and not reused and not report.removed:
            raise NothingIndexedError(_nothing_message(report))

        embedder = embedder or make_embedder(settings)
        _build(writer, settings, embedder, pipeline, fresh, reused, report, progress, show_progress)
        report.seconds = time.perf_counter() - started
        return report


def _build(writer: StoreWriter, settings: Settings, embedder: Embedder, pipeline: Pipeline, fresh: list[DocChunks],
           reused: set[str], report: IndexReport, progress: Progress | None, show_progress: bool) -> None:
    """Write the next state: ``reused`` documents keep their chunks and vectors, ``fresh`` ones (parsed, with
    their chunks) get their answer units embedded by ``pipeline``. Called under the writer lock."""
    by_doc = [(with_structure(doc), doc_chunks) for doc, doc_chunks in fresh]
    spans = [document_spans(doc_chunks) for _, doc_chunks in by_doc]
    n_new_chunks = sum(len(c) for _, c in by_doc)
    manifest = dict(_config(settings, embedder.model_id))
    manifest["embedding"]["dim"] = int(embedder.dim)
    manifest["embedding"]["normalized"] = True
    embed_started = time.perf_counter()
    manifest["versions"] = versions()
    manifest["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    new = pipeline.embed(embedder, by_doc, spans, settings, progress, show_progress)
    writer.write(sorted(reused), new, manifest, n_new_units=sum(len(s) for s in spans), n_new_chunks=n_new_chunks)
    report.embed_seconds = time.perf_counter() - embed_started  # embedding is consumed by the write
    report.embedded_chunks = n_new_chunks
    committed = writer.manifest or {}
    report.n_documents = committed.get("n_documents", 0)
    report.n_chunks = committed.get("n_chunks", 0)


class Pipeline(Protocol):
    """Where new files are parsed and their answer units embedded: in this process (LocalPipeline) or on a Ray
    cluster (rag.ingest.distributed.RayPipeline). Every pipeline parses with rag.ingest.parse.parse_file and
    embeds the batches ``unit_groups`` and ``unit_batches`` plan, so all give the same documents, chunks and
    vectors."""

    def parse(self, paths: list[Path], settings: Settings, show_progress: bool) -> Iterable[Parsed]:
        """One rag.ingest.parse.Parsed per path, in the order of ``paths``."""
        ...

    def embed(self, embedder: Embedder, by_doc: list[DocChunks], spans: list[list[tuple[int, int]]],
              settings: Settings, progress: Progress | None, show: bool) -> Iterator[StoredDocument]:
        """The documents of ``by_doc``, in order, ready to store, with their units (``spans``) embedded."""
        ...


class LocalPipeline:
    """Parse in this process or its parsing pool (rag.ingest.parse.parse_files, RAG_PARSE_WORKERS) and embed here
    (the default)."""

    def parse(self, paths: list[Path], settings: Settings, show_progress: bool) -> Iterator[Parsed]:
        return parse_files(paths, ParseOptions.from_settings(settings), settings.parse_workers, show_progress)

    def embed(self, embedder: Embedder, by_doc: list[DocChunks], spans: list[list[tuple[int, int]]],
              settings: Settings, progress: Progress | None, show: bool) -> Iterator[StoredDocument]:
        return _embed_units(embedder, by_doc, spans, settings.embed_batch_size, progress, show)


def unit_groups(spans: list[list[tuple[int, int]]]) -> Iterator[list[int]]:
    """Documents (indices into ``spans``) in groups of about GROUP_SENTENCES units: only one group's vectors are
    held at a time."""
    group: list[int] = []
    size = 0
    for i, doc_spans in enumerate(spans):
        group.append(i)
        size += len(doc_spans)
        if size >= GROUP_SENTENCES:
            yield group
            group, size = [], 0
    if group:
        yield group


def unit_texts(by_doc: list[DocChunks], spans: list[list[tuple[int, int]]], group: list[int]) -> list[str]:
    """What is embedded for each unit of the group's documents, document by document, unit by unit."""
    return [unit_text(by_doc[d][0], a, b) for d in group for a, b in spans[d]]


def unit_batches(texts: list[str], batch: int, lengths: list[int]) -> list[list[int]]:
    """Positions of ``texts`` batch by batch, as they are embedded: sorted by ``lengths`` (the embedder's
    ``text_lengths``, tokens for the real model), so a batch pads little.

    With int8 weights ONNX Runtime quantises activations per batch, so a unit's vector depends slightly on the
    other texts of its batch (cosine about 0.993 to the same text embedded alone); every pipeline embeds exactly
    these batches, so all give the same vectors."""
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    step = max(batch, 16)
    return [order[lo:lo + step] for lo in range(0, len(order), step)]


def group_documents(by_doc: list[DocChunks], spans: list[list[tuple[int, int]]], group: list[int],
                    vectors: np.ndarray) -> Iterator[StoredDocument]:
    """The group's documents ready to store, given its units' vectors (rows in ``unit_texts`` order), with their
    chunks' vectors (length-weighted means of their units' vectors, rag.store.sentence_table.chunk_vectors)."""
    row = 0
    for d in group:
        doc, doc_chunks = by_doc[d]
        block = np.asarray(spans[d], dtype=np.int64).reshape(-1, 2)
        doc_vectors = vectors[row:row + len(block)]
        row += len(block)
        yield StoredDocument(doc, doc_chunks, block, doc_vectors, chunk_vectors(doc_chunks, block, doc_vectors))


def _embed_units(embedder: Embedder, by_doc: list[DocChunks], spans: list[list[tuple[int, int]]], batch: int,
                 progress: Progress | None, show: bool) -> Iterator[StoredDocument]:
    """Embed every answer unit of the new documents once, group by group (``unit_groups``) in the planned
    batches (``unit_batches``), and yield each document ready to store."""
    from tqdm import tqdm

    total = sum(len(s) for s in spans)
    done = 0
    with tqdm(total=total, desc="Embedding", unit="sentence", disable=not show, leave=False) as bar:
        for group in unit_groups(spans):
            texts = unit_texts(by_doc, spans, group)
            vectors = np.empty((len(texts), embedder.dim), np.float32)
            for ids in unit_batches(texts, batch, embedder.text_lengths(texts)):
                vectors[ids] = embedder.embed_array([texts[j] for j in ids])
                bar.update(len(ids))
                done += len(ids)
                if progress:
                    progress(done, total)
            yield from group_documents(by_doc, spans, group, vectors)


def _drop_copies(fresh: list[DocChunks], reused: set[str], previous: dict, report: IndexReport) -> list[DocChunks]:
    """Identical content is indexed once. A chunk id is a hash of the content's sha256 and the chunk's offsets
    (DESIGN.md: stable across renames and moves), so two files with the same bytes would share every chunk id and
    the store would keep one copy's chunks under both names (`rag index --check` then found it damaged). The copy
    already indexed, else the first by path, is kept; each other copy gets a note naming the one its answers cite,
    and a copy that was indexed before with other content counts as removed."""
    owner = {previous[s]["sha256"]: s for s in sorted(reused) if previous.get(s, {}).get("sha256")}
    dropped: set[str] = set()
    for doc, _ in sorted(fresh, key=lambda item: item[0].source):
        first = owner.setdefault(doc.sha256, doc.source)
        if first != doc.source:
            dropped.add(doc.source)
            report.notes.append(f"{shown(doc.source)}: same content as {shown(first)}; indexed once (answers cite "
                                f"{shown(first)})")
    for source in sorted(dropped):
        if source in report.added:
            report.added.remove(source)
        elif source in report.changed:
            report.changed.remove(source)
            report.removed.append(source)
    return [item for item in fresh if item[0].source not in dropped]


def stale_sources(manifest: dict) -> list[str]:
    """Notes on indexed files that changed or disappeared since indexing (not damage: the index is consistent)."""
    changed, missing = 0, 0
    for source, entry in manifest.get("documents", {}).items():
        if entry.get("parent"):  # an attachment: its file is the parent, checked on its own entry
            continue
        try:
            if file_sha256(Path(source)) != entry.get("sha256"):
                changed += 1
        except (OSError, LoadError):
            missing += 1
    notes = []
    if changed:
        notes.append(f"{changed} indexed file(s) changed since indexing; run `rag index` to update")
    if missing:
        notes.append(f"{missing} indexed file(s) no longer exist or cannot be read; run `rag index` to drop them")
    return notes


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _nothing_message(report: IndexReport) -> str:
    first = report.warnings[0] if report.warnings else None
    detail = f" (first problem: {first})" if first else ""
    return f"Nothing could be indexed{detail}; fix the files listed above and run `rag index` again."
