""".pptx slide decks through python-pptx, slide by slide: the slide number is the page.

Each slide's text is generated in reading order (shapes top to bottom, then left to right): its title (the
section path, and a sentence unit, since a slide title often states the point), body placeholders' paragraphs as
list items (they are bullets), other text boxes' paragraphs as prose, tables one "header: value" row per unit
(rag.ingest.formats), then the speaker notes as prose. Offsets refer to this generated text. Slides without text
have no page in it. Date, footer and slide-number placeholders are left out.
"""

from __future__ import annotations

import io

from rag.archive_guard import expect_type
from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions, TextBuilder, add_table


def read_pptx(name: str, data: bytes, options: ReadOptions) -> Extracted:
    expect_type(data, name, ".pptx", "[Content_Types].xml", b"presentationml.presentation.main+xml")
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
        out = TextBuilder(name, options.max_chars)
        for number, slide in enumerate(deck.slides, start=1):
            _slide(out, slide, number)
    except LoadError:
        raise
    except Exception as err:  # python-pptx and lxml raise many types on damaged decks
        raise LoadError(name, f"is not a readable .pptx file ({type(err).__name__})") from None
    return out.finish()


def _slide(out: TextBuilder, slide, number: int) -> None:
    from pptx.enum.shapes import PP_PLACEHOLDER

    out.page(number)
    title_shape = slide.shapes.title
    title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
    out.section(title or f"Slide {number}")
    if title:
        out.paragraph(title)
    skip = {PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER}
    for shape in _reading_order(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        kind = shape.placeholder_format.type if shape.is_placeholder else None
        if kind in skip:
            continue
        _shape(out, shape, bullets=kind in (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT,
                                            PP_PLACEHOLDER.VERTICAL_BODY))
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        for paragraph in notes.paragraphs if notes is not None else ():
            out.paragraph(paragraph.text)


def _shape(out: TextBuilder, shape, bullets: bool) -> None:
    if getattr(shape, "has_table", False) and shape.has_table:
        table = shape.table
        add_table(out, ([" ".join(cell.text.split()) for cell in row.cells] for row in table.rows),
                  header=True if table.first_row else None)
    elif getattr(shape, "shapes", None) is not None:  # a group
        for inner in _reading_order(shape.shapes):
            _shape(out, inner, bullets)
    elif shape.has_text_frame:
        for paragraph in shape.text_frame.paragraphs:
            text = " ".join(paragraph.text.split())
            if bullets:
                out.block(text, "list_item")
            else:
                out.paragraph(text)


def _reading_order(shapes) -> list:
    return sorted(shapes, key=lambda s: (s.top if s.top is not None else 0, s.left if s.left is not None else 0))
