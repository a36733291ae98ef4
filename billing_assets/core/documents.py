"""The text of an engagement letter or SOW: .txt / .md as text, .docx from its XML (zipfile, no dependency),
.pdf through pypdf. Pure apart from reading the one file; errors are one line naming the file."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

DOCUMENT_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DocumentError(ValueError):
    """The document cannot be read as text (one line naming the file)."""


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
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig") if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw.decode("utf-16")
    except DocumentError:
        raise
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, ElementTree.ParseError, ValueError) as exc:
        raise DocumentError(f"{path.name}: cannot read it as {suffix[1:]}: {exc}") from exc
    if not text.strip():
        raise DocumentError(f"{path.name}: no text in it (a scanned PDF needs OCR first)")
    return text


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
