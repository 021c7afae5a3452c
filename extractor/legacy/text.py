"""A document as one compact text that remembers where every character came from.

Legacy tables come as lines of prose, one cell per line, cells run together, or grids; the
reader works on one NFKC text without whitespace (`Flat.text`), where `gap[i]` says that
whitespace or a cell border stood before character i (a certain cell boundary), and every
character maps back to its page, its span in the source text and its line's or cell's bbox.
An empty grid cell is kept as `EMPTY_CELL`, so a grid's blank cells are never dropped.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from ..document import Document, Grid, TextLine
from ..textnorm import compact, nfkc

EMPTY_CELL = "∅"


@dataclass
class _Piece:
    start: int  # offset in the raw joined text
    text: str
    page: int
    span: tuple[int, int] | None
    bbox: tuple[float, float, float, float] | None
    confidence: float


@dataclass
class Flat:
    text: str = ""
    gap: list[bool] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)  # compact index → raw index
    pieces: list[_Piece] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # raw offset where each piece starts
    raw: str = ""

    def where(self, start: int, end: int) -> tuple[int | None, tuple[int, int] | None,
                                                   tuple | None, float]:
        """(page, span in the source text, bbox, confidence) of text[start:end]."""
        if not self.pieces or start >= len(self.origin):
            return None, None, None, 1.0
        raw_start = self.origin[start]
        raw_end = self.origin[max(start, end - 1)] + 1
        piece = self.pieces[max(0, bisect_right(self.starts, raw_start) - 1)]
        span = None
        if piece.span is not None:
            offset = raw_start - piece.start
            length = min(raw_end, piece.start + len(piece.text)) - raw_start
            span = (piece.span[0] + offset, piece.span[0] + offset + max(length, 0))
        return piece.page, span, piece.bbox, piece.confidence

    def printed(self, start: int, end: int) -> str:
        """The source characters behind text[start:end], whitespace inside kept."""
        if start >= end:
            return ""
        return self.raw[self.origin[start]: self.origin[end - 1] + 1].replace(EMPTY_CELL, "")


def plain_text(document: Document) -> str:
    """Every line's and cell's text, compact (NFKC, no whitespace): for a quick look before the
    document is flattened with its provenance."""
    parts = []
    for _, block in document.blocks():
        if isinstance(block, TextLine):
            parts.append(block.text)
        elif isinstance(block, Grid):
            parts += [cell.text for cell in block.cells]
    return compact("".join(parts))


def flatten(document: Document) -> Flat:
    """Every text line and grid cell in reading order: lines end with a newline, grid cells
    with a tab (an empty one is written `EMPTY_CELL`), grid rows with a newline."""
    raw: list[str] = []
    pieces: list[_Piece] = []
    length = 0

    def put(text: str, page: int, span, bbox, confidence: float, end: str) -> None:
        nonlocal length
        pieces.append(_Piece(length, text, page, span, bbox, confidence))
        raw.append(text + end)
        length += len(text) + len(end)

    for page_number, block in document.blocks():
        if isinstance(block, TextLine):
            put(block.text, page_number, block.span, block.bbox, block.confidence, "\n")
        elif isinstance(block, Grid):
            for row in block.rows():
                for cell in row:
                    text = cell.text.replace("\n", " ").strip()
                    put(text or EMPTY_CELL, cell.page or page_number, cell.span if text else None,
                        cell.bbox, cell.confidence, "\t")
                raw.append("\n")
                length += 1
    return _compact("".join(raw), pieces)


_NON_SPACE = regex.compile(r"\S")
_nfkc_char = lru_cache(maxsize=4096)(nfkc)


def _compact(raw: str, pieces: list[_Piece]) -> Flat:
    normalized = nfkc(raw)
    if len(normalized) == len(raw):  # NFKC kept every character in place (the usual case)
        origin = [m.start() for m in _NON_SPACE.finditer(normalized)]
        gap = [i > 0 and normalized[i - 1].isspace() for i in origin]
        return Flat(text="".join(normalized[i] for i in origin), gap=gap, origin=origin,
                    pieces=pieces, starts=[p.start for p in pieces], raw=raw)
    chars: list[str] = []
    gap: list[bool] = []
    origin: list[int] = []
    pending_gap = False
    for i, ch in enumerate(raw):
        if ch.isspace():
            pending_gap = True
            continue
        for n in _nfkc_char(ch):
            if n.isspace():
                pending_gap = True
                continue
            chars.append(n)
            gap.append(pending_gap)
            origin.append(i)
            pending_gap = False
    return Flat(text="".join(chars), gap=gap, origin=origin, pieces=pieces,
                starts=[p.start for p in pieces], raw=raw)
