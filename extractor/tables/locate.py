"""locate: find the three standard tables and turn each into one stream of rows.

Each grid is classified by the labels it holds (a distractor table matches none), helped by
the section it sits in; grids of the same table are joined in reading order. A ruled grid that
continues on the next page is stitched to the previous one: a label cell the page break cut
("（四）无" / "法提供") is re-joined and the row-header hierarchy carried across. Lines of text
between a table's grids (captions such as "### 行政复议", detached labels) stay in the stream
as label-only rows, because they carry context the grids lack.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import regex

from ..document import Cell, Grid, TextLine
from ..labels import Templates
from ..segment import Segmentation, TextRegion, section_text
from ..textnorm import compact, label_key, leading_numbering

TABLES = ("active", "applications", "review_litigation")
_SECTION_OF_TABLE = {"active": 2, "applications": 3, "review_litigation": 4}
_COLUMN_TOLERANCE = 4.0  # points: column edges of a continued table on the next page


@dataclass(slots=True)
class RowRecord:
    """One printed row: its label cells (own and merged down from above) and value cells."""

    labels: list[Cell]
    values: list[Cell]
    grid: Grid | None
    row: int
    is_caption: bool = False  # a text line between grids, not a grid row
    own: list[Cell] = field(default_factory=list)  # label cells of this row (not merged down)

    @property
    def leaf(self) -> str:
        """The most specific label: the rightmost label cell with text."""
        for cell in reversed(self.labels):
            if cell.text.strip():
                return cell.text
        return ""

    @property
    def own_text(self) -> str:
        """This row's own label cells joined (a label a converter split across cells)."""
        return "".join(c.text for c in self.own)

    @property
    def context(self) -> list[str]:
        leaf = self.leaf
        return [c.text for c in self.labels if c.text.strip() and c.text != leaf]

    @property
    def has_values(self) -> bool:
        return any(c.text.strip() for c in self.values)


@dataclass(slots=True)
class LocatedTable:
    name: str
    rows: list[RowRecord] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    # The table's section as text, when it has no grid at all (run-together web dumps).
    region: "TextRegion | None" = None

    @property
    def strategy(self) -> str | None:
        if self.grids:
            return "+".join(dict.fromkeys(g.source for g in self.grids))
        return "digit-run" if self.region else None

    @property
    def pages(self) -> list[int]:
        pages = {c.page for g in self.grids for c in g.cells}
        if self.region:
            pages |= {line.page for _, line, _ in self.region.pieces}
        return sorted(pages)


def classify_grid(grid: Grid, tpl: Templates) -> dict[str, int]:
    """How many distinct labels of each standard table the grid contains."""
    hits: dict[str, set[str]] = {name: set() for name in TABLES}
    for cell in grid.cells:
        if not cell.text.strip() or tpl.is_value(cell.text):
            continue
        for name in TABLES:
            choice = tpl.table_labels[name].best(cell.text, accept=0.85)
            if choice:
                hits[name].add(choice.key)
    return {name: len(keys) for name, keys in hits.items()}


def locate(seg: Segmentation, tpl: Templates) -> dict[str, LocatedTable]:
    tables = {name: LocatedTable(name) for name in TABLES}
    assignments: list[tuple[int, str]] = []
    previous: str | None = None
    for index, (_, block) in enumerate(seg.flow):
        if not isinstance(block, Grid):
            continue
        section = seg.section_at((index, 0))
        counts = classify_grid(block, tpl)
        name, hits = max(counts.items(), key=lambda kv: kv[1])
        in_section = next((t for t, n in _SECTION_OF_TABLE.items()
                           if section and section.number == n), None)
        if hits >= 2:
            chosen = name
        elif in_section and _has_values(block, tpl.is_value):
            # Labels too damaged to classify (a converter's header "维持 | 纠正 | 结果"): the
            # section it sits in says which table it is.
            chosen = in_section
        elif hits == 0 and _numeric(block, tpl.is_value) and previous:
            chosen = previous  # a grid of bare numbers continues the table before it
        else:
            chosen = None
        if chosen:
            assignments.append((index, chosen))
        previous = chosen
    for name in TABLES:
        indices = [i for i, n in assignments if n == name]
        if not indices:
            continue
        located = tables[name]
        grids, joined_into = _stitch([seg.flow[i][1] for i in indices], _known_label(tpl),
                                     tpl.is_value)
        located.grids = grids
        located.rows = _row_stream(seg, name, indices, joined_into, tpl.is_value)
    return tables


def table_text(seg: Segmentation, name: str) -> TextRegion | None:
    """The text of a table's section, for tables printed without any grid (web text dumps)."""
    return section_text(seg, _SECTION_OF_TABLE[name])


