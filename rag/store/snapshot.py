"""The on-disk index: a LangChain FAISS store (vectors + docstore), a BM25 side index and the loaded texts.

This is the only module that touches FAISS. Layout under the index dir:

    current -> snapshots/<id>         symlink, swapped atomically when a write commits
    snapshots/<id>/manifest.json      model id + dim, chunking, per-document sha256, versions
    snapshots/<id>/faiss/             LangChain FAISS.save_local (index.faiss, index.pkl)
    snapshots/<id>/bm25/              bm25s index over content terms
    snapshots/<id>/docs.jsonl         every document's loaded text, which all offsets refer to
    snapshots/<id>/sentences/         every sentence's vector, float16 (rag.store.sentence_table)

A snapshot is written completely in a temporary folder, fsynced, renamed, and only then published by
replacing the ``current`` symlink, so a crash at any moment leaves either the old or the new index.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from rag.store.sentence_table import SentenceTable
from rag.text import content_terms, index_text
from rag.types import Chunk, Document

if TYPE_CHECKING:
    from rag.settings import Settings

# 2: sentence vectors stored (rag.store.sentence_table); 3: answer units and section paths (rag.ingest.structure).
# An index of an older format is refused with advice to rebuild it (`rag index --rebuild`).
FORMAT_VERSION = 3
CURRENT = "current"
SNAPSHOTS = "snapshots"


class IndexSnapshot:
    """One committed, read-only version of the index, fully loaded in memory (a ``StoreView``).

    Chunk keys are positions in the FAISS index."""

    def __init__(self, path: Path, manifest: dict, vectorstore, chunks: list[Chunk], docs: dict[str, Document], bm25,
                 sentences: SentenceTable):
        self.path = path
        self.sentences = sentences
        self.manifest = manifest
        self.vectorstore = vectorstore
        self.chunks = chunks
        self.docs = docs
        self.bm25 = bm25
        self._term_stats: BM25TermStats | None = None

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    def chunk(self, key: int) -> Chunk:
        return self.chunks[key]

    def iter_chunks(self) -> Iterator[tuple[int, Chunk]]:
        return enumerate(self.chunks)

    def document(self, source: str) -> Document:
        return self.docs[source]

    def documents(self) -> Mapping[str, Document]:
        return MappingProxyType(self.docs)

    def chunk_vectors(self, keys: Sequence[int] | None = None) -> np.ndarray:
        """Chunk vectors at ``keys`` (all of them when None)."""
        index = self.vectorstore.index
        if keys is None:
            return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), np.float32)
        if not len(keys):
            return np.zeros((0, index.d), np.float32)
        return np.vstack([index.reconstruct(int(k)) for k in keys])

    def unit_vectors(self, source: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        found = [self.sentences.row(source, start, end) for start, end in spans]
        rows = [row for row in found if row is not None]
        if len(rows) < len(found):
            raise KeyError(f"{source}: an answer unit has no stored vector")
        return np.asarray(self.sentences.vectors[rows], dtype=np.float32).reshape(len(rows), -1)

    def best_unit_scores(self, keys: Sequence[int], query_vector: np.ndarray) -> np.ndarray:
        return self.sentences.best_sentence_scores([self.chunks[k] for k in keys], query_vector)

    def term_stats(self) -> BM25TermStats:
        if self._term_stats is None:
            self._term_stats = BM25TermStats(self.bm25, self.n_chunks)
        return self._term_stats

    def stats(self) -> dict:
        return {"backend": "faiss", "location": str(self.path), "n_documents": len(self.docs),
                "n_chunks": self.n_chunks, "n_units": len(self.sentences),
                "dense_index": self.manifest.get("dense_index", {"type": "flat"})}

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        index = self.vectorstore.index
        if index.ntotal == 0:
            return []
        with _one_omp_thread():
            scores, ids = index.search(np.asarray(query_vector, dtype=np.float32).reshape(1, -1),
                                       min(k, index.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def keyword_search(self, query: str, k: int) -> list[tuple[int, float]]:
        if self.bm25 is None or not self.chunks:
            return []
        vocab = self.bm25.vocab_dict
        terms = [t for t in content_terms(query) if t in vocab]
        if not terms:
            return []
        # get_scores + a partial sort: 1 ms at 100k chunks, where bm25s.retrieve took 16-20 ms (its thread pool
        # and progress machinery cost more than the scoring itself); same top k.
        scores = self.bm25.get_scores(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties by position, so results are repeatable
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


class BM25TermStats:
    """Document frequencies read from the bm25s index (its CSC matrix: column pointers per term)."""

    def __init__(self, bm25, n_chunks: int):
        self.n_chunks = n_chunks
        self._vocab = bm25.vocab_dict if bm25 is not None else {}
        indptr = bm25.scores["indptr"] if bm25 is not None else np.zeros(1, dtype=np.int64)
        self._df = np.diff(indptr)

    def document_frequency(self, term: str) -> int:
        i = self._vocab.get(term)
        return int(self._df[i]) if i is not None and i < len(self._df) else 0


class _NoEmbeddings(Embeddings):
    """Stands in for LangChain's embedding function: the store never embeds (vectors come in ready-made and
    queries arrive as vectors), and LangChain's FAISS warns when given None."""

    def embed_documents(self, texts):
        raise RuntimeError("the store does not embed")

    def embed_query(self, text):
        raise RuntimeError("the store does not embed")


