"""HTML loader: a saved page → text lines and table grids (rowspan/colspan honoured).

Word-pasted markup splits labels across <span>/<font>; inline elements are joined without a
separator and block elements end a line. Data tables become grids; layout tables (a table that
holds other tables or long prose) are read as ordinary blocks. `Document.text` is a plain-text
rendering (table rows tab-separated) that every line and cell points into with a span.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml import etree

from ..document import Cell, Document, Grid, Page, TextLine
from ..errors import DamagedInput, LimitExceeded
from ..limits import DEFAULT_LIMITS, Limits
from ..textnorm import join_fragments
from .bounds import Bounds, whole_number

_BLOCK = {
    "address", "article", "aside", "blockquote", "body", "center", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul", "caption", "html",
}
_SKIP = {"script", "style", "noscript", "template", "head", "select", "option", "iframe", "svg",
         "object", "button", "textarea", "input"}
# XHTML pages open with one; lxml refuses a decoded string that still declares an encoding.
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>")
_MAX_DATA_CELL = 300  # a cell with more text than this is prose in a layout table


class _Builder:
    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list = []
        self.line: list[str] = []

    def _emit(self, text: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return start, self.length

    def flush(self) -> None:
        text = join_fragments(" ".join(self.line).split())
        self.line = []
        if text:
            span = self._emit(text)
            self._emit("\n")
            self.blocks.append(TextLine(text=text, page=1, span=span))

    def add_grid(self, rows: list[list[tuple[str, int, int, int, int]]], n_cols: int) -> None:
        self.flush()
        cells: list[Cell] = []
        first = self.length
        for r, row in enumerate(rows):
            for i, (text, row_index, col, rowspan, colspan) in enumerate(row):
                if i:
                    self._emit("\t")
                span = self._emit(text)
                cells.append(Cell(text=text, row=row_index, col=col, rowspan=rowspan,
                                  colspan=colspan, page=1, span=span))
            self._emit("\n")
        self.blocks.append(Grid(cells=cells, n_rows=len(rows), n_cols=n_cols, page=1,
                                source="html", span=(first, self.length)))


def load_html(path: Path, text: str, sha256: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    # Counted before parsing: lxml's tree costs some hundred bytes an element.
    elements = text.count("<") - text.count("</")
    if elements > limits.max_markup_elements:
        raise LimitExceeded(f"{path}: the HTML holds about {elements} elements "
                            f"(limit max_markup_elements = {limits.max_markup_elements})")
    try:
        root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", text, count=1))
    except (etree.ParserError, ValueError) as exc:
        raise DamagedInput(f"{path}: the HTML cannot be parsed ({exc})") from None
    title_el = root.find(".//title")
    title = " ".join(title_el.text_content().split()) if title_el is not None else None
    for bad in root.xpath("//comment() | //processing-instruction()"):
        # One before or after <html> ("<!-- saved from url=… -->") has no parent and is
        # never walked; inside, dropping it keeps the text that follows it.
        if bad.getparent() is not None:
            bad.drop_tree() if hasattr(bad, "drop_tree") else bad.getparent().remove(bad)
    builder = _Builder(Bounds(limits))
    _walk(root, builder)
    builder.flush()
    page = Page(number=1, blocks=builder.blocks, text_source="markup")
    return Document(path=str(path), kind="html", sha256=sha256, pages=[page], title=title,
                    text="".join(builder.parts), warnings=builder.bounds.warnings())


def _hidden(el) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or el.get("hidden") is not None


def _walk(el, b: _Builder) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP or _hidden(el):
        return
    if tag == "table" and _is_data_table(el):
        rows, n_cols = _table_rows(el, b.bounds)
        if rows:
            b.add_grid(rows, n_cols)
        return
    block = tag in _BLOCK
    if block:
        b.flush()
    if tag == "br":
        b.flush()
    if el.text:
        b.line.append(el.text)
    for child in el:
        _walk(child, b)
        if child.tail:
            b.line.append(child.tail)
    if block:
        b.flush()


def _own_rows(table) -> list:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def _is_data_table(table) -> bool:
    rows = _own_rows(table)
    if not rows:
        return False
    if table.xpath(".//table"):
        return False
    cells = [c for tr in rows for c in tr if c.tag in ("td", "th")]
    if len(cells) < 2:
        return False
    return all(len(c.text_content()) <= _MAX_DATA_CELL for c in cells)


def _cell_text(cell) -> str:
    pieces: list[str] = []
    _collect(cell, pieces)
    return join_fragments("".join(pieces).split())


def _collect(el, pieces: list[str]) -> None:
    if el.text:
        pieces.append(el.text)
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _SKIP and not _hidden(child):
            if child.tag in ("br", "p", "div"):
                pieces.append(" ")
            _collect(child, pieces)
        if child.tail:
            pieces.append(child.tail)


def _table_rows(table, bounds: Bounds):
    """Rows of (text, row, col, rowspan, colspan), placing cells around earlier rowspans as
    the HTML table algorithm does: a column is taken until the row its last cell reaches."""
    trs = _own_rows(table)
    n_rows = min(len(trs), bounds.limits.max_table_rows)
    free_from: list[int] = []  # per column: the first row not covered by a cell above
    rows: list[list[tuple[str, int, int, int, int]]] = []
    n_cols = 0
    for r, tr in enumerate(trs):
        if not bounds.row_fits(r):
            continue  # counted, not read
        row = []
        c = 0
        for td in tr:
            if td.tag not in ("td", "th") or _hidden(td):
                continue
            while c < len(free_from) and free_from[c] > r:
                c += 1
            if not bounds.column_fits(c):
                break
            # Rowspans running past the last row (common in pasted markup) are clipped.
            rowspan = min(bounds.span(_span(td.get("rowspan"))), n_rows - r)
            colspan = bounds.span(_span(td.get("colspan")))
            free_from.extend([0] * (c + colspan - len(free_from)))
            # Overlapping spans (malformed markup) keep the longer claim on a column.
            free_from[c:c + colspan] = [max(f, r + rowspan) for f in free_from[c:c + colspan]]
            row.append((bounds.text(_cell_text(td)), r, c, rowspan, colspan))
            c += colspan
        n_cols = max(n_cols, c)
        rows.append(row)
    return rows, n_cols


def _span(value: str | None) -> int:
    """A rowspan or colspan attribute; HTML reads one that is not a number as 1."""
    number = whole_number(value)
    return 1 if number is None else number
