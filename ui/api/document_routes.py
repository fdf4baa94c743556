"""``GET/POST/DELETE /api/documents``: list, upload and remove documents through the chat's own path.

Uploads go through ui.documents.add_documents, the function behind the chat's Documents tab: the same size limit
(RAG_MAX_UPLOAD_MB), file types, sanitised names inside ``RAG_DATA_DIR/uploads``, a load check before indexing, and
a bad file reported by name without touching the index. The API only refuses, before that, file names that carry
a path (``../x.md``, ``/etc/x.md``). A removal names an indexed document (its file name, or its full source when two
share a name); anything else is a 404, so no name can reach a file outside the index's own documents.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from ui.api.context import ApiContext
from ui.api.errors import ApiError
from ui.api.rest import ERRORS
from ui.api.schemas import DocumentsOut, ErrorOut, UploadOut
from ui.documents import add_documents, current_manifest, delete_document, list_documents, uploads_dir

MAX_FILES = 20
FILE_FIELDS = ("files", "file")
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


def check_file_name(name: str | None) -> str:
    """The client's file name, if it is a bare name (the chat's sanitising then makes it safe to store)."""
    if not name or not name.strip():
        raise ApiError(400, "An uploaded part has no file name; send each file as a multipart file part "
                            "named 'files' (curl -F files=@notes.md).", param="files")
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if (len(posix.parts) > 1 or len(windows.parts) > 1 or posix.is_absolute() or windows.is_absolute()
            or name in (".", "..") or any(ord(ch) < 32 for ch in name)):
        raise ApiError(400, f"The file name {name[:100]!r} contains a path or control characters; send the bare "
                            "file name (e.g. notes.md).", param="files")
    return name


def documents_json(ctx: ApiContext) -> dict:
    folder = uploads_dir(ctx.settings).resolve()
    rows = [{"name": name, "source": source, "chunks": chunks, "chars": chars,
             "kind": "upload" if Path(source).resolve().is_relative_to(folder) else "folder"}
            for name, source, chunks, chars in list_documents(current_manifest(ctx.services))]
    return {"count": len(rows), "documents": rows}


def find_document(ctx: ApiContext, name: str) -> str:
    """The source of the indexed document called ``name`` (file name or full source)."""
    rows = list_documents(current_manifest(ctx.services))
    exact = [source for _, source, _, _ in rows if source == name]
    matches = exact or [source for file_name, source, _, _ in rows if file_name == name]
    if not matches:
        raise ApiError(404, f"No indexed document is named {name[:200]!r}; GET /api/documents lists them.",
                       code="document_not_found")
    if len(matches) > 1:
        raise ApiError(409, f"{len(matches)} indexed documents are named {name!r} ({', '.join(matches)}); "
                            "name the one to remove by its full source.", code="ambiguous_name")
    return matches[0]


def save_and_index(ctx: ApiContext, parts: list[tuple[str, UploadFile]]) -> dict:
    with tempfile.TemporaryDirectory(prefix="rag-api-upload-") as tmp:
        staged = []
        for i, (name, upload) in enumerate(parts):
            path = Path(tmp) / f"{i}{Path(name).suffix.lower()[:10]}"
            with open(path, "wb") as out:
                upload.file.seek(0)
                shutil.copyfileobj(upload.file, out)
            staged.append((path, name))
        result = add_documents(staged, ctx.settings, ctx.services.embedder)
    return {"indexed": result.indexed, "unchanged": result.unchanged, "errors": result.errors,
            "summary": result.summary}


def documents_router(ctx: ApiContext, guard) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["Documents"], dependencies=[Depends(guard)], responses=ERRORS)

    @router.get("/documents", summary="The indexed documents", responses={200: {"model": DocumentsOut}})
    async def get_documents() -> dict:
        return await ctx.answer(documents_json, ctx)

    @router.post("/documents", summary="Upload and index files (multipart field 'files')", openapi_extra=UPLOAD_BODY,
                 responses={200: {"model": UploadOut}, 413: {"model": ErrorOut}})
    async def upload(request: Request):
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
        try:
            parts = [(field, value) for field, value in form.multi_items() if field in FILE_FIELDS]
            if not parts:
                raise ApiError(400, "No files in the request; send them as multipart/form-data file parts named "
                                    "'files' (curl -F files=@notes.md).", param="files")
            files = [value for _, value in parts if isinstance(value, UploadFile)]
            if len(files) < len(parts):
                raise ApiError(400, "'files' must be file parts, not text fields (curl -F files=@notes.md).",
                               param="files")
            named = [(check_file_name(value.filename), value) for value in files]
            result = await ctx.write(save_and_index, ctx, named)
        finally:
            await form.close()
        if not result["indexed"] and not result["unchanged"]:
            first = result["errors"][0] if result["errors"] else "no file could be read"
            return JSONResponse({"error": f"Nothing was added: {first}", "code": "upload_rejected", **result},
                                status_code=400)
        return result

    @router.delete("/documents/{name:path}", summary="Remove a document from the index (and its uploaded file)")
    async def remove(name: str) -> dict:
        source = await ctx.answer(find_document, ctx, name)
        message = await ctx.write(delete_document, source, ctx.settings, ctx.services.embedder)
        return {"removed": Path(source).name, "source": source, "message": message}

    return router
