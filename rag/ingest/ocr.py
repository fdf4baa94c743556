"""OCR with Tesseract (through pytesseract): image files (.png .jpg .jpeg .tif .tiff) and PDF pages without a text
layer (rag.ingest.loaders hands those pages here).

The OCR text IS the document text that offsets refer to: Tesseract's output with each paragraph's lines joined by
single spaces (a sentence wrapped over lines of the scan stays one sentence) and paragraphs separated by a blank
line. A citation of a scanned page is ``text[start:end]`` of that text, with its page number; the Document lists
the pages read this way (``ocr_pages``) so the chat and the citation JSON say the passage came from OCR. An image
file is page 1 (a multi-page TIFF: one page per frame).

Without Tesseract (``RAG_OCR_COMMAND`` not found) an image is refused with one line saying to install it, and a
PDF keeps its text pages with a note naming the scanned pages it could not read.
"""

from __future__ import annotations

import io
import re
import shutil
import threading
from dataclasses import dataclass

from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
MAX_FRAMES = 500
MIN_SIDE = 16  # smaller images on a scanned page (icons, rules) hold no text worth reading
INSTALL = "install tesseract-ocr and tesseract-ocr-eng (or set RAG_OCR_COMMAND) to read it"
_PARAGRAPHS = re.compile(r"\n[ \t\f\v]*\n")
_command_lock = threading.Lock()  # pytesseract takes its program from a module attribute


@dataclass(frozen=True)
class OcrConfig:
    command: str = "tesseract"
    language: str = "eng"
    timeout: float = 120.0

    @classmethod
    def from_settings(cls, settings) -> OcrConfig:
        return cls(settings.ocr_command, settings.ocr_language, settings.ocr_timeout)

    def available(self) -> bool:
        return shutil.which(self.command) is not None


def clean(raw: str) -> str:
    """Tesseract's output as the loaded text: paragraphs' lines joined, blank-line separated, form feeds dropped."""
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPHS.split(raw.replace("\f", "\n")))
    return "\n\n".join(p for p in paragraphs if p)


def recognise(image, config: OcrConfig, name: str, where: str) -> str:
    """The cleaned text Tesseract reads in a PIL image; LoadError naming the file when Tesseract fails."""
    import pytesseract

    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    try:
        with _command_lock:
            pytesseract.pytesseract.tesseract_cmd = config.command
            raw = pytesseract.image_to_string(image, lang=config.language,
                                              timeout=config.timeout)  # pyright: ignore[reportArgumentType] - any number of seconds
    except pytesseract.TesseractNotFoundError:
        raise LoadError(name, f"is a scanned page/image; {INSTALL}") from None
    except pytesseract.TesseractError as err:
        message = " ".join(str(err.message).split())[:200]
        if "language" in message.lower() or "traineddata" in message.lower():
            raise LoadError(name, f"Tesseract has no '{config.language}' language data (RAG_OCR_LANGUAGE); install "
                            f"tesseract-ocr-{config.language.split('+')[0]}") from None
        raise LoadError(name, f"Tesseract could not read {where} ({message})") from None
    except RuntimeError as err:  # pytesseract's timeout
        if "timeout" not in str(err).lower():
            raise
        raise LoadError(name, f"OCR of {where} took over {config.timeout:g} s (RAG_OCR_TIMEOUT); not read") from None
    return clean(raw)


def read_image(name: str, data: bytes, options: ReadOptions) -> Extracted:
    """An image file read by OCR, one page per frame."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    config = options.ocr
    assert isinstance(config, OcrConfig)
    try:
        image = Image.open(io.BytesIO(data))
        frames = []
        for frame in ImageSequence.Iterator(image):
            if len(frames) >= MAX_FRAMES:
                break
            frame.load()
            frames.append(frame.copy())
    except (UnidentifiedImageError, Image.DecompressionBombError) as err:
        raise LoadError(name, f"is not a readable image ({_reason(err)})") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, MemoryError) as err:
        raise LoadError(name, f"is not a readable image ({type(err).__name__}: {_reason(err)})") from None
    if not config.available():
        raise LoadError(name, f"is a scanned page/image; {INSTALL}")
    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    offset = 0
    for number, frame in enumerate(frames, start=1):
        text = recognise(frame, config, name, f"page {number}" if len(frames) > 1 else "the image")
        if not text:
            continue
        if parts:
            offset += 2
        pages.append((offset, number))
        parts.append(text)
        offset += len(text)
    if not parts:
        raise LoadError(name, "is an image in which OCR found no text")
    return Extracted("\n\n".join(parts), pages=tuple(pages), ocr_pages=tuple(n for _, n in pages))


def _reason(err: Exception) -> str:
    return " ".join(str(err).split())[:160] or type(err).__name__


class PageScanner:
    """OCR of the PDF pages that have no text layer: the text of a page's images, in the order the page draws
    them. Remembers which pages it read and which it could not (no Tesseract), for the Document and the note."""

    def __init__(self, name: str, config: OcrConfig):
        self.name = name
        self.config = config
        self.read_pages: list[int] = []
        self.unread: list[int] = []

    def read(self, page, number: int) -> str:
        images = self._images(page)
        if not images:
            return ""
        if not self.config.available():
            self.unread.append(number)
            return ""
        texts = [recognise(image, self.config, self.name, f"page {number}") for image in images]
        text = "\n\n".join(t for t in texts if t)
        if text:
            self.read_pages.append(number)
        return text

    def _images(self, page) -> list:
        try:
            found = [image.image for image in page.images]
        except Exception:  # pypdf raises many types on images it cannot decode; the page is then unreadable
            return []
        return [im for im in found if im is not None and min(im.size) >= MIN_SIDE]

    def note(self) -> str | None:
        if not self.unread:
            return None
        pages = ", ".join(str(n) for n in self.unread[:10]) + (" ..." if len(self.unread) > 10 else "")
        return f"scanned page(s) {pages} not read; install tesseract-ocr and tesseract-ocr-eng to read them"

    def empty_reason(self) -> str:
        """Why a PDF gave no text at all."""
        if self.unread:
            return f"is a scanned PDF; {INSTALL}"
        return "PDF has no text layer and no images OCR could read; nothing to index"
