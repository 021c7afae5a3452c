"""Decoding HTML and text sources: UTF-8, GBK/GB18030, UTF-16, sniffed from BOM, markup and bytes."""

from __future__ import annotations

import codecs

import regex

_META_CHARSET = regex.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", regex.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# GB2312 and GBK pages are decoded as GB18030, their superset, so no character is lost.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
            "big5hkscs": "big5", "cp950": "big5"}


def looks_like_text(head: bytes) -> bool:
    """True when `head` is plausibly text in some encoding (few control bytes, decodable)."""
    if not head:
        return False
    if head.startswith(tuple(bom for bom, _ in _BOMS)):
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if controls > len(head) * 0.01:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the 4 KiB window is still text.
            if exc.start >= len(head) - 4:
                return True
    return False


def decode_bytes(data: bytes, *, markup: bool) -> tuple[str, list[str]]:
    """Decode a text or HTML source; returns the text and warnings about the choice made."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), []
    declared = None
    if markup:
        found = _META_CHARSET.search(data[:8192])
        if found:
            declared = found.group(1).decode("ascii").lower()
            declared = _ALIASES.get(declared, declared)
    # Valid UTF-8 is a strong signal (GBK text almost never is), stronger than a stale meta tag.
    for encoding in dict.fromkeys(c for c in ("utf-8", declared) if c):
        try:
            return data.decode(encoding), []
        except (UnicodeDecodeError, LookupError):
            continue
    # GB18030 and Big5 both decode most Chinese byte streams; let the statistics choose.
    decodable = [e for e in ("gb18030", "big5") if _decodes(data, e)]
    if len(decodable) == 1:
        return data.decode(decodable[0]), []
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=decodable or None).best()
    if best is not None:
        encoding = "gb18030" if best.encoding in _ALIASES or best.encoding == "gb18030" else best.encoding
        return data.decode(encoding, errors="replace"), (
            [] if decodable else [f"text encoding guessed as {encoding}"])
    return data.decode("gb18030", errors="replace"), [
        "text encoding not recognised; undecodable bytes replaced"
    ]


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False
