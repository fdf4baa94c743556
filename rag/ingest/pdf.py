"""PDF outlines (bookmarks) as section paths: each entry starts where its title is found on its page, or at the
page's start. A PDF without an outline has no sections; its units are plain-text sentences."""

from __future__ import annotations

import re

from rag.ingest.structure import SEPARATOR


def outline_sections(reader, text: str, pages: tuple[tuple[int, int], ...]) -> tuple[tuple[int, str], ...]:
    """(offset, path) for each outline entry whose page has text; ``pages`` are (offset, 1-based number)."""
    entries: list[tuple[int, int, str]] = []  # (offset, order, path)
    for title_path, page_index in _walk(reader, reader.outline, ()):
        start, end = _page_range(pages, page_index + 1, len(text))
        if start is None:
            continue
        # case-insensitive search that keeps offsets (str.lower() may change a text's length)
        found = re.compile(re.escape(title_path[-1]), re.IGNORECASE).search(text, start, end) if title_path[-1] \
            else None
        entries.append((found.start() if found else start, len(entries), SEPARATOR.join(title_path)))
    by_offset: dict[int, str] = {}
    for offset, _order, path in sorted(entries):
        by_offset[offset] = path
    return tuple(sorted(by_offset.items()))


def _walk(reader, items, parents: tuple[str, ...]):
    last: tuple[str, ...] = parents
    for item in items:
        if isinstance(item, list):
            yield from _walk(reader, item, last)
            continue
        title = " ".join(str(getattr(item, "title", "") or "").split())
        last = (*parents, title)
        try:
            page_index = reader.get_destination_page_number(item)
        except Exception:  # a broken destination: the entry is skipped, the rest of the outline kept
            continue
        if page_index is not None and page_index >= 0:
            yield last, page_index


def _page_range(pages: tuple[tuple[int, int], ...], number: int, length: int) -> tuple[int | None, int]:
    """[start, end) of the text of page ``number``, or of the next page with text when it has none."""
    for i, (offset, page) in enumerate(pages):
        if page >= number:
            end = pages[i + 1][0] if i + 1 < len(pages) else length
            return offset, end
    return None, length
