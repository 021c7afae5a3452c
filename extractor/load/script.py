"""Traditional-script documents: converted to simplified characters for matching.

Labels and headings are matched against simplified patterns; a mirror or a Hong Kong/Taiwan
copy of a report prints them in traditional characters. OpenCC converts the document's text
in place when the conversion keeps every string's length (so spans stay true); digits, and so
every value, are untouched.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from ..document import Document, Grid, TextLine

_HAN = regex.compile(r"\p{Han}")
_TRADITIONAL_SHARE = 0.04  # share of Han characters that change under t2s in a traditional text


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def _sample(document: Document, limit: int = 4000) -> str:
    parts, size = [], 0
    for _, block in document.blocks():
        text = block.text if isinstance(block, TextLine) else "".join(c.text for c in block.cells)
        parts.append(text)
        size += len(text)
        if size > limit:
            break
    return "".join(parts)


def is_traditional(text: str) -> bool:
    han = _HAN.findall(text)
    if len(han) < 20:
        return False
    converted = _converter().convert("".join(han))
    changed = sum(1 for a, b in zip(han, converted) if a != b)
    return changed >= len(han) * _TRADITIONAL_SHARE


def simplify(text: str) -> str:
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase conversion changed the length: convert character by character instead.
    return "".join(c if len(c) == 1 else ch for ch, c in ((ch, _converter().convert(ch)) for ch in text))


def convert_traditional(document: Document) -> bool:
    """Convert a traditional-script document to simplified in place; False if it is not one."""
    if not is_traditional(_sample(document)):
        return False
    for page in document.pages:
        for block in page.blocks:
            if isinstance(block, Grid):
                for cell in block.cells:
                    cell.text = simplify(cell.text)
            else:
                block.text = simplify(block.text)
    if document.text is not None:
        document.text = simplify(document.text)
    if document.title:
        document.title = simplify(document.title)
    document.warnings.append("traditional script: converted to simplified characters for matching "
                             "(values are unchanged)")
    return True
