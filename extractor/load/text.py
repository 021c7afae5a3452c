"""Plain-text and markdown dumps: prose lines, tab-separated rows, markdown pipe tables.

Form feeds separate pages (pdftotext output). A run of consecutive tab-separated lines, or of
`|`-delimited lines, is one grid; its columns are not trusted (dumps shift cells left and
right), so later stages read such grids row by row. Markdown markup (`#`, list bullets) is
dropped from prose lines; spans still point at the original line.
"""

from __future__ import annotations

from pathlib import Path

import regex

from ..document import Cell, Document, Grid, Page, TextLine
from ..limits import DEFAULT_LIMITS, Limits
from .bounds import Bounds

_MARKUP = regex.compile(r"^\s*(?:#{1,6}\s+|[-*+•]\s+|>\s*)+")
_EMPHASIS = regex.compile(r"(\*\*|__)(.+?)\1")
_MD_RULE = regex.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def load_text(path: Path, text: str, sha256: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    pages: list[Page] = []
    offset = 0
    bounds = Bounds(limits)
    for number, page_text in enumerate(text.split("\f"), start=1):
        pages.append(Page(number=number, blocks=_blocks(page_text, offset, number, bounds),
                          text_source="markup"))
        offset += len(page_text) + 1
    if pages and not pages[-1].blocks and len(pages) > 1:
        pages.pop()  # a trailing form feed
    return Document(path=str(path), kind="text", sha256=sha256, pages=pages, text=text,
                    warnings=bounds.warnings())


def _blocks(text: str, offset: int, page: int, bounds: Bounds) -> list:
    blocks: list = []
    table: list[tuple[str, int]] = []
    table_kind = ""
    position = offset
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        start = position
        position += len(raw)
        kind = ("markdown" if line.lstrip().startswith("|")
                else "tsv" if "\t" in line and line.strip() else "")
        if kind and (not table or kind == table_kind):
            table.append((line, start))
            table_kind = kind
            continue
        if table:
            blocks.append(_grid(table, table_kind, page, bounds))
            table = []
        if kind:
            table.append((line, start))
            table_kind = kind
            continue
        clean = _EMPHASIS.sub(r"\2", _MARKUP.sub("", line)).strip()
        if clean:
            # Emphasis markers dropped inside the line shift its text: point at its start.
            at = start + (line.index(clean) if clean in line else len(line) - len(line.lstrip()))
            blocks.append(TextLine(text=clean, page=page, span=(at, at + len(clean))))
    if table:
        blocks.append(_grid(table, table_kind, page, bounds))
    return [b for b in blocks if b is not None]


def _grid(lines: list[tuple[str, int]], kind: str, page: int, bounds: Bounds) -> Grid | None:
    cells: list[Cell] = []
    row = 0
    n_cols = 0
    for line, start in lines:
        if kind == "markdown" and _MD_RULE.match(line):
            continue
        if not bounds.row_fits(row):
            continue  # counted, not read
        pieces = _split(line, start, kind)
        if not bounds.column_fits(len(pieces) - 1):
            pieces = pieces[: bounds.limits.max_table_columns]
        for col, (text, span) in enumerate(pieces):
            cut = bounds.text(text)
            if len(cut) < len(text):
                span = (span[0], span[0] + len(cut))
            cells.append(Cell(text=cut, row=row, col=col, page=page, span=span))
        n_cols = max(n_cols, len(pieces))
        row += 1
    if not row:
        return None
    return Grid(cells=cells, n_rows=row, n_cols=n_cols, page=page, source=kind,
                span=(lines[0][1], lines[-1][1] + len(lines[-1][0])), columns_reliable=False)


def _split(line: str, start: int, kind: str) -> list[tuple[str, tuple[int, int]]]:
    """Cells of one row with their spans in the source text."""
    separator = "|" if kind == "markdown" else "\t"
    pieces = []
    position = start
    parts = line.split(separator)
    if kind == "markdown":
        # Drop the empty pieces outside the outer pipes.
        lead = parts.pop(0) if parts and not parts[0].strip() else None
        if lead is not None:
            position += len(lead) + 1
        if parts and not parts[-1].strip():
            parts.pop()
    for part in parts:
        stripped = part.strip()
        left = len(part) - len(part.lstrip())
        text = stripped.replace("<br>", " ").replace("<br/>", " ")
        pieces.append((text, (position + left, position + left + len(stripped))))
        position += len(part) + 1
    return pieces
