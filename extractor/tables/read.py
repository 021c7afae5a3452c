"""map: a located table's rows → cells keyed by canonical key, and the format they reveal.

Table 2 is read block by block (article heading, header row, item rows); table 3 by aligning
its rows to the template (`labels.align_rows`) and its value cells to the applicant columns
named in its header; table 4 in `read_review.py`.
Wherever a placement is inferred rather than read from a label, the cell's confidence drops
and a warning says what was inferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from ..codes import Code
from ..document import Cell
from ..keys import join_key
from ..labels import STRONG, Templates, align_rows
from ..numbers import Numbers
from ..textnorm import compact, label_key, leading_numbering, nfkc
from .locate import LocatedTable, RowRecord
from .model import MappedCell, TableReading

PLACED_BY_ORDER = 0.7  # confidence of a value whose row or column was inferred from order


def _no_label_of_its_own(row: RowRecord, tpl: Templates) -> bool:
    """No label cell of its own (its label merged down from a row cut by the page above),
    or a fragment: unnumbered and no complete label of any table."""
    leaf = row.leaf
    if not leaf or not any(c.text.strip() for c in row.own):
        return True
    return not leading_numbering(compact(leaf)) and tpl.any_label.best(leaf, accept=0.9) is None


def _any_number(cells: list[Cell], tpl: Templates) -> bool:
    return any(tpl.numbers.parse(c.text, "amount").value is not None
               for c in cells)


def _trim(values: list[Cell], n: int) -> list[Cell]:
    """Drop blank cells at the ends (left first: empty label cells sit there) down to `n`."""
    values = list(values)
    while len(values) > n and not values[0].text.strip():
        values.pop(0)
    while len(values) > n and not values[-1].text.strip():
        values.pop()
    return values


# ---------------------------------------------------------------- table 3 (applications)

def _header_columns(rows: list[RowRecord], tpl: Templates) -> tuple[dict[int, str], list[str] | None]:
    """Applicant columns named in a grid's header rows: by grid column, and in printed order."""
    by_col: dict[int, str] = {}
    order: list[str] | None = None
    for row in rows:
        if row.has_values or row.is_caption:
            continue
        found = []
        for cell in row.labels + [c for c in row.values if c.text.strip()]:
            if label_key(cell.text) in tpl.app_column_groups:
                continue
            choice = tpl.app_columns.best(cell.text, accept=0.85)
            if choice:
                found.append(choice.key)
                if cell.colspan == 1:
                    by_col.setdefault(cell.col, choice.key)
        if len(set(found)) >= 6:
            order = list(dict.fromkeys(found))
    return by_col, order


def _complete_columns(by_col: dict[int, str], rows: list[RowRecord], columns: list[str]) -> dict[int, str]:
    """A header that names all applicant columns but one (its 总计 cell printed on the page
    before): the one value column left unnamed is the missing one."""
    missing = [c for c in columns if c not in by_col.values()]
    if len(missing) != 1 or len(by_col) != len(columns) - 1:
        return by_col
    value_cols = {c.col for r in rows if r.has_values for c in r.values if c.colspan == 1}
    unnamed = sorted(value_cols - set(by_col))
    return {**by_col, unnamed[0]: missing[0]} if len(unnamed) == 1 else by_col


