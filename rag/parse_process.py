"""Parsing of structured documents (PDF, .docx, HTML) in a separate process with a time and a memory limit.

A hostile file can make a parser run for minutes or allocate gigabytes (a .docx of a million empty paragraphs,
HTML of millions of tags, a PDF stream bomb). Those parsers are C extensions or pure-Python loops that a thread
cannot interrupt, so they run in one long-lived worker process (a fresh interpreter, ``python -m
rag.parse_process``, so it never inherits the chat server's threads and never re-runs the caller's main
module): the caller waits at most ``timeout`` seconds and then kills it; the worker's address space is
capped at what it had before the file arrived plus ``memory_bytes`` (RLIMIT_AS), so a file that needs more
fails with MemoryError in the worker, not in `rag index` or the server. The worker is restarted on the next
call after a kill or crash, and exits on its own after a parse that left it much larger (memory back to the OS).

Callers in several threads (the chat's uploads) take turns: each waits at most for the file in front of it,
which is bounded by the same limits. Questions never wait for a parse: they do not use this process.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from rag.archive_guard import timeout_error
from rag.errors import LoadError

STARTUP_TIMEOUT = 120.0  # spawning the worker and importing the parsers, once (seconds on a loaded machine)
GRACE = 1.0  # the worker stops itself at the deadline when it can; the kill comes this much later
RECYCLE_BYTES = 64 * 2**20  # a worker that grew by more than this after a parse exits to return the memory


@dataclass(frozen=True)
class ParseLimits:
    """Bounds on parsing one document (settings RAG_PARSE_TIMEOUT, RAG_PARSE_MEMORY_MB, RAG_MAX_EXPANDED_MB)."""

    timeout: float = 30.0
    memory_bytes: int = 256 * 2**20
    expanded_bytes: int = 50 * 2**20
    max_chars: int = 0  # the text size limit the format readers enforce (0: theirs); set by rag.ingest.loaders
    ocr: object = None  # rag.ingest.ocr.OcrConfig for scanned pages and images (None: the defaults)

    @classmethod
    def from_settings(cls, settings) -> ParseLimits:
        return cls(timeout=settings.parse_timeout, memory_bytes=int(settings.parse_memory_mb * 2**20),
                   expanded_bytes=int(settings.expanded_limit_mb * 2**20))


def memory_error(name: str, limits: ParseLimits) -> LoadError:
    return LoadError(name, f"needs more than {limits.memory_bytes / 2**20:.0f} MiB of memory to parse "
                           "(RAG_PARSE_MEMORY_MB); not loaded")


class ParserProcess:
    """One worker process, started on first use; ``parse`` is safe to call from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None  # the worker and its connection: set and cleared together
        self._conn: Connection | None = None

    def parse(self, kind: str, name: str, payload: bytes, limits: ParseLimits) -> tuple[str, tuple, dict]:
        """(text, pages, structure) of ``payload`` parsed as ``kind`` ("pdf", "docx", "html", "xlsx", ...: see
        rag.ingest.loaders.parse_structured); LoadError naming
        ``name``."""
        with self._lock:
            self._send(kind, name, payload, limits)
            conn = self._conn
            assert conn is not None  # _send returned, so the worker it handed the file to is running
            if not conn.poll(limits.timeout + GRACE):
                self._stop()
                raise timeout_error(name, limits.timeout)
            try:
                retiring, reply = conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise LoadError(name, f"stopped its parser (out of memory, over the "
                                      f"{limits.memory_bytes / 2**20:.0f} MiB of RAG_PARSE_MEMORY_MB, or a crash); "
                                      "not loaded") from None
            if retiring:  # it exits now to give its memory back; the next parse starts a fresh one
                self._stop()
        if reply[0] == "error":
            raise LoadError(name, reply[1])
        if reply[0] == "memory":
            raise memory_error(name, limits)
        return reply[1], reply[2], reply[3]

    def _send(self, kind: str, name: str, payload: bytes, limits: ParseLimits) -> None:
        for attempt in (1, 2):  # a worker that exited after its last parse is replaced once
            if self._process is None or self._process.poll() is not None:
                self._start(name)
            conn = self._conn
            assert conn is not None  # a worker is running (_start raises otherwise), so its connection is open
            try:
                conn.send((kind, name, limits))
                conn.send_bytes(payload)
                return
            except OSError:
                self._stop()
                if attempt == 2:
                    raise LoadError(name, "could not be handed to the parser process; not loaded") from None

    def _start(self, name: str) -> None:
        self._stop()
        ours, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path))
        with theirs:
            process = subprocess.Popen([sys.executable, "-m", "rag.parse_process", str(theirs.fileno())],
                                       pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._process, self._conn = process, Connection(ours.detach())
        try:
            ready = self._conn.poll(STARTUP_TIMEOUT) and self._conn.recv() == ("ready",)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._stop()
            raise LoadError(name, "was not parsed: the parser process did not start (python -m rag.parse_process); "
                                  "check the installation and try again")

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()  # reaped: its resource use is accounted to this process
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None

    def close(self) -> None:
        with self._lock:
            self._stop()


_WORKER = ParserProcess()
atexit.register(_WORKER.close)


def parse_isolated(kind: str, name: str, payload: bytes, limits: ParseLimits) -> tuple[str, tuple, dict]:
    """Parse in the shared worker process (see the module docstring)."""
    return _WORKER.parse(kind, name, payload, limits)


# --- the worker side ------------------------------------------------------------------------------------------

def _address_space() -> int:
    with open("/proc/self/statm", "rb") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _peak_address_space() -> int:
    with open("/proc/self/status", "rb") as handle:
        for line in handle:
            if line.startswith(b"VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0


def _ran_out_of_memory(start: int, peak_before: int, limits: ParseLimits) -> bool:
    """Whether a failed parse came near its memory limit. libxml2 reports a failed allocation as a vague
    XMLSyntaxError ("unknown error"), so the failure type alone cannot tell; a parse that pushed the process's
    peak address space up by half the budget or more is taken to have run out of memory."""
    peak = _peak_address_space()
    return peak > peak_before and peak >= start + limits.memory_bytes // 2


def worker_main(conn) -> None:
    import resource

    from rag.ingest import loaders

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle; it kills us
    loaders.import_parsers()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    start = _address_space()
    conn.send(("ready",))
    while True:
        try:
            kind, name, limits = conn.recv()
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        deadline = time.monotonic() + limits.timeout
        task_start, peak_before = _address_space(), _peak_address_space()
        resource.setrlimit(resource.RLIMIT_AS, (task_start + limits.memory_bytes, hard))
        try:
            reply = ("ok", *loaders.parse_structured(kind, name, payload, limits, deadline))
        except LoadError as err:
            reply = ("error", err.reason)
        except MemoryError:
            reply = ("memory",)
        except RecursionError:
            reply = ("error", "is nested too deeply to read; not loaded")
        except Exception as err:  # noqa: BLE001 - a parser's unexpected failure is this file's problem only
            reply = ("error", f"could not be parsed ({type(err).__name__}); not loaded")
        if reply[0] == "error" and _ran_out_of_memory(task_start, peak_before, limits):
            reply = ("memory",)
        del payload
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        retiring = reply[0] == "memory" or _address_space() > start + RECYCLE_BYTES
        conn.send((retiring, reply))
        if retiring:
            return


if __name__ == "__main__":
    worker_main(Connection(int(sys.argv[1])))
