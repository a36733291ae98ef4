"""The text of an engagement letter or SOW: .txt / .md as text (UTF-8, else Windows-1252 with a note), .docx from its
XML (zipfile, no dependency), .pdf through pypdf. Pure apart from reading the one file; errors are one line naming
the file."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path
from xml.etree import ElementTree

DOCUMENT_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DocumentError(ValueError):
    """The document cannot be read as text (one line naming the file)."""


class DocumentText(str):
    """A document's text with the reader's notes about it (one line each, e.g. read as cp1252)."""

    notes: tuple[str, ...] = ()


def _with_notes(text: str, *notes: str) -> str:
    if not notes:
        return text
    noted = DocumentText(text)
    noted.notes = notes
    return noted


def document_text(path: Path) -> str:
    """The document's text, paragraphs separated by newlines."""
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        raise DocumentError(f"{path.name}: not a document this reads ({', '.join(DOCUMENT_SUFFIXES)})")
    if not path.is_file():
        raise DocumentError(f"{path}: no such file")
    try:
        if suffix == ".docx":
            text = _docx_text(path)
        elif suffix == ".pdf":
            text = _pdf_text(path)
        else:
            text = _plain_text(path)
    except DocumentError:
        raise
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, ElementTree.ParseError, ValueError) as exc:
        raise DocumentError(f"{path.name}: cannot read it as {suffix[1:]}: {exc}") from exc
    if not text.strip():
        raise DocumentError(f"{path.name}: no text in it (a scanned PDF needs OCR first)")
    return text


def _plain_text(path: Path) -> str:
    """A .txt / .md file: UTF-16 with its byte-order mark, else UTF-8, else Windows-1252 (cp1252, the code page of
    most older Windows editors) with a one-line note; neither is one line."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8 = exc
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path.name}: neither UTF-8 nor Windows-1252 (cp1252) text (byte 0x{raw[exc.start]:02x} "
                            f"at offset {exc.start} is in neither); save it as UTF-8 text") from exc
    control = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v"), None)
    if control is not None:
        raise DocumentError(f"{path.name}: neither UTF-8 nor Windows-1252 (cp1252) text (byte "
                            f"0x{raw[utf8.start]:02x} at offset {utf8.start} is not UTF-8, and it holds the control "
                            f"character {control!r}); save it as UTF-8 text")
    return _with_notes(text, f"{path.name} is not UTF-8 (byte 0x{raw[utf8.start]:02x} at offset {utf8.start}): "
                             "read as Windows-1252 (cp1252); check its accented letters and currency signs")


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        try:
            xml = archive.read("word/document.xml")
        except KeyError as exc:
            raise DocumentError(f"{path.name}: not a Word document (no word/document.xml)") from exc
    root = ElementTree.fromstring(xml)
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t":
                parts.append(node.text or "")
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except PdfReadError as exc:
        raise DocumentError(f"{path.name}: not a readable PDF: {exc}") from exc


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces and typographic quotes and dashes made plain, for verbatim checks."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()
