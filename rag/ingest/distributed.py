"""`rag index --ray`: parse files and embed their answer units on a Ray cluster (Ray Data), write here.

This process lists the files and compares them with the store exactly as the single-process path does
(rag.ingest.indexer.index_paths, which also writes through the configured store's writer, FAISS snapshot or
PostgreSQL, under its lock, as one atomic change). Only the two costly steps run in Ray:

- parse: the files to (re)load become a dataset; ``map`` runs rag.ingest.parse.parse_file (load + chunk, the
  function the local parsing pool runs) in Ray tasks;
- embed: the batches of unit texts that rag.ingest.indexer plans (``unit_groups``, ``unit_batches``) become a
  dataset; ``map_batches`` runs them through the embedder in a pool of actors, one per CPU of the cluster, each
  building its embedder once (one ONNX Runtime or torch thread each).

Same result as the single-process path: with int8 weights a unit's vector depends on the other texts of its
batch, so this process plans exactly the batches the single-process path embeds, each actor call embeds one
planned batch, and the results are read back in order.

Files are read by the workers at the path given here: on a cluster of several machines they must live on a
shared filesystem at the same path, and every node needs this package installed. Ray is imported only here, and
this module only for `--ray` (and the Ray ingestion bench).
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import re
import socket
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np

from rag import errors
from rag.embedding import Embedder, model_id_for
from rag.errors import ConfigError, LoadError, RagError
from rag.ingest.indexer import DocChunks, Progress, group_documents, unit_batches, unit_groups, unit_texts
from rag.ingest.parse import Parsed, ParseOptions, parse_file
from rag.settings import Settings
from rag.store import StoredDocument

EXTRA_HINT = "pip install -e '.[scale]'"
BATCHES_PER_BLOCK = 4  # planned batches per Ray Data block: small blocks keep every actor busy to the end
FILES_PER_BLOCK = 16  # files per parse block (a few blocks per worker balance uneven files)


def import_ray():
    """The ``ray`` module with Ray Data, or one clear error naming the extra that provides it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ConfigError(f"--ray needs Ray Data, which is not installed; install the scale extra: {EXTRA_HINT}"
                          ) from None
    return ray


@contextmanager
def ray_pipeline(address: str | None, num_cpus: int | None = None) -> Iterator[RayPipeline]:
    """Connect to Ray for one command and disconnect after it (a Ray started here stops with it).

    ``auto``: the cluster RAY_ADDRESS names (connected to as an explicit address, never replaced by a local one),
    else a Ray already running on this machine (Ray's own discovery: ``ray start``, or any running instance),
    else a new local Ray on this machine's cores; None: a new local Ray with ``num_cpus`` CPUs (default: all),
    whatever else runs; anything else: that cluster's head, ``HOST:PORT`` (its GCS port, 6379 by default).
    Ray Client addresses (``ray://``) need Ray's client extra, which the scale extra does not install.

    Token authentication (on for a local Ray a program starts, and for ``ray start --head`` once a token exists):
    Ray sends this machine's token (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token) to a cluster it
    discovered itself, but to an explicit address only with RAY_AUTH_MODE=token; a missing or refused token is one
    line saying so."""
    ray = import_ray()
    # Process-wide Ray settings live here, the one entry point that starts Ray: no usage-stats reporting (often
    # offline), and Ray's own logging kept to errors so `rag index` prints its usual lines.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    options = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    shown = address
    if address == "auto" and os.environ.get("RAY_ADDRESS"):
        address = os.environ["RAY_ADDRESS"]
        shown = f"auto (RAY_ADDRESS={address})"
    if address is None:
        _init(ray, shown, address="local", num_cpus=num_cpus, **options)
    elif address == "auto":
        if not _connect(ray, "auto", shown, options):
            _init(ray, shown, address="local", num_cpus=num_cpus, **options)
    else:
        _probe(address, shown)
        _connect(ray, address, shown, options)
    try:
        yield RayPipeline()
    finally:
        ray.shutdown()


def _init(ray, shown: str | None, **options) -> None:
    try:
        ray.init(**options)
    except Exception as err:  # noqa: BLE001 - Ray raises several types when it cannot start
        raise ConfigError(f"--ray {shown or 'local'}: cannot start a local Ray ({_summary(err)}).") from None


