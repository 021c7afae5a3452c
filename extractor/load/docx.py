"""DOCX loader: body paragraphs and tables in document order; merged cells kept as spans.

python-docx repeats a merged cell in every grid position it covers, so spans are read from
the WordprocessingML itself: `w:gridSpan` (columns), `w:vMerge` (rows), `w:gridBefore`.
The archive is checked first (`package.check_package`): python-docx inflates each member whole.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn

from ..document import Cell, Document, Grid, Page, TextLine
from ..errors import DamagedInput, EncryptedInput
from ..limits import DEFAULT_LIMITS, Limits
from ..textnorm import join_fragments
from .bounds import Bounds, whole_number
from .package import check_package


def load_docx(path: Path, data: bytes, sha256: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    check_package(path, data, limits)
    try:
        word = docx.Document(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DamagedInput(f"{path}: the DOCX archive is damaged or truncated") from None
    except KeyError:
        raise EncryptedInput(f"{path}: the DOCX has no document part (encrypted?)") from None
    except Exception as exc:  # python-docx raises many types for broken packages
        raise DamagedInput(f"{path}: not a readable DOCX ({exc.__class__.__name__})") from None
    body = getattr(word.element, "body", None)
    if body is None:
        raise DamagedInput(f"{path}: the DOCX's word/document.xml is not a Word document body")
    bounds = Bounds(limits)
    parts: list[str] = []
    length = 0
    blocks: list = []

    def emit(text: str) -> tuple[int, int]:
        nonlocal length
        start = length
        parts.append(text)
        length += len(text)
        return start, length

    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            text = _paragraph_text(element)
            if text:
                blocks.append(TextLine(text=text, page=1, span=emit(text)))
                emit("\n")
        elif element.tag == qn("w:tbl"):
            rows, n_cols = _table_cells(element, bounds)
            if not rows:
                continue
            first = length
            cells: list[Cell] = []
            for row in rows:
                for i, cell in enumerate(row):
                    if i:
                        emit("\t")
                    cell.span = emit(cell.text)
                    cells.append(cell)
                emit("\n")
            blocks.append(Grid(cells=cells, n_rows=len(rows), n_cols=n_cols, page=1,
                               source="docx", span=(first, length)))
    try:
        title = word.core_properties.title or None
    except Exception:  # noqa: BLE001 - a damaged docProps/core.xml loses the title only
        title = None
    return Document(path=str(path), kind="docx", sha256=sha256,
                    pages=[Page(number=1, blocks=blocks, text_source="markup")],
                    title=title, text="".join(parts), warnings=bounds.warnings())


def _paragraph_text(p) -> str:
    """A paragraph's text; a tab or a line break separates what it stands between."""
    texts = [node.text or "" if node.tag == qn("w:t") else " "
             for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"))]
    return "".join(texts).strip()


def _cell_text(tc) -> str:
    return join_fragments([_paragraph_text(p) for p in tc.iter(qn("w:p"))])


def _val(el, name: str) -> str | None:
    return None if el is None else el.get(qn(name))


def _number(el, name: str, default: int, bounds: Bounds) -> int:
    """An integer attribute; one that is not a whole number ("x", "2.5") reads as `default`."""
    text = _val(el, name)
    if text is None:
        return default
    value = whole_number(text)
    if value is None:
        bounds.bad_number(el.tag.rpartition("}")[2])
        return default
    return value


def _table_cells(tbl, bounds: Bounds) -> tuple[list[list[Cell]], int]:
    rows: list[list[Cell]] = []
    # The cell currently open for vertical merging in each grid column.
    open_by_col: dict[int, Cell] = {}
    n_cols = 0
    for r, tr in enumerate(tbl.iterchildren(qn("w:tr"))):
        if not bounds.row_fits(r):
            continue  # counted, not read
        row: list[Cell] = []
        trpr = tr.find(qn("w:trPr"))
        before = trpr.find(qn("w:gridBefore")) if trpr is not None else None
        col = bounds.offset(_number(before, "w:val", 0, bounds))
        for tc in tr.iterchildren(qn("w:tc")):
            if not bounds.column_fits(col):
                break
            tcpr = tc.find(qn("w:tcPr"))
            span_el = tcpr.find(qn("w:gridSpan")) if tcpr is not None else None
            colspan = bounds.span(_number(span_el, "w:val", 1, bounds))
            vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
            if vmerge is not None and _val(vmerge, "w:val") != "restart" and col in open_by_col:
                open_by_col[col].rowspan = r - open_by_col[col].row + 1
            else:
                cell = Cell(text=bounds.text(_cell_text(tc)), row=r, col=col, colspan=colspan,
                            page=1)
                row.append(cell)
                for c in range(col, col + colspan):
                    open_by_col.pop(c, None)
                if vmerge is not None:
                    open_by_col[col] = cell
            col += colspan
        n_cols = max(n_cols, col)
        rows.append(row)
    return rows, n_cols