def _known_label(tpl: Templates):
    """A predicate: is this text, on its own, a complete label of some table?"""
    return lambda text: tpl.any_label.best(text, accept=0.9) is not None


def _has_values(grid: Grid, is_value) -> bool:
    return any(c.text.strip() and is_value(c.text) for c in grid.cells)


def _numeric(grid: Grid, is_value) -> bool:
    texts = [c.text for c in grid.cells if c.text.strip()]
    return bool(texts) and all(is_value(t) for t in texts)


def _row_stream(seg: Segmentation, name: str, indices: list[int],
                joined_into: dict[int, tuple[Grid, int, int]], is_value) -> list[RowRecord]:
    """The table's rows in reading order: its grids' rows, and the short text lines of its
    section (captions such as "### 行政复议", rows a converter printed as text such as
    "行政许可 0", detached values such as "22" / "（其中修订16件）")."""
    section = seg.section(_SECTION_OF_TABLE[name])
    if section is not None:
        first = min(section.body_start[0] if section.body_start[1] == 0 else section.body_start[0] + 1,
                    indices[0])
        last = max(section.end[0] - (1 if section.end[1] == 0 else 0), indices[-1])
    else:
        # No heading: a few short lines before the first grid may still be its caption.
        first, last = max(0, indices[0] - 3), indices[-1]
    rows: list[RowRecord] = []
    joined_rows: dict[int, list[RowRecord]] = {}
    for index in range(first, last + 1):
        block = seg.flow[index][1]
        if index in seg.furniture:
            continue
        if isinstance(block, TextLine):
            if section is None and index < indices[0] and not _caption_like(block.text, seg, index):
                continue
            if len(compact(block.text)) <= 60:
                rows.append(line_row(block, is_value))
        elif id(block) in joined_into:
            # A grid continued on the next page is one grid, but its pages' rows stay in reading
            # order with what lies between them: a row printed below the last ruling at the foot
            # of a page comes before the next page's rows.
            grid, start, end = joined_into[id(block)]
            if id(grid) not in joined_rows:
                joined_rows[id(grid)] = grid_rows(grid, is_value)
            rows.extend(joined_rows[id(grid)][start:end])
    return rows


def _caption_like(text: str, seg: Segmentation, index: int) -> bool:
    section = seg.section_at((index, 0))
    return len(compact(text)) <= 40 and not (section and section.start[0] == index)


_TOKEN = regex.compile(r"\S+")


def line_row(line: TextLine, is_value) -> RowRecord:
    """A text line as a row: trailing whitespace-separated value tokens are its values
    ("行政许可 0"), the rest its label. A line holding only a value is a detached value."""
    tokens = list(_TOKEN.finditer(line.text))
    split = len(tokens)
    while split > 0 and is_value(tokens[split - 1].group()):
        split -= 1
    values = [_piece(line, t.start(), t.end()) for t in tokens[split:]]
    labels = [_piece(line, tokens[0].start(), tokens[split - 1].end())] if split else []
    return RowRecord(labels=labels, values=values, grid=None, row=-1, is_caption=not values,
                     own=labels)


def _piece(line: TextLine, start: int, end: int) -> Cell:
    span = (line.span[0] + start, line.span[0] + end) if line.span else None
    return Cell(text=line.text[start:end], row=-1, col=0, page=line.page, bbox=line.bbox,
                span=span, confidence=line.confidence)


def grid_rows(grid: Grid, is_value) -> list[RowRecord]:
    """Each grid row split into label cells (left) and value cells (right)."""
    records = []
    own = grid.rows()
    merged_down = _merged_down(grid)
    for r in range(grid.n_rows):
        cells = own[r]
        inherited = merged_down[r]
        # Label cells: those with text before the first value-like cell. Values: every cell
        # after the last label (blanks included: a blank cell is a printed blank).
        first_value = next((i for i, c in enumerate(cells)
                            if c.text.strip() and is_value(c.text)), len(cells))
        label_positions = [i for i in range(first_value) if cells[i].text.strip()]
        labels = [cells[i] for i in label_positions]
        # A row of blank cells after its label is a row printed blank, not a header.
        values = cells[label_positions[-1] + 1:] if label_positions else cells
        context = [c for c in inherited if c.text.strip() and not is_value(c.text)]
        records.append(RowRecord(labels=sorted(context + labels, key=lambda c: c.col),
                                 values=values, grid=grid, row=r, own=labels))
    return records