def _connect(ray, address: str, shown: str | None, options: dict) -> bool:
    """``ray.init(address=...)``; False when ``address`` is ``auto`` and no Ray runs on this machine. Ray's core
    writes its retries to the process's stderr (one line a second, for about 20 s, when a token is refused):
    those lines are held back and read for the reason, so a failure is one line."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            ray.init(address=address, **options)
            return True
        except Exception as err:  # noqa: BLE001 - Ray raises several types for an unreachable or bad address
            failure: Exception = err
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        noise = sink.read().decode("utf-8", "replace")
    if address == "auto" and isinstance(failure, ConnectionError) and NO_CLUSTER in str(failure):
        return False
    if "InvalidAuthToken" in noise or "InvalidAuthToken" in str(failure) or "AuthenticationError" in repr(failure):
        raise ConfigError(f"--ray {shown}: the cluster asks for Ray's authentication token (none was sent, or not its "
                          "own); set RAY_AUTH_MODE=token and the cluster's token in RAY_AUTH_TOKEN (or a file named "
                          "by RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token); `ray get-auth-token` on the head prints "
                          "it.") from None
    raise ConfigError(f"--ray {shown}: cannot connect to a Ray cluster ({_summary(failure)}); start one with "
                      "`ray start --head` and pass its address, or use --ray auto.") from None


NO_CLUSTER = "Could not find any running Ray instance"


def _probe(address: str, shown: str | None = None, timeout: float = 5.0) -> None:
    """Fail fast on an address nothing listens at (Ray itself retries for minutes)."""
    shown = shown or address
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--ray {shown}: not a Ray address; use auto or HOST:PORT (the head's GCS port, 6379 by "
                          "default).")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise ConfigError(f"--ray {shown}: cannot connect to a Ray cluster ({err.strerror or err}); start one "
                          "with `ray start --head` and pass its address, or use --ray auto.") from None


class RayPipeline:
    """A rag.ingest.indexer.Pipeline on the Ray cluster this process is connected to (``ray.init`` done)."""

    def __init__(self):
        ray = import_ray()
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)  # its errors reach the user as ours
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        context.execution_options.preserve_order = True
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))

    def parse(self, paths: list[Path], settings: Settings, show_progress: bool) -> Iterator[Parsed]:
        """rag.ingest.parse.parse_file of each path in Ray tasks; yielded in the order of ``paths``."""
        if not paths:
            return
        from tqdm import tqdm

        ray = import_ray()
        rows = [{"i": i, "path": str(path)} for i, path in enumerate(paths)]
        blocks = min(len(rows), max(self.workers, math.ceil(len(rows) / FILES_PER_BLOCK)))
        dataset = ray.data.from_items(rows, override_num_blocks=blocks)
        parsed = dataset.map(partial(_parse_row, options=ParseOptions.from_settings(settings)), num_cpus=1)
        with tqdm(total=len(rows), desc="Parsing", unit=" files", disable=not show_progress, leave=False,
                  smoothing=0.1) as bar:
            for i, row in enumerate(_run(parsed.iter_rows)):
                if row["i"] != i:
                    raise RagError(f"Ray ingestion failed: file {row['i']} came back where file {i} was expected")
                bar.update()
                yield pickle.loads(row["result"])

    def embed(self, embedder: Embedder, by_doc: list[DocChunks], spans: list[list[tuple[int, int]]],
              settings: Settings, progress: Progress | None, show: bool) -> Iterator[StoredDocument]:
        """The planned batches embedded by the actor pool, put back in order group by group."""
        if embedder.model_id != model_id_for(settings):
            raise ValueError(f"Ray actors build the embedder from the settings ({model_id_for(settings)}), "
                             f"not {embedder.model_id}")
        from tqdm import tqdm

        groups = list(unit_groups(spans))
        plan: list[tuple[int, list[int]]] = []  # per batch: (group, positions of its texts in the group's texts)
        batches: list[list[str]] = []
        for g, group in enumerate(groups):
            texts = unit_texts(by_doc, spans, group)
            for ids in unit_batches(texts, settings.embed_batch_size, embedder.text_lengths(texts)):
                plan.append((g, ids))
                batches.append([texts[j] for j in ids])
        results = self._embed_batches(batches, settings) if batches else iter(())
        total, done, r = sum(len(s) for s in spans), 0, 0
        with tqdm(total=total, desc="Embedding", unit="sentence", disable=not show, leave=False) as bar:
            for g, group in enumerate(groups):
                vectors = np.empty((sum(len(spans[d]) for d in group), embedder.dim), np.float32)
                while r < len(plan) and plan[r][0] == g:
                    row = next(results)
                    if row["error"]:
                        raise _rag_error(row["error"])
                    if row["r"] != r:
                        raise RagError(f"Ray ingestion failed: batch {row['r']} came back where batch {r} was "
                                       "expected")
                    ids = plan[r][1]
                    vectors[ids] = np.frombuffer(row["vectors"], np.float32).reshape(len(ids), embedder.dim)
                    r += 1
                    bar.update(len(ids))
                    done += len(ids)
                    if progress:
                        progress(done, total)
                yield from group_documents(by_doc, spans, group, vectors)

    def _embed_batches(self, batches: list[list[str]], settings: Settings) -> Iterator[dict]:
        """Rows ``{"r", "vectors", "error"}`` in batch order, from the actor pool (one planned batch per call)."""
        ray = import_ray()
        rows = [{"r": r, "texts": texts} for r, texts in enumerate(batches)]
        blocks = max(min(len(rows), self.workers), math.ceil(len(rows) / BATCHES_PER_BLOCK))
        actor = embed_actor(settings.model_copy(update={"torch_threads": 1}))
        # max_restarts=0: an actor that dies fails the run with its error instead of being restarted forever
        # (Ray Data's default, which also logs a warning about it on every run). Ray has no named parameter for it
        # yet and flags the keyword as deprecated (removed in 2.64, hence the version range of the extra).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            embedded = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
                actor, batch_size=1, batch_format="numpy", num_cpus=1, max_restarts=0,
                compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(rows))))
        return _run(embedded.iter_rows)


def _parse_row(row: dict, options: ParseOptions) -> dict:
    """Ray task body: load and chunk one file with the local pool's function; the rag.ingest.parse.Parsed travels
    pickled (documents, chunks and LoadErrors pickle; Ray Data would otherwise try to make Arrow columns of
    them)."""
    from rag.runtime import configure

    configure()  # a Ray worker is a fresh interpreter: offline model loading, the regex cache pysbd needs
    return {"i": row["i"], "result": pickle.dumps(parse_file(row["path"], options))}


def embed_actor(settings: Settings) -> type:
    """The Ray actor class: builds the embedder of ``settings`` once, then embeds one planned batch of unit texts
    per row. (The settings travel inside the class, not as constructor arguments, which Ray would keep in its
    object store and warn about.)"""

    class EmbedBatches:
        def __init__(self):
            from rag.embedding import make_embedder
            from rag.runtime import configure

            configure(settings)
            self.embedder = make_embedder(settings)

        def __call__(self, batch: dict) -> dict:
            n = len(batch["r"])
            try:
                vectors = [np.ascontiguousarray(self.embedder.embed_array([str(t) for t in texts]), np.float32)
                           .tobytes() for texts in batch["texts"]]
                error = ""
            except RagError as err:  # travels as data: Ray would wrap it in a traceback the driver cannot unwrap
                vectors, error = [b""] * n, f"{type(err).__name__}\t{err}"
            return {"r": batch["r"], "vectors": np.array(vectors, dtype=object),
                    "error": np.array([error] * n, dtype=object)}

    return EmbedBatches


def _run(iterate) -> Iterator[dict]:
    """Rows of a Ray Data execution; a failure inside Ray becomes one line naming the original exception."""
    try:
        yield from iterate()
    except RagError:
        raise
    except Exception as err:  # noqa: BLE001 - Ray wraps worker errors in its own exception types
        raise RagError(f"Ray ingestion failed: {_summary(err)}") from None


def _rag_error(text: str) -> RagError:
    """The RagError an actor reported as ``ClassName<TAB>message``."""
    name, _, message = text.partition("\t")
    cls = getattr(errors, name, RagError)
    if not (isinstance(cls, type) and issubclass(cls, RagError)) or cls is LoadError:
        cls = RagError
    return cls(message)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b[^:]*: \S")


def _summary(err: BaseException) -> str:
    """The original exception's line from a Ray error's text (which embeds the remote traceback), else its last
    line."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    found = [line for line in lines if _EXCEPTION_LINE.match(line)]
    return (found or lines or [type(err).__name__])[0 if found else -1]
