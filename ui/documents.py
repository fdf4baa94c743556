"""The documents panel's logic, free of Gradio: save uploads safely, index them, delete, describe the index.

Uploads are copied under ``settings.data_dir/uploads`` with sanitised names (no directories, no path
traversal, no hidden files, de-duplicated), checked against the size limit and loaded once before indexing,
so a bad file is reported by name and never reaches (or damages) the index.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import IndexMissingError, LoadError, RagError
from rag.ingest.loaders import SUPPORTED_SUFFIXES, file_sha256, load
from rag.parse_process import ParseLimits
from rag.safe_read import read_bytes_bounded
from rag.settings import Settings

_ODD = re.compile(r"[^A-Za-z0-9._ -]+")
_RUNS = re.compile(r"[_ ]{2,}")
MAX_NAME = 120
Progress = Callable[[int, int], None]


def uploads_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "uploads"


def sanitize_filename(name: str) -> str:
    """A safe base name: directories dropped (``../../x`` -> ``x``), odd characters replaced, never hidden."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = _RUNS.sub("_", _ODD.sub("_", base)).strip(" ._-")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" ._-") or "upload"
    suffix = suffix.lower()[:10]
    stem = stem[: MAX_NAME - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def unique_destination(folder: Path, name: str, sha256: str) -> tuple[Path, bool]:
    """Where to store a file named ``name``: the same path if an identical file is there (second value True),
    otherwise the first free ``stem-N.suffix``."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    n = 1
    while candidate.exists():
        if candidate.is_file() and file_sha256(candidate) == sha256:
            return candidate, True
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate, False


@dataclass
class UploadResult:
    indexed: list[str] = field(default_factory=list)  # display names
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one sentence each, naming the file
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def save_upload(src: Path, display: str, settings: Settings) -> Path:
    """Copy one uploaded file into the uploads folder after checking it; LoadError(display, reason) if bad."""
    src = Path(src)
    limit = settings.max_upload_mb * 2**20
    size = src.stat().st_size
    if size > limit:
        raise LoadError(display, f"is {size / 2**20:.1f} MB, over the {settings.max_upload_mb:g} MB upload limit "
                                 "(RAG_MAX_UPLOAD_MB)")
    name = sanitize_filename(display)
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise LoadError(display, f"unsupported file type '{Path(name).suffix or '(none)'}'; supported: "
                                 + ", ".join(sorted(SUPPORTED_SUFFIXES)))
    try:  # one bounded read of a regular file: never a FIFO or a device, never past the limit
        data = read_bytes_bounded(src, int(limit), " (RAG_MAX_UPLOAD_MB)")
    except LoadError as err:
        raise LoadError(display, err.reason) from None
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    dest, existing = unique_destination(folder, name, hashlib.sha256(data).hexdigest())
    if existing:
        return dest
    # Load a hidden temporary copy first (under the real suffix) so a bad file never gets a visible name.
    tmp = folder / f".part-{uuid.uuid4().hex[:12]}{dest.suffix}"
    with open(tmp, "xb") as handle:  # a new file: never through a link planted under that name
        handle.write(data)
    del data
    try:
        load(tmp, max_bytes=int(settings.max_file_mb * 2**20), limits=ParseLimits.from_settings(settings))
    except LoadError as err:
        tmp.unlink(missing_ok=True)
        raise LoadError(display, err.reason) from None
    tmp.replace(dest)
    return dest


def add_documents(files: Iterable[tuple[Path, str]], settings: Settings, embedder,
                  progress: Progress | None = None) -> UploadResult:
    """Save and index uploaded ``(temp path, original name)`` pairs; bad ones are reported, the rest indexed."""
    from rag.ingest.indexer import index_paths

    result = UploadResult()
    saved: list[tuple[Path, str]] = []
    for path, display in files:
        display = Path(str(display).replace("\\", "/")).name or "upload"
        try:
            saved.append((save_upload(Path(path), display, settings), display))
        except LoadError as err:
            result.errors.append(f"{display}: {err.reason}")
        except OSError as err:
            result.errors.append(f"{display}: could not be saved ({err.strerror or err})")
    if not saved:
        result.summary = "Nothing was added."
        return result
    try:
        report = index_paths([p for p, _ in saved], settings, embedder=embedder, progress=progress,
                             lock_timeout=30)
    except RagError as err:
        result.errors.append(str(err))
        result.summary = "Nothing was added; the index is unchanged."
        return result
    changed = set(report.added) | set(report.changed)
    for warning in report.warnings:
        result.errors.append(f"{Path(warning.path).name}: {warning.reason}")
    for path, display in saved:
        (result.indexed if str(path.resolve()) in changed else result.unchanged).append(display)
    result.summary = (f"{len(result.indexed)} added ({report.embedded_chunks} chunks embedded); index has "
                      f"{report.n_documents} documents, {report.n_chunks} chunks.")
    return result


def delete_document(source: str, settings: Settings, embedder) -> str:
    """Drop ``source`` from the index, and delete its file when it is one of our uploads."""
    from rag.ingest.indexer import index_paths

    report = index_paths([], settings, embedder=embedder, remove=[source], lock_timeout=30)
    path = Path(source)
    folder = uploads_dir(settings).resolve()
    if path.resolve().is_relative_to(folder) and path.is_file():
        path.unlink()
    return f"Removed {path.name}; index has {report.n_documents} documents, {report.n_chunks} chunks."


def list_documents(manifest: dict | None) -> list[tuple[str, str, int, int]]:
    """(name, source, chunks, chars) for each indexed document, by name."""
    docs = (manifest or {}).get("documents", {})
    rows = [(Path(s).name, s, int(d.get("chunks", 0)), int(d.get("chars", 0))) for s, d in docs.items()]
    return sorted(rows, key=lambda r: (r[0].lower(), r[1]))


def documents_table_html(manifest: dict | None, uploads: Path) -> str:
    rows = list_documents(manifest)
    if not rows:
        return '<div class="docs-empty">No documents indexed yet. Drop files above to add some.</div>'
    folder = uploads.resolve()
    body = []
    for name, source, chunks, chars in rows:
        kind = "upload" if Path(source).resolve().is_relative_to(folder) else "folder"
        body.append(
            f'<tr><td class="name" title="{html.escape(source)}">{html.escape(name)}'
            f'<span class="kind {kind}">{kind}</span></td>'
            f'<td class="num">{chunks:,}</td><td class="num">{chars:,}</td></tr>'
        )
    return ('<table class="docs-table"><thead><tr><th>Document</th><th>Chunks</th><th>Characters</th></tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table>')


def index_status(manifest: dict | None, mode: str) -> str:
    """One status line: documents, chunks, embedding model, last update, answer mode."""
    if not manifest:
        return "No index yet · add documents in the Documents tab"
    model = manifest.get("embedding", {}).get("model", "?").split("/")[-1]
    dim = manifest.get("embedding", {}).get("dim")
    n_docs = len(manifest.get("documents", {}))
    n_chunks = sum(int(d.get("chunks", 0)) for d in manifest.get("documents", {}).values())
    updated = str(manifest.get("updated_at", "?")).replace("T", " ")[:16]
    return (f"{n_docs} document{'s' if n_docs != 1 else ''} · {n_chunks:,} chunks · {model}"
            f"{f' ({dim}-d)' if dim else ''} · updated {updated} · {mode} answers")


def current_manifest(services) -> dict | None:
    try:
        return services.view().manifest
    except IndexMissingError:
        return None
