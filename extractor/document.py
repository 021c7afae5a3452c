"""The `Document`: what every loader produces and every later stage reads.

A document is a list of pages; a page is a list of blocks in reading order, each a `TextLine`
(prose, headings) or a `Grid` (a table with its cells and merged-cell spans). Positions are
kept as the source has them: a bbox in PDF points for PDFs and page images, a character span
into `Document.text` for HTML, DOCX and text sources. Plain dataclasses, not pydantic: a large
PDF has tens of thousands of words and this layer must stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

BBox = tuple[float, float, float, float]
Span = tuple[int, int]
SourceKind = Literal["pdf", "html", "docx", "text"]


@dataclass(slots=True)
class TextLine:
    text: str
    page: int
    bbox: BBox | None = None
    span: Span | None = None
    confidence: float = 1.0


@dataclass(slots=True)
class Cell:
    """One cell of a grid, stored once at its top-left position; spans say how far it reaches."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    page: int = 1
    bbox: BBox | None = None
    span: Span | None = None
    confidence: float = 1.0
    # For a cell that continues a label cut by a page break: the text printed on each page.
    pieces: tuple[str, ...] = ()


@dataclass(slots=True)
class Grid:
    """A table as its source gives it. `source` says how the grid was recovered."""

    cells: list[Cell]
    n_rows: int
    n_cols: int
    page: int
    source: Literal["ruling", "alignment", "html", "docx", "tsv", "markdown", "ocr"]
    bbox: BBox | None = None
    span: Span | None = None
    # Grid cells with a regular column structure (HTML, DOCX, ruled PDF) can be read by column
    # position; text dumps cannot (their rows shift), so they are read row by row.
    columns_reliable: bool = True

    def rows(self) -> list[list[Cell]]:
        """Cells owned by each row (top-left position in that row), left to right."""
        by_row: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for cell in self.cells:
            by_row[cell.row].append(cell)
        for row in by_row:
            row.sort(key=lambda c: c.col)
        return by_row

    def covering(self, row: int) -> list[Cell]:
        """Cells covering `row`, including those merged down from rows above, left to right."""
        return sorted(
            (c for c in self.cells if c.row <= row < c.row + c.rowspan), key=lambda c: c.col
        )


Block = Union[TextLine, Grid]


@dataclass(slots=True)
class Page:
    number: int
    blocks: list[Block] = field(default_factory=list)
    width: float | None = None
    height: float | None = None
    rotation: int = 0
    # How the page's text was obtained: its own text layer, or OCR of the rendered page.
    text_source: Literal["text", "ocr", "markup"] = "text"

    @property
    def lines(self) -> list[TextLine]:
        return [b for b in self.blocks if isinstance(b, TextLine)]

    @property
    def grids(self) -> list[Grid]:
        return [b for b in self.blocks if isinstance(b, Grid)]


@dataclass(slots=True)
class Document:
    path: str
    kind: SourceKind
    sha256: str
    pages: list[Page]
    title: str | None = None
    # Plain text of the whole source for HTML/DOCX/text (spans point into it); None for PDFs.
    text: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The source was damaged (e.g. a truncated PDF repaired on open); content may be missing.
    damaged: bool = False

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def blocks(self) -> list[tuple[int, Block]]:
        """Every block with its page number, in reading order."""
        return [(page.number, block) for page in self.pages for block in page.blocks]
