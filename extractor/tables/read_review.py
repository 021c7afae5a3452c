"""map, table 4: a located grid's value rows split into the three blocks (行政复议, 未经复议直接
起诉, 复议后起诉) in the order its header names them, each block's cells into its five results.
Blocks or results no printed label names are placed in the template's order, at lower
confidence, with a warning."""

from __future__ import annotations

from ..codes import Code
from ..keys import join_key
from ..labels import Templates
from .locate import LocatedTable
from .model import MappedCell, TableReading
from .read import PLACED_BY_ORDER


def read_review(table: LocatedTable, tpl: Templates) -> TableReading:
    reading = TableReading("review_litigation")
    blocks = list(tpl.review_block_order)
    fields = list(tpl.review_field_order)
    k = len(fields)
    block_order: list[str] = []
    field_order: list[str] = []
    current: str | None = None
    filled: list[str] = []
    placed_by_order = False
    reading.rows_expected = len(blocks)
    for row in table.rows:
        if not row.has_values and not (row.values and len(row.values) in (k, k * len(blocks))):
            for cell in row.labels:
                hit = tpl.review_blocks.best(cell.text, accept=0.8)
                if hit and hit.key not in block_order:
                    block_order.append(hit.key)
                if hit:
                    current = hit.key
            names = [tpl.review_fields.best(c.text, accept=0.85) for c in row.labels]
            names = [c.key for c in names if c]
            if len(names) >= k and not field_order:
                field_order = names[:k]
            continue
        values = [c for c in row.values]
        while values and not values[-1].text.strip() and len(values) % k:
            values.pop()
        while values and not values[0].text.strip() and len(values) % k:
            values.pop(0)
        if len(values) % k:
            reading.warn(Code.ROW_UNREADABLE,
                         f"table 4 row with {len(values)} cells cannot be split into blocks of {k}")
            continue
        order = block_order if len(block_order) == len(blocks) else blocks
        field_names = field_order if sorted(field_order) == sorted(fields) else fields
        label = tpl.review_blocks.best(row.leaf, accept=0.8) if row.leaf else None
        # Blocks or fields that no printed label named are placed by the template's order.
        by_order = field_names is fields
        if len(values) == k * len(blocks):
            targets = order
            by_order |= order is blocks
        else:
            start = label.key if label else current
            if start is None or start in filled:
                start = next((b for b in order if b not in filled), None)
                by_order |= order is blocks
            if start is None:
                reading.warn(Code.ROW_UNREADABLE, "table 4 has more value rows than blocks")
                continue
            targets = order[order.index(start):order.index(start) + len(values) // k]
        for b_index, block in enumerate(targets):
            filled.append(block)
            reading.rows_matched += 1
            for f_index, field_name in enumerate(field_names):
                cell = values[b_index * k + f_index]
                confidence = min(cell.confidence, PLACED_BY_ORDER) if by_order else cell.confidence
                reading.cells.append(MappedCell(
                    key=join_key("review_litigation", block, field_name), table="review_litigation",
                    cell=cell, confidence=confidence))
            if by_order and not placed_by_order:
                placed_by_order = True
                reading.warn(Code.PLACED_BY_ORDER, "table 4 header not recognised; cells placed in "
                             f"the template's order ({'; '.join(tpl.review_block_names)} × "
                             f"{', '.join(tpl.review_field_names)})")
        current = None
    return reading
