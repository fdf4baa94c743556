"""Folders kept in sync with the index: `rag index --watch PATH` and `rag serve --watch PATH`.

A watchdog observer (inotify on Linux; a PollingObserver when inotify cannot be used, e.g. its watch limit is
reached, or when ``RAG_WATCH_POLLING`` asks for it) reports file events. Events are collected until none has come
for ``RAG_WATCH_DEBOUNCE`` seconds (at most ``MAX_WAIT`` after the first), then the index is updated through the
same ``index_paths`` as `rag index`, with the paths that were created, changed or moved in: only those files are
read and embedded. A file that was deleted or moved away is dropped by that same call (``index_paths`` drops every
indexed document whose file no longer exists), so its chunks are gone from search as soon as the new snapshot is
published; a running chat reloads it on its next question. Every update is a normal write: it takes the writer
lock (waiting for another writer, such as an upload, to finish) and publishes a complete snapshot atomically.

Hidden files and folders, unsupported file types and the index folder itself are ignored, and so are the
open/close-without-writing events the indexer's own reads cause.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from rag.errors import IndexLockedError, NothingIndexedError, RagError
from rag.ingest.loaders import SUPPORTED_SUFFIXES, shown
from rag.settings import Settings

POLL_SECONDS = 1.0
MAX_WAIT = 5.0  # a stream of events (a large copy) still gives an update this often
LOCK_WAIT = 60.0
IGNORED_EVENTS = {"opened", "closed_no_write"}

Echo = Callable[[str], None]


class _Changes:
    """Paths touched by file events, collected until the folders are quiet."""

    def __init__(self, roots: list[Path], ignored: list[Path]):
        self.roots = roots
        self.ignored = ignored
        self.paths: set[Path] = set()
        self.first = 0.0
        self.last = 0.0
        self.cond = threading.Condition()

    # watchdog calls ``dispatch`` on its own thread
    def dispatch(self, event) -> None:
        if event.event_type in IGNORED_EVENTS or (event.is_directory and event.event_type == "modified"):
            return
        paths = [event.src_path] + ([event.dest_path] if getattr(event, "dest_path", "") else [])
        wanted = [Path(p) for p in map(_text, paths) if self.relevant(Path(p), event.is_directory)]
        if not wanted:
            return
        with self.cond:
            now = time.monotonic()
            if not self.paths:
                self.first = now
            self.paths.update(wanted)
            self.last = now
            self.cond.notify_all()

    def relevant(self, path: Path, is_directory: bool) -> bool:
        root = next((r for r in self.roots if path == r or r in path.parents), None)
        if root is None or any(path == i or i in path.parents for i in self.ignored):
            return False
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            return False
        return is_directory or path.suffix.lower() in SUPPORTED_SUFFIXES

    def take(self, debounce: float, stop: threading.Event) -> set[Path]:
        """The next batch of paths, once no event has come for ``debounce`` seconds; empty when ``stop`` is set."""
        with self.cond:
            while not stop.is_set():
                if self.paths:
                    now = time.monotonic()
                    due = min(self.last + debounce, self.first + MAX_WAIT)
                    if now >= due:
                        batch, self.paths = self.paths, set()
                        return batch
                    self.cond.wait(due - now)
                else:
                    self.cond.wait(0.5)
        return set()

    def put_back(self, batch: set[Path]) -> None:
        with self.cond:
            if not self.paths:
                self.first = time.monotonic()
            self.paths.update(batch)
            self.last = time.monotonic()


def _text(path) -> str:
    return path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else str(path)


class Watcher:
    """Keeps the index at ``settings.index_dir`` in line with ``paths`` (folders, or single files) until stopped."""

    def __init__(self, paths: Iterable[Path], settings: Settings, embedder=None, echo: Echo = print, store=None):
        self.paths = [Path(p).resolve() for p in paths]
        self.settings = settings
        self.embedder = embedder
        self.store = store  # the server's store (its views see each update at once); None: the settings' store
        self.echo = echo
        self.stop_event = threading.Event()
        self.changes = _Changes(self.paths, [Path(settings.index_dir).resolve()])
        self.updates = 0

    def start(self) -> threading.Thread:
        """Run in a daemon thread (`rag serve --watch`)."""
        thread = threading.Thread(target=self.run, name="rag-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
        with self.changes.cond:
            self.changes.cond.notify_all()

    def run(self) -> None:
        """Watch, bring the index up to date once, then update it after every quiet spell until ``stop``."""
        observer = self._observer()
        try:
            self._apply(set(self.paths), initial=True)
            while not self.stop_event.is_set():
                batch = self.changes.take(self.settings.watch_debounce, self.stop_event)
                if batch:
                    self._apply(batch)
        finally:
            observer.stop()
            observer.join(timeout=10)

    def _observer(self):
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        how = f"polling every {POLL_SECONDS:g} s"
        if not self.settings.watch_polling:
            observer = Observer()
            try:
                self._schedule(observer)
                observer.start()
                self.echo(f"Watching {', '.join(shown(p) for p in self.paths)} for changes (inotify)")
                return observer
            except OSError as err:
                self.echo(f"note: inotify cannot watch these folders ({err.strerror or err}); {how} instead "
                          "(raise fs.inotify.max_user_watches, or set RAG_WATCH_POLLING=true to always poll)")
        observer = PollingObserver(timeout=POLL_SECONDS)
        self._schedule(observer)
        observer.start()
        self.echo(f"Watching {', '.join(shown(p) for p in self.paths)} for changes ({how})")
        return observer

    def _schedule(self, observer) -> None:
        for path in self.paths:
            folder = path if path.is_dir() else path.parent
            observer.schedule(self.changes, str(folder), recursive=path.is_dir())

    def _apply(self, batch: set[Path], initial: bool = False) -> None:
        """Index what exists of ``batch``; what no longer exists is dropped by the same call. When another writer
        holds the index past LOCK_WAIT the batch is kept for the next round."""
        existing = sorted(p for p in batch if p.exists())
        try:
            self._update(existing, initial)
        except IndexLockedError as err:
            self.echo(f"watch: {err} (will retry)")
            self.changes.put_back(batch)

    def _update(self, paths: list[Path], initial: bool = False) -> None:
        from rag.ingest.indexer import index_paths

        try:
            report = index_paths(paths, self.settings, embedder=self.embedder, lock_timeout=LOCK_WAIT,
                                 store=self.store)
        except IndexLockedError:
            raise
        except NothingIndexedError as err:
            if paths:
                self.echo(f"watch: {err}")
            return
        except RagError as err:
            self.echo(f"watch: {err}")
            return
        except Exception as err:  # the watcher must outlive one bad update; say what happened, keep watching
            self.echo(f"watch: update failed ({type(err).__name__}: {err}); will try again on the next change")
            return
        self.updates += 1
        for warning in report.warnings:
            self.echo(f"skipped {warning}")
        for note in report.notes:
            self.echo(f"note: {note}")
        if initial or report.added or report.changed or report.removed:
            self.echo(f"watch: {report.summary()}")