def read_applications(table: LocatedTable, tpl: Templates) -> TableReading:
    reading = TableReading("applications")
    columns = tpl.app_column_order
    n = len(columns)
    # Column map per grid (a table split into blocks may have a header per block).
    maps: dict[int, tuple[dict[int, str], list[str] | None]] = {}
    for grid in table.grids:
        rows = [r for r in table.rows if r.grid is grid]
        by_col, order = _header_columns(rows, tpl)
        maps[id(grid)] = (_complete_columns(by_col, rows, columns), order)
    placed: list[list[tuple[str, Cell] | None] | None] = []
    inferred_columns = False
    last_map: tuple[dict[int, str], list[str] | None] = ({}, None)
    for row in table.rows:
        if not row.values or (not _any_number(row.values, tpl) and _no_label_of_its_own(row, tpl)):
            # Blanks under no label of their own are a placeholder, or the rest of a label
            # that a page break cut ("计这一情形，不计其他情形）" at the top of a page).
            placed.append(None)
            continue
        by_col, order = maps.get(id(row.grid), ({}, None))
        if not by_col and not order:
            by_col, order = last_map
        else:
            last_map = (by_col, order)
        assignment = None
        if row.grid is not None and row.grid.columns_reliable and len(set(by_col.values())) >= n - 1:
            cells_by_col = {}
            for cell in row.values:
                for col in range(cell.col, cell.col + cell.colspan):
                    cells_by_col.setdefault(col, cell)
            assignment = [(by_col[col], cells_by_col[col]) for col in sorted(by_col)
                          if col in cells_by_col]
            if len(assignment) != len(set(by_col.values())):
                assignment = None
        if assignment is None:
            values = _trim(row.values, n)
            if len(values) == n:
                assignment = list(zip(order or columns, values))
                if not order and len(set(by_col.values())) < n - 1:
                    inferred_columns = True
        placed.append(assignment)
    usable = [p is not None and len(p) == n for p in placed]
    labels = [[row.leaf, row.own_text] for row in table.rows]
    contexts = [row.context for row in table.rows]
    candidates = tpl.app_rows
    pairs = align_rows(labels, contexts, usable, candidates, tpl)
    matched = {candidates[j].key for _, j, _ in pairs}
    reading.format = tpl.app_format_of(matched)
    expected = tpl.rows_for(reading.format or tpl.newest_format)
    reading.rows_expected = len(expected)
    reading.rows_matched = len(pairs)
    for i, j, score in pairs:
        template = candidates[j]
        row_conf = 1.0 if score >= STRONG else (PLACED_BY_ORDER if score == 0 else score)
        note = None
        if score == 0:
            note = "row placed by its position in the template (label missing)"
            reading.warn(Code.ROW_INFERRED,
                         f"table 3 row {template.key} has no readable label; placed by order",
                         [join_key("applications", template.key, c) for c in columns])
        elif score < STRONG:
            note = f"row label {table.rows[i].leaf!r} matched fuzzily ({score:.2f})"
        for column, cell in placed[i]:
            conf = row_conf * (PLACED_BY_ORDER if inferred_columns else 1.0)
            reading.cells.append(MappedCell(
                key=join_key("applications", template.key, column), table="applications", cell=cell,
                confidence=min(conf, cell.confidence), note=note))
    if inferred_columns:
        reading.warn(Code.COLUMNS_INFERRED,
                     "table 3 applicant columns were not named in a header; read in the "
                     f"template's order ({', '.join(tpl.app_column_names)})")
    missing = [t.key for t in expected if t.key not in matched]
    if missing and table.rows:
        reading.warn(Code.ROWS_MISSING, f"table 3 rows not found: {', '.join(missing)}",
                     [f"applications.{k}" for k in missing])
    unplaced = [row.leaf or "(no label)" for row, ok in zip(table.rows, usable)
                if row.has_values and not ok]
    if unplaced:
        reading.warn(Code.ROW_UNREADABLE, "table 3 rows whose cells could not be split into the "
                     f"seven applicant columns: {', '.join(unplaced[:5])}")
    return reading


# ---------------------------------------------------------------- table 2 (active)

@dataclass(slots=True)
class _Detached:
    """A value a converter pulled out of its row ("22" then "（其中修订16件）" on own lines)."""

    cell: Cell
    remark: str = ""


def read_active(table: LocatedTable, tpl: Templates) -> TableReading:
    reading = TableReading("active")
    field_specs = tpl.active_field_specs
    header: list[tuple[str, str | None]] | None = None  # (field, printed unit)
    items: list[tuple[str, RowRecord, list[tuple[str, str | None]] | None]] = []
    detached: list[_Detached] = []
    for row in table.rows:
        texts = [c.text for c in row.labels]
        if any(tpl.active_blocks.best(t, accept=0.85) for t in texts):
            header = None  # a new article block: its own header follows
        if not row.values:
            fields = _header_fields(texts, tpl)
            if fields:
                header = fields
            elif detached and _is_remark(row.leaf):
                detached[-1].remark += row.leaf
            continue
        if not row.leaf:
            detached += [_Detached(c) for c in row.values if c.text.strip()]
            continue
        item = tpl.active_items.best(row.leaf, accept=0.75)
        if item is None:
            # A header whose cells read as numbers ("2020") is still a header.
            fields = _header_fields(texts + [v.text for v in row.values], tpl)
            if fields:
                header = fields
            continue
        items.append((item.key, row, header))
    fmt = _active_format(items, tpl)
    reading.format = fmt
    layouts = tpl.active_formats.get(fmt or tpl.newest_format, [])
    reading.rows_expected = sum(len(layout.items) for layout in layouts)
    for item, row, header in items:
        layout = next((lay for lay in layouts if item in lay.items), None)
        default_fields = [(f, None) for f in layout.fields] if layout else []
        values = row.values
        if header and len({f for f, _ in header}) < len(header):
            # A merged header cell repeated by a converter ("处理决定数量 | 处理决定数量 | …"):
            # its row cells repeat too; one value per distinct column.
            header, values = _collapse_repeats(header, _trim(values, len(header)))
        fields = header if header else default_fields
        values = _trim(values, len(fields)) if fields else values
        if len(values) != len(fields) and default_fields and len(values) == len(default_fields):
            fields = default_fields
        placed: list[tuple[tuple[str, str | None], Cell, float, str | None]]
        if len(values) == len(fields):
            confidence = 1.0 if header else 0.9
            note = None if header else "columns from the format's default layout"
            placed = [(f, cell, confidence, note) for f, cell in zip(fields, values)]
        elif len(values) < len(fields) and len(detached) >= len(fields) - len(values):
            taken = [detached.pop(0) for _ in range(len(fields) - len(values))]
            placed = _place_detached(fields, values, taken, field_specs)
            reading.warn(Code.CELLS_INFERRED,
                         f"table 2 row {row.leaf!r}: {len(values)} cells for {len(fields)} columns; "
                         + "; ".join(f"detached value {d.cell.text}{d.remark} placed in "
                                     f"{next(f for (f, _), c, _, _ in placed if c is d.cell)}"
                                     for d in taken) + "; the row's cells fill the rest in order",
                         [join_key("active", item, f) for f, _ in fields])
        else:
            reading.warn(Code.ROW_UNREADABLE,
                         f"table 2 row {row.leaf!r}: {len(values)} cells for {len(fields)} columns",
                         [f"active.{item}"])
            continue
        reading.rows_matched += 1
        for (field_key, printed_unit), cell, confidence, note in placed:
            spec = field_specs[field_key]
            reading.cells.append(MappedCell(
                key=join_key("active", item, field_key), table="active", cell=cell, kind=spec.kind,
                unit=spec.unit, printed_unit=printed_unit,
                confidence=min(cell.confidence, confidence), note=note))
    return reading


