"""Generators for the robustness tests: plain prose corpora, the hostile-file corpus, and `rag` subprocess helpers.

Run as a script to write the hostile corpus somewhere for a manual look:
``python -m tests.hostile_corpus /tmp/hostile``.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

RAG = [sys.executable, "-m", "rag"]  # the `rag` command, run by this interpreter
HASH_MODEL = "hash:64"

WORDS = ("river harbour lantern orchard granite meadow violin compass glacier pepper falcon willow saffron "
         "quarry beacon tundra marble cedar ember summit delta canyon prairie lagoon basalt coral thistle "
         "juniper cobalt amber fjord mosaic pylon").split()


def prose(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out) + "\n"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def corpus_state(folder: Path) -> dict[str, str]:
    """{resolved source: sha256} of every .txt under ``folder``: what the manifest must list after indexing."""
    return {str(p.resolve()): sha256_file(p) for p in sorted(Path(folder).rglob("*.txt"))}


def rag_env(index_dir: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               RAG_EMBED_MODEL=HASH_MODEL)
    if index_dir is not None:
        env["RAG_INDEX_DIR"] = str(index_dir)
    env.update(extra)
    return env


def run_rag(args: list[str], env: dict[str, str], timeout: float = 600, cwd: Path | None = None):
    """Run the real `rag` console script; returns (CompletedProcess, peak RSS of the child in MiB)."""
    # A small wrapper measures the child's own peak RSS (ru_maxrss of waited-for children) and relays its output.
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:])\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stderr.write(f'\\n__PEAK_RSS_KB__={peak}\\n')\n"
        "sys.exit(p.returncode)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *RAG, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)
    peak_mib = 0.0
    marker = "__PEAK_RSS_KB__="
    if marker in proc.stderr:
        head, _, tail = proc.stderr.rpartition(marker)
        peak_mib = int(tail.strip()) / 1024
        proc.stderr = head.rstrip("\n")
    return proc, peak_mib


# ---------------------------------------------------------------------------------------------------------------
# The hostile corpus: (relative name, expectation) where expectation is "indexed", "skipped" or "absent"
# (never offered to the loader: hidden, unsupported walk targets, loops).


@dataclass
class Case:
    name: str
    expect: str  # "indexed" or "skipped"
    why: str
    reason: str = ""  # substring the per-file message must contain when skipped


def _pdf(pages: list[str]) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in pages:
        if text:
            pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _image_only_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(100, 100, 300, 300, fill=1)  # vector drawing only: no text layer, like a scan
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf(["Secret quarterly numbers."]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="hunter2", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _zip_bomb_docx() -> bytes:
    """A valid .docx whose document.xml claims to unpack to 300 MB of zeros (deflate compresses ~1000:1)."""
    valid = zipfile.ZipFile(io.BytesIO(_docx("bomb")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in valid.infolist():
            if info.filename == "word/document.xml":
                with out.open("word/document.xml", "w", force_zip64=True) as handle:
                    block = b"\0" * (1 << 20)
                    for _ in range(300):
                        handle.write(block)
            else:
                out.writestr(info, valid.read(info.filename))
    return buffer.getvalue()


def empty_paragraphs_docx(paragraphs: int) -> bytes:
    """A valid .docx of ``paragraphs`` empty paragraphs: tiny on disk (deflate), millions of XML elements to parse.
    875,000 paragraphs make the issue's 51 KB file (5 MB of XML); 3.5 million its 110 KB one."""
    valid = zipfile.ZipFile(io.BytesIO(_docx("x")))
    head, body, tail = valid.read("word/document.xml").decode().partition("<w:body>")
    tail = tail[tail.rfind("<w:sectPr"):]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in valid.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, valid.read(info.filename))
                continue
            with out.open("word/document.xml", "w", force_zip64=True) as handle:
                handle.write((head + body).encode())
                block = b"<w:p/>" * 10_000
                for _ in range(paragraphs // 10_000):
                    handle.write(block)
                handle.write(tail.encode())
    return buffer.getvalue()


def text_docx(megabytes: int) -> bytes:
    """A valid .docx whose document.xml is about ``megabytes`` MB of ordinary paragraphs."""
    paragraph = "<w:p><w:r><w:t>The granite summit of Mount Ember is high and the lantern burns.</w:t></w:r></w:p>"
    valid = zipfile.ZipFile(io.BytesIO(_docx("x")))
    head, body, tail = valid.read("word/document.xml").decode().partition("<w:body>")
    xml = head + body + paragraph * (megabytes * 2**20 // len(paragraph)) + tail[tail.rfind("<w:sectPr"):]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in valid.infolist():
            data = xml.encode() if info.filename == "word/document.xml" else valid.read(info.filename)
            out.writestr(info.filename, data)
    return buffer.getvalue()


def lying_size_docx() -> bytes:
    """A .docx whose document.xml declares 1,000 bytes but holds 20 MB: its central-directory size field lies."""
    valid = zipfile.ZipFile(io.BytesIO(_docx("x")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in valid.infolist():
            data = b"\0" * (20 * 2**20) if info.filename == "word/document.xml" else valid.read(info.filename)
            out.writestr(info.filename, data)
    raw = bytearray(buffer.getvalue())
    entry = raw.find(b"PK\x01\x02")  # the first central-directory entry
    name = b"word/document.xml"
    while raw[entry + 46:entry + 46 + len(name)] != name:
        entry = raw.find(b"PK\x01\x02", entry + 4)
    raw[entry + 24:entry + 28] = (1000).to_bytes(4, "little")  # uncompressed size in the central directory
    return bytes(raw)


def many_members_zip(members: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
        for i in range(members):
            out.writestr(f"p/{i}.xml", b"")
    return buffer.getvalue()


def _nested_html(depth: int) -> str:
    return ("<html><body>" + "<div>" * depth + "Deeply nested lantern text survives." + "</div>" * depth
            + "</body></html>")


def write_hostile_corpus(root: Path, big_mb: int = 50, tiny_files: int = 5000) -> list[Case]:
    """Write every hostile case under ``root``; return what each should do. ``big_mb`` sizes the huge text file."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(8)
    cases: list[Case] = []

    def put(name: str, data: bytes | str, expect: str, why: str, reason: str = "") -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        cases.append(Case(name, expect, why, reason))

    put("good/plain.txt", "Hostile corpus control: the lantern lighthouse stands at Quarry Point.\n", "indexed",
        "a normal file among the bad ones")
    put("empty.txt", b"", "skipped", "0-byte file", "empty")
    put("whitespace.md", b" \n\t\n   \r\n", "skipped", "only whitespace", "empty")
    put("binary.txt", bytes(rng.randrange(256) for _ in range(4096)), "skipped", "binary with a .txt name",
        "binary")
    put("nul_late.txt", ("ok text " * 2000).encode() + b"\x00\x01\x02" + b"more", "skipped",
        "NUL byte after the first 8 KiB", "binary")
    put("latin1.txt", "Caf\xe9 cr\xe8me br\xfbl\xe9e at the fjord.\n".encode("latin-1"), "skipped",
        "latin-1 text (refused with the fix: guessing would misquote)", "not valid UTF-8 (byte 0xe9 at offset 3)")
    put("utf16le_bom.txt", "UTF-16 little endian glacier notes.\n".encode("utf-16"), "indexed", "UTF-16 with BOM")
    put("utf16be_bom.txt", b"\xfe\xff" + "UTF-16 big endian meadow notes.\n".encode("utf-16-be"), "indexed",
        "UTF-16 BE with BOM")
    put("utf8_bom.md", "\ufeff# Heading\n\nA markdown file with a UTF-8 BOM.\n".encode(), "indexed", "UTF-8 BOM")
    put("bad_utf16.txt", b"\xff\xfe" + b"\x00\xd8" + b"a", "skipped", "BOM but invalid UTF-16", "UTF-16")
    put("invalid_utf8.txt", b"valid start " * 200_000 + b"\xc3\x28 broken", "skipped",
        "invalid UTF-8 after 2.4 MB (found while streaming)", "not valid UTF-8 (byte 0xc3 at offset 2400000)")
    put("crlf.txt", b"line one\r\nline two\rline three\n", "indexed", "mixed newlines")
    put("control_chars.txt", "Bell\x07 and escape\x1b[31m codes amid amber text.\n", "indexed",
        "control characters inside text")
    put("one_long_line.txt", " ".join(rng.choice(WORDS) for _ in range(5 * 2**20 // 7)) + "\n", "indexed",
        "one 5 MB line without a newline")
    put("nested.html", _nested_html(5000), "indexed", "HTML nested 5,000 levels deep")
    put("very_nested.html", _nested_html(100_000), "indexed", "HTML nested 100,000 levels deep")
    put("scripts.html", "<html><head><script>alert('x')</script><style>b{}</style></head><body>"
        "<p>Visible harbour paragraph.</p><img src=x onerror=alert(1)><script>steal()</script></body></html>",
        "indexed", "HTML with scripts and event handlers (scripts dropped)")
    put("only_script.html", "<html><script>var a = 1;</script></html>", "skipped",
        "HTML whose only content is a script", "no text")
    put("malformed.html", "<html><body><p>Unclosed <b>bold <i>italic cedar text<div></span></body>",
        "indexed", "malformed HTML")
    put("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", "skipped", "malformed PDF", "PDF")
    put("truncated.pdf", _pdf(["Truncated pdf text."])[:300], "skipped", "truncated PDF", "PDF")
    put("encrypted.pdf", _encrypted_pdf(), "skipped", "password-protected PDF", "encrypted")
    put("image_only.pdf", _image_only_pdf(), "skipped", "PDF with no text layer", "no text layer")
    put("good.pdf", _pdf(["A readable PDF about the basalt canyon."]), "indexed", "a normal PDF")
    put("good.docx", _docx("A readable docx about the saffron prairie."), "indexed", "a normal .docx")
    put("corrupt.docx", _docx("corrupt")[:200], "skipped", "truncated .docx", "docx")
    put("not_zip.docx", b"this is not a zip file at all", "skipped", "text with a .docx name", "docx")
    put("bomb.docx", _zip_bomb_docx(), "skipped", "zip-bomb-like .docx (300 MB of zeros inside)", "zip bomb")
    put("name with spaces.txt", "Spaces in the file name, about the violin.\n", "indexed", "name with spaces")
    put("ünïcødé_文档.txt", "Unicode file name, about the falcon.\n", "indexed", "unicode name")
    put("new\nline.txt", "A newline in the file name, about the thistle.\n", "indexed", "newline in name")
    put("emoji 🚀.md", "Emoji in the name, about the pylon.\n", "indexed", "emoji in name")
    put("sheet.xlsx", b"PK\x03\x04 fake", "skipped", "a broken .xlsx", "not a readable .xlsx")
    put("noext", "no extension at all", "skipped", "no extension", "unsupported file type")
    put("big.txt", b"", "skipped", f"{big_mb} MB text file (over the size limit)", "limit")
    with open(root / "big.txt", "wb") as handle:
        line = (" ".join(rng.choice(WORDS) for _ in range(15)) + ".\n").encode()
        block = line * ((1 << 20) // len(line) + 1)
        for _ in range(big_mb):
            handle.write(block[: 1 << 20])
    os.mkfifo(root / "pipe.txt")  # reading a FIFO would block forever
    cases.append(Case("pipe.txt", "skipped", "a named pipe with a .txt name", "not a regular file"))
    loop = root / "loop"
    loop.mkdir()
    os.symlink("..", loop / "up")  # a directory symlink loop: must not be followed
    os.symlink("self.txt", root / "self.txt")  # a symlink pointing at itself
    cases.append(Case("self.txt", "skipped", "symlink pointing at itself", "symbolic link"))
    os.symlink(root / "good" / "plain.txt", root / "alias.txt")  # a link to a file indexed anyway
    (root / ".hidden.txt").write_text("hidden files are not indexed")
    unreadable = root / "unreadable.txt"
    unreadable.write_text("you cannot read me")
    unreadable.chmod(0)
    cases.append(Case("unreadable.txt", "indexed" if os.geteuid() == 0 else "skipped",
                      "mode 000 (root can still read it; other users get a message)", "permission denied"))
    tiny = root / "tiny"
    tiny.mkdir()
    for i in range(tiny_files):
        (tiny / f"t{i:05d}.txt").write_text(f"Tiny note {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}.\n")
    cases.append(Case("tiny/", "indexed", f"a folder of {tiny_files} tiny files"))
    return cases


if __name__ == "__main__":
    for case in write_hostile_corpus(Path(sys.argv[1])):
        print(f"{case.expect:8} {case.name!r}: {case.why}")