def current_path(index_dir: Path) -> Path | None:
    link = Path(index_dir) / CURRENT
    if not link.exists():
        return None
    return link.resolve()


def load_snapshot(index_dir: Path, embeddings=None) -> IndexSnapshot:
    """Load the committed index; IndexMissingError when there is none."""
    path = current_path(index_dir)
    if path is None:
        raise IndexMissingError(f"No index in {index_dir}; build one with `rag index [PATH ...]`.")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format", 1) < FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index in {index_dir} was written by an earlier version of rag; rebuild it with "
                "`rag index --rebuild` (add the folders you indexed)."
            )
        return _load(path, embeddings)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
        raise IndexCorruptError(
            f"The index in {index_dir} cannot be read ({type(err).__name__}: {err}); run `rag index --repair`."
        ) from None


def snapshot_dirs(index_dir: Path) -> list[Path]:
    """Finished snapshot folders (not temporaries), newest first; used by the integrity check and repair."""
    folder = Path(index_dir) / SNAPSHOTS
    if not folder.is_dir():
        return []
    # Ids have one-second resolution, so two writes in the same second are ordered by when the manifest
    # (written last) was written.
    return sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: (p.name[:15], _mtime_ns(p / "manifest.json"), p.name), reverse=True)


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def open_snapshot(path: Path, embeddings=None) -> IndexSnapshot:
    """Load one snapshot folder as it is (no error translation): the integrity check inspects any snapshot."""
    return _load(Path(path), embeddings)


def publish_snapshot(index_dir: Path, snapshot: Path) -> None:
    """Point ``current`` at an existing snapshot atomically (repair falls back to an older valid one)."""
    _publish(Path(index_dir), Path(snapshot))


def read_manifest(index_dir: Path) -> dict | None:
    path = current_path(index_dir)
    if path is None:
        return None
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _load(path: Path, embeddings) -> IndexSnapshot:
    import bm25s
    from langchain_community.vectorstores import FAISS

    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    vectorstore = FAISS.load_local(  # allow_dangerous_deserialization: our own file, written by us
        str(path / "faiss"), embeddings or _NoEmbeddings(), allow_dangerous_deserialization=True
    )
    _tune(vectorstore.index, manifest)
    chunks: list[Chunk] = []
    for position in range(vectorstore.index.ntotal):
        doc = vectorstore.docstore.search(vectorstore.index_to_docstore_id[position])
        if isinstance(doc, str):  # the docstore's "ID ... not found." message
            raise ValueError(f"{path.name}: chunk {position} has no entry in faiss/index.pkl ({doc})")
        chunks.append(Chunk.from_metadata(doc.page_content, doc.metadata))
    docs: dict[str, Document] = {}
    with open(path / "docs.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            docs[row["source"]] = Document(
                row["source"], row["text"], row["sha256"], tuple(tuple(p) for p in row.get("pages", ())),
                tuple((int(o), str(p)) for o, p in row.get("sections", ())),
                ocr_pages=tuple(int(n) for n in row.get("ocr_pages", ())), parent=row.get("parent"),
            )
    bm25 = bm25s.BM25.load(str(path / "bm25")) if chunks else None
    sentences = SentenceTable.load(path)
    if sentences is None:
        raise ValueError(f"{path.name} has no sentence table")
    return IndexSnapshot(path, manifest, vectorstore, chunks, docs, bm25, sentences)


def make_dense_index(dim: int, n: int, settings: Settings | None = None):
    """Exact inner-product search below ``settings.faiss_hnsw_threshold`` chunks, HNSW graph search from there.

    Why 50k: a flat search reads every vector (100k x 384 floats = 150 MB) and took 18 ms per query on one core
    at 100k chunks, most of the 30 ms budget of a question; HNSW (M=32, efSearch=512) took 2.3 ms there with
    recall@10 0.994 against exact search over 100 real questions (efSearch 256: 0.984, 1.4 ms). `rag bench`
    reports both for every size.
    Returns (index, description for the manifest).
    """
    import faiss

    if settings is None or n < settings.faiss_hnsw_threshold:
        return faiss.IndexFlatIP(dim), {"type": "flat"}
    m, ef_search = settings.faiss_hnsw_m, settings.faiss_hnsw_ef_search
    index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = max(2 * m, 80)
    index.hnsw.efSearch = ef_search
    return index, {"type": "hnsw", "m": m, "ef_construction": index.hnsw.efConstruction, "ef_search": ef_search}