def _merged_down(grid: Grid) -> list[list[Cell]]:
    """For each row, the cells merged down into it from rows above, left to right. One pass
    over the cells: asking `Grid.covering` row by row is quadratic in a long grid."""
    by_row: list[list[Cell]] = [[] for _ in range(grid.n_rows)]
    for cell in grid.cells:
        for r in range(cell.row + 1, min(cell.row + cell.rowspan, grid.n_rows)):
            by_row[r].append(cell)
    for row in by_row:
        row.sort(key=lambda c: c.col)
    return by_row


def _stitch(grids: list[Grid], known_label,
            is_value) -> tuple[list[Grid], dict[int, tuple[Grid, int, int]]]:
    """Join ruled grids that continue on the next page; re-join labels the break cut.

    Returns the joined grids and, for each original grid (by id), the grid it ended up in and
    the rows of that grid it became."""
    out: list[Grid] = []
    members: list[list[tuple[Grid, int]]] = []  # (original grid, its first row in the joined)
    for grid in grids:
        if out and _continues(out[-1], grid):
            offset = out[-1].n_rows
            out[-1] = _join(out[-1], grid, known_label, is_value)
            members[-1].append((grid, offset))
        else:
            out.append(grid)
            members.append([(grid, 0)])
    placed: dict[int, tuple[Grid, int, int]] = {}
    for joined, group in zip(out, members):
        for i, (grid, start) in enumerate(group):
            end = group[i + 1][1] if i + 1 < len(group) else joined.n_rows
            placed[id(grid)] = (joined, start, end)
    return out, placed


def _continues(first: Grid, second: Grid) -> bool:
    if {first.source, second.source} - {"ruling", "ocr"}:  # page geometry is needed
        return False
    if second.page != max(c.page for c in first.cells) + 1:
        return False
    return _column_edges(first) and _column_edges(first) == _column_edges(second)


def _column_edges(grid: Grid) -> tuple[int, ...]:
    edges = sorted({round(c.bbox[0] / _COLUMN_TOLERANCE) for c in grid.cells if c.bbox} |
                   {round(c.bbox[2] / _COLUMN_TOLERANCE) for c in grid.cells if c.bbox})
    return tuple(edges)


def _join(first: Grid, second: Grid, known_label, is_value) -> Grid:
    """Append `second`'s rows to `first`; label cells at the top of `second` that continue a
    label cell of `first`'s last row are merged into it. The Document's own cells are left as
    they are (the result is built from copies): extraction is a function of the Document."""
    first_cells = [replace(c) for c in first.cells]
    offset = first.n_rows
    last_row = first.n_rows - 1
    above = {c.col: c for c in first_cells if c.row <= last_row < c.row + c.rowspan}
    top = [c for c in second.cells if c.row == 0]
    absorbed: set[int] = set()
    for cell in top:
        upper = above.get(cell.col)
        if (upper is None or upper.colspan != cell.colspan or not cell.text.strip()
                or is_value(cell.text) or is_value(upper.text) or not upper.text.strip()):
            continue
        # A continuation completes a fragment ("（四）无" / "法提供", "（六）" / "其他处理"); a
        # complete label above ("行政许可" over "信息内容"), or a complete label below that does
        # not complete the one above, is a row of its own.
        if _starts_new_label(cell.text) or known_label(upper.text) or (
                known_label(cell.text) and not known_label(upper.text + cell.text)):
            continue
        upper.pieces = (*(upper.pieces or (upper.text,)), cell.text)
        upper.text = upper.text + cell.text
        upper.rowspan = offset + cell.rowspan - upper.row
        absorbed.add(id(cell))
    # Empty continuation cells at the top of the new page extend the label above them too.
    for cell in top:
        upper = above.get(cell.col)
        if (id(cell) not in absorbed and upper is not None and not cell.text.strip()
                and upper.text.strip() and not is_value(upper.text)
                and upper.colspan == cell.colspan and cell.col < _first_value_col(second, is_value)):
            upper.rowspan = offset + cell.rowspan - upper.row
            absorbed.add(id(cell))
    cells = first_cells + [replace(c, row=c.row + offset) for c in second.cells
                           if id(c) not in absorbed]
    return Grid(cells=cells, n_rows=first.n_rows + second.n_rows, n_cols=first.n_cols,
                page=first.page, source=first.source, bbox=first.bbox)


def _first_value_col(grid: Grid, is_value) -> int:
    cols = [c.col for c in grid.cells if c.text.strip() and is_value(c.text)]
    return min(cols) if cols else grid.n_cols


def _starts_new_label(text: str) -> bool:
    """A label with its own numbering starts a row; one without continues the cut label."""
    return bool(leading_numbering(compact(text))) or not label_key(text)
