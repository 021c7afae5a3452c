"""Is a page's text layer worth reading, or is it garbage that OCR should replace?

A text layer lies when fonts lack a ToUnicode map (U+FFFD, "(cid:NN)", private-use code
points) or when an encoding was mangled (Latin-1 mojibake of CJK bytes). A report page that is
fine is overwhelmingly CJK, ASCII digits and punctuation.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

_BAD = regex.compile(r"[\uFFFD\p{Co}]|\(cid:\d+\)")
_CJK = regex.compile(r"\p{Han}")
# Latin-1 supplement letters are how UTF-8/GBK bytes look when decoded as Latin-1.
_MOJIBAKE = regex.compile(r"[\u00C0-\u00FF]")
MIN_CHARS = 10


def text_layer_is_usable(texts: Iterable[str], *, has_images: bool) -> bool:
    """False when the page should be read by OCR instead of its text layer."""
    text = "".join(texts)
    if len(text) < MIN_CHARS:
        # Almost no text over an image is a scan; almost no text and no image is a blank page.
        return not has_images
    bad = len(_BAD.findall(text))
    if bad > len(text) * 0.02:
        return False
    mojibake = len(_MOJIBAKE.findall(text))
    return not (mojibake > len(text) * 0.1 and len(_CJK.findall(text)) < mojibake)