class DenseIndexBuilder:
    """A dense index filled block by block while a build embeds, so the full vector matrix is never held twice
    (100k chunks x 384 floats is 150 MB). ``write_snapshot`` saves it."""

    def __init__(self, dim: int, n: int, settings: Settings | None = None):
        self.dim = dim
        self.index, self.info = make_dense_index(dim, n, settings)

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim))


@contextmanager
def _one_omp_thread() -> Iterator[None]:
    """Run a FAISS search on one OpenMP thread, then restore the caller's setting.

    One query vector at a time gains nothing from OpenMP, and its spin-waiting threads made a flat search 20-40x
    slower on a busy 2-core machine (10k chunks: 20 ms with 2 threads vs 0.5 ms with 1; `rag bench`). The setting
    is the calling thread's OpenMP thread count, which torch shares when it loaded the same OpenMP runtime first
    (then after faiss.omp_set_num_threads(1), torch.get_num_threads() is 1): set once for the whole process, it
    left torch single-threaded (in `rag bench`, the LangChain recipe's ingest), and threads other than the one
    that set it were not single-threaded at all."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _tune(index, manifest: dict) -> None:
    info = manifest.get("dense_index") or {}
    if info.get("type") == "hnsw" and hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(info.get("ef_search", index.hnsw.efSearch))


def new_snapshot_dir(index_dir: Path) -> Path:
    """A fresh temporary snapshot folder; ``write_snapshot(..., tmp=)`` completes and publishes it. One that is
    never published (a crash, an error) is removed by the next write."""
    snapshots = Path(index_dir) / SNAPSHOTS
    snapshots.mkdir(parents=True, exist_ok=True)
    tmp = snapshots / f".tmp-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def write_snapshot(
    index_dir: Path, tmp: Path, manifest: dict, docs: list[Document], chunks: list[Chunk], dense: DenseIndexBuilder,
    embeddings=None,
) -> Path:
    """Complete the snapshot being written in ``tmp`` (from ``new_snapshot_dir``; it already holds the sentence
    table) and publish it atomically. Returns the snapshot folder."""
    import bm25s
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy
    from langchain_core.documents import Document as LCDocument

    index_dir = Path(index_dir)
    snapshots = index_dir / SNAPSHOTS
    tmp = Path(tmp)
    snap_id = tmp.name[len(".tmp-"):]

    index = dense.index
    if index.ntotal != len(chunks):
        raise ValueError(f"{index.ntotal} vectors for {len(chunks)} chunks")
    manifest = dict(manifest, dense_index=dense.info)
    docstore = InMemoryDocstore(
        {c.chunk_id: LCDocument(page_content=c.text, metadata=c.metadata(), id=c.chunk_id) for c in chunks}
    )
    vectorstore = FAISS(
        embedding_function=embeddings or _NoEmbeddings(),
        index=index,
        docstore=docstore,
        index_to_docstore_id={i: c.chunk_id for i, c in enumerate(chunks)},
        distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
    )
    vectorstore.save_local(str(tmp / "faiss"))

    if chunks:
        bm25 = bm25s.BM25()
        same: dict[str, str] = {}  # one str object per distinct term: 100k chunks hold ~7M term occurrences
        terms = (content_terms(index_text(c.section, c.text)) for c in chunks)  # under its section path
        bm25.index([[same.setdefault(t, t) for t in chunk_terms] or ["\u2205"] for chunk_terms in terms],
                   show_progress=False)
        bm25.save(str(tmp / "bm25"))

    with open(tmp / "docs.jsonl", "w", encoding="utf-8") as handle:
        for doc in docs:
            row = {"source": doc.source, "sha256": doc.sha256, "text": doc.text, "pages": [list(p) for p in doc.pages],
                   "sections": [list(p) for p in doc.sections]}
            row.update({k: v for k, v in (("ocr_pages", list(doc.ocr_pages)), ("parent", doc.parent)) if v})
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    manifest = dict(manifest, format=FORMAT_VERSION, snapshot=snap_id, n_chunks=len(chunks), n_documents=len(docs))
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    _fsync_tree(tmp)

    final = snapshots / snap_id
    os.rename(tmp, final)
    replaced = current_path(index_dir)  # readers may still be loading it: keep it until the next write
    _publish(index_dir, final)
    _prune(index_dir, keep={final.name} | ({replaced.name} if replaced is not None else set()))
    return final


def _publish(index_dir: Path, snapshot: Path) -> None:
    link_tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(snapshot, index_dir), link_tmp)
    os.replace(link_tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Remove every snapshot and abandoned temporary except ``keep`` (the new one and the one it replaced,
    which open readers may still be loading). Chosen explicitly, not by name: ids have one-second resolution
    and an interrupted write can leave a newer, never-published snapshot."""
    snapshots = index_dir / SNAPSHOTS
    for entry in snapshots.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
    for stray in index_dir.glob(f".{CURRENT}.*"):
        stray.unlink(missing_ok=True)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
