""".epub e-books through EbookLib, chapter by chapter in reading (spine) order.

Each chapter is XHTML, read with the HTML reader (rag.ingest.html: its text, units and headings); the chapter's
title, from the table of contents (else the chapter's <title> or first heading, else "Chapter N"), is the root of
its section paths ("The Lighthouse > The Keepers"). The loaded text is the chapters' texts, separated by blank
lines; offsets refer to it.
"""

from __future__ import annotations

import io
import posixpath
import warnings

from rag.archive_guard import expect_type
from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions, TextBuilder
from rag.ingest.structure import SEPARATOR


def read_epub(name: str, data: bytes, options: ReadOptions) -> Extracted:
    expect_type(data, name, ".epub", "mimetype", b"application/epub+zip")
    import ebooklib
    from ebooklib import epub

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": False})
        titles = _toc_titles(book.toc)
        chapters = []
        for idref, _linear in book.spine:
            item = book.get_item_with_id(idref)
            if item is not None and item.get_type() == ebooklib.ITEM_DOCUMENT and not _is_nav(item):
                chapters.append((item.get_name(), item.get_content()))
    except LoadError:
        raise
    except Exception as err:  # EbookLib and lxml raise many types on damaged books
        raise LoadError(name, f"is not a readable .epub file ({type(err).__name__})") from None
    out = TextBuilder(name, options.max_chars)
    for number, (href, content) in enumerate(chapters, start=1):
        _chapter(out, content, titles.get(posixpath.normpath(href)), number)
    return out.finish()


def _is_nav(item) -> bool:
    """The EPUB 3 navigation document (the table of contents as a page) is no chapter."""
    from ebooklib import epub

    return isinstance(item, epub.EpubNav) or "nav" in (getattr(item, "properties", None) or ())


def _chapter(out: TextBuilder, content: bytes, toc_title: str | None, number: int) -> None:
    from bs4 import XMLParsedAsHTMLWarning

    from rag.ingest.html import parse, read_html

    markup = content.decode("utf-8", errors="replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)  # XHTML read as HTML, as browsers read it
        text, units, sections = read_html(markup)
        page_title = parse(markup)[1] if text.strip() else None
    if not text.strip():
        return
    page_title = " ".join(page_title.split()) if page_title else None
    first_heading = next((p for o, p in sections if p and p != page_title), None)
    title = toc_title or page_title or (first_heading.split(SEPARATOR)[0] if first_heading else None) \
        or f"Chapter {number}"
    out.section(title)
    out.extend(text, units, [(offset, _under(title, page_title, path)) for offset, path in sections])


def _under(chapter: str, page_title: str | None, path: str) -> str:
    """``path`` (read under the XHTML <title>) re-rooted at the chapter title."""
    if page_title and (path == page_title or path.startswith(page_title + SEPARATOR)):
        path = path[len(page_title):].removeprefix(SEPARATOR)
    if not path or path.casefold() == chapter.casefold():
        return chapter
    if path.casefold().startswith(chapter.casefold() + SEPARATOR):
        return path
    return chapter + SEPARATOR + path


def _toc_titles(toc) -> dict[str, str]:
    """Chapter file (href without #fragment) -> its first title in the table of contents."""
    titles: dict[str, str] = {}

    def walk(entries) -> None:
        for entry in entries:
            if isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], (tuple, list)):
                walk([entry[0]])
                walk(entry[1])
                continue
            href = getattr(entry, "href", None)
            title = " ".join(str(getattr(entry, "title", "") or "").split())
            if href and title:
                titles.setdefault(posixpath.normpath(href.split("#", 1)[0]), title)

    walk(toc)
    return titles