def _collapse_repeats(header, values: list[Cell]):
    """Merge runs of a repeated header column, if the row's cells in the run agree."""
    if len(values) != len(header):
        return header, values
    fields, cells = [], []
    for field, cell in zip(header, values):
        if fields and fields[-1] == field:
            if cell.text.strip() != cells[-1].text.strip():
                return header, values  # not a repetition: leave it to the count check
            continue
        fields.append(field)
        cells.append(cell)
    return fields, cells


def _header_fields(texts: list[str], tpl: Templates) -> list[tuple[str, str | None]]:
    """Table-2 columns named by header cells (the stub word 信息内容 removed), in order."""
    fields = []
    for text in texts:
        core = _without_unit(text)
        for stub in tpl.tables.active.stub_labels:
            core = core.replace(stub, "")
        choice = tpl.active_fields.best(core, accept=0.8)
        if choice:
            fields.append((choice.key, unit_in_header(text, tpl.numbers)))
    return fields


def _is_remark(text: str) -> bool:
    text = nfkc(text).strip()
    return text.startswith("(") and text.endswith(")")


_DETACHED_CONFIDENCE = 0.6


def _place_detached(fields, values: list[Cell], taken: list[_Detached], field_specs):
    """Detached values go to the column their remark names ("含自然失效29件" → 本年废止件数),
    else to the middle columns; the row's own cells fill the remaining columns in order."""
    slots: dict[int, tuple[Cell, str]] = {}
    for d in taken:
        remark = nfkc(d.remark)
        by_word = [i for i, (f, _) in enumerate(fields)
                   if i not in slots and any(w in remark for w in field_specs[f].prose)]
        free = [i for i in range(len(fields)) if i not in slots]
        middle = sorted(free, key=lambda i: abs(i - (len(fields) - 1) / 2))
        index = by_word[0] if by_word else middle[0]
        how = "its remark" if by_word else "position (no remark names a column)"
        slots[index] = (d.cell, f"detached value placed by {how}: {d.cell.text}{d.remark}")
    own = iter(values)
    placed = []
    for i, f in enumerate(fields):
        if i in slots:
            cell, note = slots[i]
        else:
            cell, note = next(own), "column inferred: a cell of this row was printed elsewhere"
        placed.append((f, cell, _DETACHED_CONFIDENCE, note))
    return placed


def _active_format(items, tpl: Templates) -> str | None:
    """2021 or 2019, from the column headers read, else from the items and cell counts."""
    votes = dict.fromkeys(tpl.active_formats, 0)
    for item, row, header in items:
        for fmt, layouts in tpl.active_formats.items():
            layout = next((lay for lay in layouts if item in lay.items), None)
            if layout is None:
                votes[fmt] -= 1
                continue
            if header:
                printed = {f for f, _ in header}
                votes[fmt] += len(printed & set(layout.fields)) - len(printed - set(layout.fields))
            elif len(_trim(row.values, len(layout.fields))) == len(layout.fields):
                votes[fmt] += 1
    if not items:
        return None
    return max(votes, key=lambda f: (votes[f], f == tpl.newest_format))


@lru_cache(maxsize=8)
def _unit_in_header(units: tuple[str, ...]):
    amounts = "|".join(map(regex.escape, units))
    return regex.compile(rf"(?:单位[:：]?\s*)?[(（]?\s*({amounts})\s*[)）]?")


def unit_in_header(text: str, numbers: Numbers) -> str | None:
    """The unit a column heading prints: 万元 in "本年收费金额（单位：万元）"."""
    found = _unit_in_header(tuple(numbers.units("amount"))).search(nfkc(text))
    return found.group(1) if found else None


def _without_unit(text: str) -> str:
    return regex.sub(r"[(（][^)）]*(?:元|单位)[^)）]*[)）]", "", nfkc(text))
