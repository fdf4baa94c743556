""".eml e-mail messages through the standard library's email package.

The loaded text is the message's headers From, To, Cc, Subject and Date, one line each ("Subject: ..."; a unit
each), then its body: the plain-text part (prose, paragraph by paragraph), or the HTML part read with the HTML
reader (rag.ingest.html) when there is no plain one. The subject is the section path. Offsets refer to this text.

Attachments are not in this text: each is handed back as (file name, bytes) and rag.ingest.loaders loads it as
a document of its own, source ``mail.eml#name`` (an attached .pdf, .docx, .csv ... read by its own reader); the
indexer adds, updates and removes those documents together with the message.
"""

from __future__ import annotations

import re
from email.message import Message

from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions, TextBuilder

HEADERS = ("From", "To", "Cc", "Subject", "Date")
MAX_ATTACHMENTS = 100
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\#]+")


def read_eml(name: str, data: bytes, options: ReadOptions) -> Extracted:
    from email import policy
    from email.parser import BytesParser

    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        headers = [(h, _header(message, h)) for h in HEADERS]
    except Exception as err:  # the email package raises many types on malformed messages
        raise LoadError(name, f"is not a readable e-mail message ({type(err).__name__})") from None
    headers = [(h, v) for h, v in headers if v]
    if not headers:
        raise LoadError(name, "is not an e-mail message (it has no From, To, Subject or Date header)")
    out = TextBuilder(name, options.max_chars)
    subject = dict(headers).get("Subject")
    out.section(subject or "(no subject)")
    for header, value in headers:
        out.block(f"{header}: {value}", "list_item")
    _body(out, message)
    return out.finish(attachments=_attachments(message))


def _header(message, header: str) -> str:
    value = message.get(header)
    return " ".join(str(value).split()) if value is not None else ""


def _body(out: TextBuilder, message) -> None:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown or lying charset: read it as UTF-8
        content = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return
    if part.get_content_subtype() == "html":
        from rag.ingest.html import read_html

        text, units, _sections = read_html(content)
        out.extend(text, units, ())
        return
    for paragraph in _PARAGRAPHS.split(content.replace("\r\n", "\n")):
        out.paragraph(paragraph)


def _attachments(message) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for part in message.iter_attachments():
        if len(found) >= MAX_ATTACHMENTS:
            break
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes() if isinstance(inner, Message) else b""
            filename = part.get_filename() or "attached-message.eml"
        else:
            filename = part.get_filename()
            data = part.get_payload(decode=True) or b""
        if filename and data:
            found.append((_safe_name(filename), data))
    return found


def _safe_name(filename: str) -> str:
    """The attachment's base name, without directories or control characters (it becomes part of a source)."""
    base = re.split(r"[\\/]", filename)[-1]
    return _UNSAFE.sub("_", base).strip(" .") or "attachment"
