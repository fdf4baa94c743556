"""The default store: a folder of immutable snapshots (FAISS + BM25 + texts + unit vectors), no server needed.

Readers get the published snapshot (reloaded when a writer publishes a new one); a writer builds the next
snapshot in a temporary folder under an exclusive file lock and publishes it with an atomic symlink swap
(rag/store/snapshot.py), so a crash at any moment leaves the old or the new state.
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.errors import IndexMismatchError, IndexWriteError
from rag.store.base import CheckReport, RepairReport, StoredDocument
from rag.store.locking import writer_lock
from rag.store.sentence_table import SentenceTableWriter
from rag.store.snapshot import (
    CURRENT,
    FORMAT_VERSION,
    DenseIndexBuilder,
    IndexSnapshot,
    load_snapshot,
    new_snapshot_dir,
    read_manifest,
    write_snapshot,
)

if TYPE_CHECKING:
    from rag.settings import Settings


class FaissStore:
    """``Store`` over an index folder. ``dense_settings`` carries the FAISS HNSW settings (faiss_hnsw_*)."""

    def __init__(self, index_dir: Path, dense_settings: Settings | None = None):
        self.index_dir = Path(index_dir)
        self.location = str(self.index_dir)
        self.dense_settings = dense_settings
        self._view: IndexSnapshot | None = None
        self._target: str | None = None
        self._lock = threading.Lock()

    def _link_target(self) -> str | None:
        try:
            return os.readlink(self.index_dir / CURRENT)
        except OSError:
            return None

    def view(self) -> IndexSnapshot:
        """The published snapshot; checked on every call, reloaded when a writer has published a new one."""
        target = self._link_target()
        if self._view is None or target != self._target:
            with self._lock:
                if self._view is None or target != self._target:
                    self._view, self._target = load_snapshot(self.index_dir), target
        return self._view

    def manifest(self) -> dict | None:
        return read_manifest(self.index_dir)

    @contextmanager
    def writer(self, lock_timeout: float = 0.0) -> Iterator[SnapshotWriter]:
        with writer_lock(self.index_dir, lock_timeout):
            yield SnapshotWriter(self)

    def check(self) -> CheckReport:
        from rag.store.integrity import check_index

        return check_index(self.index_dir)

    def repair(self, rebuild, lock_timeout: float = 0.0) -> RepairReport:
        from rag.store.integrity import repair_index

        return repair_index(self.index_dir, rebuild, lock_timeout)


class _ProducerError(Exception):
    """An exception of the documents' producer (loading, embedding), carried past the write-failure handler."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def _produced(items: Iterable[StoredDocument]) -> Iterator[StoredDocument]:
    it = iter(items)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except OSError as err:
            raise _ProducerError(err) from err
        yield item


def write_failure(index_dir: Path, err: OSError) -> str:
    """The one-line message for a snapshot that could not be written."""
    where = Path(index_dir)
    if err.errno == errno.ENOSPC:
        try:
            free = f" ({shutil.disk_usage(where).free // 2**20} MB free)"
        except OSError:
            free = ""
        cause = f"the disk holding {where} is full{free}"
    else:
        cause = f"writing in {where} failed: {err.strerror or err}"
    return (f"The new index could not be written: {cause}. The index as it was is unchanged and still answers; "
            "free some space there or set RAG_INDEX_DIR to a folder with room, then run `rag index` again.")


class SnapshotWriter:
    """A ``StoreWriter``: builds the next snapshot from kept documents of the current one plus new ones."""

    def __init__(self, store: FaissStore):
        self.store = store
        self._manifest = read_manifest(store.index_dir)
        self._previous: IndexSnapshot | None = None

    @property
    def manifest(self) -> dict | None:
        if self._manifest is not None and self._manifest.get("format", 1) < FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index in {self.store.location} was written by an earlier version of rag; rebuild it with "
                "`rag index --rebuild` (add the folders you indexed)."
            )
        return self._manifest

    def previous(self) -> IndexSnapshot | None:
        if self._previous is None and self.manifest is not None:
            self._previous = load_snapshot(self.store.index_dir)
        return self._previous

    def write(self, keep: Sequence[str], new: Iterable[StoredDocument], manifest: dict, *, n_new_units: int,
              n_new_chunks: int) -> None:
        old = self.previous() if keep else None
        kept = sorted(s for s in keep if old is not None and s in old.docs)
        kept_set = set(kept)
        keys = [k for k, c in enumerate(old.chunks) if c.source in kept_set] if old is not None else []
        n_kept_rows = sum(len(old.sentences.block(s)[0]) for s in kept) if old is not None else 0
        n_rows = n_kept_rows + n_new_units
        dim = int(manifest["embedding"]["dim"])
        tmp: Path | None = None
        try:
            tmp = new_snapshot_dir(self.store.index_dir)
            table = SentenceTableWriter(tmp, n_rows, dim)
            dense = DenseIndexBuilder(dim, len(keys) + n_new_chunks, self.store.dense_settings)
            docs, chunks = [], []
            if old is not None and kept:
                chunks.extend(old.chunks[k] for k in keys)
                dense.add(old.chunk_vectors(keys))
                docs.extend(old.docs[s] for s in kept)
                for source in kept:
                    table.append(source, *old.sentences.block(source))
            for item in _produced(new):
                table.append(item.document.source, item.unit_spans, item.unit_vectors)
                dense.add(np.asarray(item.chunk_vectors, np.float32))
                docs.append(item.document)
                chunks.extend(item.chunks)
            table.close()
            del old
            self._previous = None
            counts: dict[str, int] = {}
            for c in chunks:
                counts[c.source] = counts.get(c.source, 0) + 1
            manifest = dict(manifest, documents={
                d.source: {"sha256": d.sha256, "chunks": counts.get(d.source, 0), "chars": len(d.text),
                           **({"parent": d.parent} if d.parent else {})} for d in docs  # an attachment's file
            })
            write_snapshot(self.store.index_dir, tmp, manifest, docs, chunks, dense)
        except (OSError, _ProducerError) as err:  # a full disk, a read-only folder: the published snapshot stays
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(err, _ProducerError):
                raise err.error from None  # not a write: what loading or embedding the new documents raised
            raise IndexWriteError(write_failure(self.store.index_dir, err)) from None
        self._manifest = read_manifest(self.store.index_dir)
