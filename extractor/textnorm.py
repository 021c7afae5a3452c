"""Text normalization shared by every stage that compares printed Chinese labels.

Printed labels differ in width (（ vs (), spacing, numbering (一、 / （三） / 1. / 1、 / 01.) and
punctuation; comparisons go through `label_key`, which removes all of that, and `similarity`,
which scores two keys for fuzzy matching.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex
from rapidfuzz.fuzz import ratio as _indel_ratio

_WHITESPACE = regex.compile(r"\s+")
# Leading numbering, possibly repeated ("三、（一）"): Chinese ordinals, Arabic numbers with a
# separator, parenthesized ordinals or numbers, 第…部分/项.
_NUMBERING = regex.compile(
    r"^(?:"
    r"[一二三四五六七八九十]{1,3}\s*[、.,，．]"
    r"|\(\s*[一二三四五六七八九十\d]{1,3}\s*\)"
    r"|0?\d{1,2}\s*(?:[、,，]|\.(?!\d))"
    r"|第[一二三四五六七八九十]{1,3}(?:部分|项)\s*[、:：]?"
    r")\s*"
)
# Punctuation and symbols dropped from label keys (quotes, brackets, separators).
_PUNCT = regex.compile(r"[\p{P}\p{S}]+")
_CJK = regex.compile(r"\p{Han}")


def chinese_ordinal(number: int) -> str:
    """一 … 十: how a section or table of a report is numbered (1 … 10)."""
    return "一二三四五六七八九十"[number - 1]


def nfkc(text: str) -> str:
    """Full-width forms to ASCII, compatibility characters folded (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def compact(text: str) -> str:
    """NFKC with every whitespace character removed."""
    return _WHITESPACE.sub("", nfkc(text))


def strip_numbering(text: str) -> str:
    """Remove leading outline numbering ("三、", "（一）", "1.", "1、", "01.") from compact text."""
    previous = None
    while previous != text:
        previous = text
        text = _NUMBERING.sub("", text, count=1)
    return text


def leading_numbering(text: str) -> str:
    """The outline numbering a compact text starts with ("" if none)."""
    stripped = strip_numbering(text)
    return text[: len(text) - len(stripped)]


@lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """The comparable core of a printed label: compact, unnumbered, without punctuation."""
    return _PUNCT.sub("", strip_numbering(compact(text)))


def similarity(a: str, b: str) -> float:
    """Similarity of two label keys in [0, 1] (1 = identical): 2·LCS / (len a + len b)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return _indel_ratio(a, b) / 100.0


def join_fragments(fragments: list[str]) -> str:
    """Join text pieces of one cell or label: no space between CJK pieces, one space otherwise."""
    out = ""
    for piece in fragments:
        piece = piece.strip()
        if not piece:
            continue
        if out and not (_CJK.search(out[-1]) or _CJK.search(piece[0]) or not piece[0].isalnum()
                        or not out[-1].isalnum()):
            out += " "
        out += piece
    return out

