"""Generators for test files of every supported format, written with the same libraries users' tools produce them
with (python-docx, python-pptx, openpyxl, EbookLib, odfpy, reportlab, Pillow, the email package)."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def write_rst(path: Path, title: str, sections: dict[str, list[str]]) -> Path:
    lines = ["=" * len(title), title, "=" * len(title), ""]
    for heading, paragraphs in sections.items():
        lines += [heading, "-" * len(heading), ""]
        for paragraph in paragraphs:
            lines += [paragraph, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_pptx(path: Path, slides: list[tuple[str, list[str]]], notes: dict[int, str] | None = None,
               table: tuple[int, list[list[str]]] | None = None) -> Path:
    """Slides of (title, bullets); ``notes`` by 1-based slide number; ``table`` (slide number, rows) added there."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for number, (title, bullets) in enumerate(slides, start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        for i, bullet in enumerate(bullets):
            paragraph = body.paragraphs[0] if i == 0 else body.add_paragraph()
            paragraph.text = bullet
        if notes and number in notes:
            slide.notes_slide.notes_text_frame.text = notes[number]
        if table and table[0] == number:
            rows = table[1]
            shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(1), Inches(5), Inches(6), Inches(1))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    shape.table.cell(r, c).text = value
    deck.save(path)
    return path


def write_docx_table(path: Path, intro: str, rows: list[list[str]]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Inventory", level=1)
    document.add_paragraph(intro)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(path)
    return path


def write_epub(path: Path, title: str, chapters: list[tuple[str, list[str]]]) -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier(f"id-{abs(hash(title))}")
    book.set_title(title)
    book.set_language("en")
    items = []
    for number, (chapter, paragraphs) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=chapter, file_name=f"chap_{number:02d}.xhtml", lang="en")
        item.content = f"<h1>{chapter}</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    epub.write_epub(str(path), book)
    return path


def write_odt(path: Path, sections: dict[str, list[str]], items: list[str] = ()) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    for heading, paragraphs in sections.items():
        document.text.addElement(H(outlinelevel=1, text=heading))
        for paragraph in paragraphs:
            document.text.addElement(P(text=paragraph))
    if items:
        listing = List()
        for item in items:
            entry = ListItem()
            entry.addElement(P(text=item))
            listing.addElement(entry)
        document.text.addElement(listing)
    document.save(str(path))
    return path


def write_eml(path: Path, subject: str, body: str, attachments: dict[str, bytes] | None = None,
              sender: str = "Ada Keeper <ada@example.org>") -> Path:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Bo Lamp <bo@example.org>"
    message["Subject"] = subject
    message["Date"] = "Tue, 04 Mar 2025 10:15:00 +0000"
    message.set_content(body)
    for name, data in (attachments or {}).items():
        maintype, subtype = ("application", "octet-stream")
        if name.endswith(".txt"):
            maintype, subtype = "text", "plain"
        if maintype == "text":
            message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=name)
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    path.write_bytes(bytes(message))
    return path


def text_image(lines: list[str], size: int = 28):
    """A white page with black printed text (DejaVu Sans), like a clean scan."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), size)
    width = max(int(font.getlength(line)) for line in lines) + 80
    image = Image.new("L", (width, (size + 14) * len(lines) + 80), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 40 + i * (size + 14)), line, fill=0, font=font)
    return image


def write_image(path: Path, lines: list[str]) -> Path:
    text_image(lines).save(path)
    return path


def write_scanned_pdf(path: Path, pages: list[tuple[str, list[str]]]) -> Path:
    """Pages of ("text", lines) drawn as a text layer or ("scan", lines) drawn as an image only (no text layer)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for kind, lines in pages:
        if kind == "text":
            for i, line in enumerate(lines):
                pdf.drawString(72, 720 - 16 * i, line)
        else:
            image = text_image(lines)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            width = 470
            height = width * image.height / image.width
            pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 60, 780 - height, width, height)
        pdf.showPage()
    pdf.save()
    return path


def zip_bomb(path: Path, base: bytes, member: str = "xl/bomb.xml", megabytes: int = 300) -> Path:
    """A copy of the zip ``base`` with one more member of ``megabytes`` MB of zeros (a few hundred KB packed)."""
    with open(path, "wb") as handle:
        handle.write(base)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(member, "w", force_zip64=True) as out:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                out.write(block)
    return path
