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
    return repaired_utf8(head) is not None


# A file is UTF-8 with a few bad bytes (a crawler's or an editor's slip), not another encoding,
# when it has at most this many invalid sequences and this many well-formed non-ASCII
# characters for each: text in GBK or Big5 fails UTF-8 at nearly every Chinese character.
_MAX_REPAIRS = 64
_CHARS_PER_REPAIR = 50
_REPAIRS_LISTED = 5


def repaired_utf8(data: bytes) -> tuple[str, list[int]] | None:
    """`data` decoded as UTF-8 with each invalid sequence replaced by U+FFFD, and the byte
    offsets of those sequences, when `data` is UTF-8 but for a few bytes; else None."""
    view = memoryview(data)
    pieces: list[str] = []
    bad: list[int] = []
    at = 0
    while True:
        try:
            pieces.append(codecs.utf_8_decode(view[at:], "strict", True)[0])
            break
        except UnicodeDecodeError as exc:
            if len(bad) == _MAX_REPAIRS:
                return None
            pieces.append(codecs.utf_8_decode(view[at:at + exc.start], "strict", True)[0])
            pieces.append("\ufffd")
            bad.append(at + exc.start)
            at += exc.end
    text = "".join(pieces)
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - len(bad)
    if non_ascii < _CHARS_PER_REPAIR * len(bad):
        return None
    return text, bad


def _repair_warning(data: bytes, offsets: list[int]) -> str:
    lines = [data.count(b"\n", 0, at) + 1 for at in offsets[:_REPAIRS_LISTED]]
    where = ", ".join(f"byte {at} (line {line})" for at, line in zip(offsets, lines))
    more = f" and {len(offsets) - _REPAIRS_LISTED} more" if len(offsets) > _REPAIRS_LISTED else ""
    noun = "sequence" if len(offsets) == 1 else "sequences"
    return (f"read as UTF-8 with {len(offsets)} invalid byte {noun} replaced by U+FFFD, "
            f"at {where}{more}")


def decode_bytes(data: bytes, *, markup: bool) -> tuple[str, list[str]]:
    """Decode a text or HTML source; returns the text and warnings about the choice made."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), []
    # Valid UTF-8 is a strong signal (GBK text almost never is), stronger than a stale meta
    # tag; so is UTF-8 with a few bad bytes, which charset statistics would misread whole.
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    repaired = repaired_utf8(data)
    if repaired is not None:
        text, offsets = repaired
        return text, [_repair_warning(data, offsets)]
    if markup:
        found = _META_CHARSET.search(data[:8192])
        if found:
            declared = found.group(1).decode("ascii").lower()
            try:
                return data.decode(_ALIASES.get(declared, declared)), []
            except (UnicodeDecodeError, LookupError):
                pass
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
