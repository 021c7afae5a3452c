"""load: a source file → `Document`, with the loader chosen by content, never by extension."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

from ..document import Document, SourceKind
from ..errors import EmptyInput, InputNotFound, LimitExceeded, UnsupportedInput
from ..limits import DEFAULT_LIMITS, Limits
from .encoding import decode_bytes, looks_like_text
from .script import convert_traditional

__all__ = ["load", "load_bytes", "sniff"]


def sniff(data: bytes) -> SourceKind:
    """The kind of document in `data`, from magic bytes and markup."""
    head = data[:4096]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536]:
            return "docx"
        raise UnsupportedInput("a ZIP archive that is not a Word (.docx) document")
    if head.startswith((b"\xd0\xcf\x11\xe0",)):
        raise UnsupportedInput("a legacy Office (.doc/.xls) file; save it as .docx or PDF first")
    if not looks_like_text(head):
        raise UnsupportedInput("not a PDF, HTML, DOCX or text document")
    lowered = head.lower()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # markup is not ASCII bytes
        lowered = head[: len(head) // 2 * 2].decode("utf-16", "replace").lower().encode()
    if any(tag in lowered for tag in (b"<html", b"<!doctype html", b"<body", b"<table", b"<meta ")):
        return "html"
    return "text"


def load(path: str | Path, *, ocr: str = "auto", limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read `path` into a `Document`. `ocr`: "auto" (pages without usable text), "never", "always".
    `limits` bound what the file can cost (docs/limits.md)."""
    source = Path(path)
    if not source.exists():
        raise InputNotFound(f"{source}: no such file")
    if source.is_dir():
        raise UnsupportedInput(f"{source}: is a directory, not a report file")
    try:
        size = source.stat().st_size
        if size > limits.max_file_bytes:
            raise LimitExceeded(f"{source}: {size} bytes (limit max_file_bytes = "
                                f"{limits.max_file_bytes})")
        data = source.read_bytes()
    except OSError as exc:
        raise InputNotFound(f"{source}: cannot be read ({exc.strerror})") from None
    return load_bytes(data, source, ocr=ocr, limits=limits)


def load_bytes(data: bytes, source: Path, *, ocr: str = "auto",
               limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a document's bytes (a file's, or standard input's) into a `Document` named
    `source`; the content decides the loader."""
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(f"{source}: {len(data)} bytes (limit max_file_bytes = "
                            f"{limits.max_file_bytes})")
    if not data.strip():
        raise EmptyInput(f"{source}: the file is empty")
    try:
        kind = sniff(data)
    except UnsupportedInput as exc:
        raise UnsupportedInput(f"{source}: {exc}") from None
    sha256 = hashlib.sha256(data).hexdigest()
    if kind == "pdf":
        from .pdf import load_pdf

        document = load_pdf(source, data, sha256, ocr=ocr, limits=limits)
    elif kind == "docx":
        from .docx import load_docx

        document = load_docx(source, data, sha256, limits)
    else:
        text, warnings = decode_bytes(data, markup=kind == "html")
        if kind == "html":
            from .html import load_html

            document = load_html(source, text, sha256, limits)
        else:
            from .text import load_text

            document = load_text(source, text, sha256, limits)
        document.warnings[:0] = warnings
    convert_traditional(document)
    return document
