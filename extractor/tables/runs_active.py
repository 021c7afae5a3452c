"""Table 2 printed as text: "行政许可5541行政处罚…" or a row per line with its cells run together.

Table 2 has no arithmetic to split its runs: each run is read into every sequence of printed
cells its columns allow (a sign starts a signed cell, a decimal point stays inside an amount, a
no-value mark is a cell), and the readings are ranked by the figures the prose states, then by
what the columns are (现行有效 is a stock at least as large as the year's flow; a change is no
larger than the items it changes). A row with several readings is always flagged.
"""

from __future__ import annotations

from functools import lru_cache
from statistics import pvariance

import regex

from ..codes import Code
from ..document import Cell
from ..keys import join_key
from ..numbers import Numbers
from ..segment import TextRegion
from .digits import MAX_SPLITS
from .hints import SHOWN, claims_score
from .model import MappedCell, ReadContext, TableReading
from .read import unit_in_header
from .settle import GUESSED

# Longest table-2 cell: signed changes and amounts with decimals. Longer pieces are not tried,
# which keeps the readings of a long run bounded.
_MAX_CELL_CHARS = 14
from .stream import MARKS, compiled, find

_PIECE = {
    "count": regex.compile(r"\d+"),
    "signed": regex.compile(r"[+\-−－]?\d+"),
    "amount": regex.compile(r"\d+(?:\.\d+)?"),
}


def row_splits(raw: str, kinds: list[str]) -> list[tuple[str, ...]]:
    """Every reading of a run-together table-2 row as len(kinds) printed cells: a sign starts
    a signed cell, a decimal point stays inside an amount, a no-value mark is a cell."""
    out: list[tuple[str, ...]] = []
    dense = [0] * (len(raw) + 1)  # characters other than spaces from each position on
    for i in range(len(raw) - 1, -1, -1):
        dense[i] = dense[i + 1] + (not raw[i].isspace())

    def walk(at: int, left: list[str], acc: tuple[str, ...]) -> None:
        if len(out) >= MAX_SPLITS or dense[at] > len(left) * _MAX_CELL_CHARS:
            return
        while at < len(raw) and raw[at].isspace():
            at += 1
        if not left:
            if at == len(raw):
                out.append(acc)
            return
        if at < len(raw) and raw[at] in MARKS:
            walk(at + 1, left[1:], (*acc, raw[at]))
            return
        found = _PIECE[left[0]].match(raw, at)
        if not found:
            return
        piece = found.group()
        digits_start = at + (1 if piece[0] in "+-−－" else 0)
        for end in range(digits_start + 1, min(found.end(), at + _MAX_CELL_CHARS) + 1):
            text = raw[at:end]
            number = text.lstrip("+-−－")
            if number.endswith(".") or (len(number.split(".")[0]) > 1 and number[0] == "0"):
                continue
            walk(end, left[1:], (*acc, text))

    walk(0, kinds, ())
    return out


def read_active_stream(region: TextRegion, ctx: ReadContext) -> TableReading:
    reading = TableReading("active", strategy="token-stream")
    tpl = ctx.tpl
    text = region.text
    active = tpl.tables.active
    fmt = max(active.formats, key=lambda f: sum(
        1 for layout in active.formats[f] for field in layout.fields
        if find(text, tuple(active.fields[field].labels), 0)))
    reading.format = fmt
    anchors = tuple(label for group in (active.items, active.blocks) for spec in group.values()
                    for label in spec.labels)
    header_words = tuple(label for spec in active.fields.values() for label in spec.labels) + \
        tuple(active.stub_labels)
    position = 0
    for layout in active.formats[fmt]:
        for item in layout.items:
            reading.rows_expected += 1
            hit = find(text, tuple(active.items[item].labels), position)
            if hit is None:
                continue
            position = hit[1]
            following = find(text, anchors + header_words, hit[1])
            end = following[0] if following else len(text)
            raw = _row_text(tuple(tpl.numbers.units("all"))).match(text, hit[1], end)
            if raw is None or not raw.group(1).strip():
                continue
            kinds = [active.fields[f].kind for f in layout.fields]
            keys = [join_key("active", item, f) for f in layout.fields]
            splits = row_splits(raw.group(1).rstrip(), kinds)
            if not splits:
                reading.warn(Code.DIGITS_UNSPLITTABLE,
                             f"table 2 row {item}: {raw.group(1)!r} cannot be read as "
                             f"{len(kinds)} cells", keys)
                continue
            score = claims_score(ctx, keys)
            values = max(splits, key=lambda v: _active_plausibility(
                v, layout.fields, score, active.plausibility))
            confidence = 1.0 if len(splits) == 1 else GUESSED
            tokens = raw.group(1).split()
            if "\n" in raw.group(1) and len(tokens) < len(kinds):
                # One cell per line, fewer lines than cells: a cell was dropped or merged, not
                # run together with its neighbour; which one, nothing here says.
                confidence = GUESSED
                reading.warn(Code.CELLS_PLACED,
                             f"table 2 row {item}: {len(tokens)} cells printed for "
                             f"{len(kinds)} columns ({' '.join(tokens)}); read as "
                             f"{' '.join(values)}, a guess", keys)
            if len(splits) > 1:
                reading.warn(Code.AMBIGUOUS_DIGITS,
                             f"table 2 row {item}: {raw.group(1)!r} splits {len(splits)} ways "
                             f"({' | '.join(' '.join(v) for v in splits[:SHOWN])}); kept "
                             f"{' '.join(values)} (the prose's figures, then 现行有效 ≥ 本年制发, "
                             "a change no larger than the items it changes)", keys)
            reading.rows_matched += 1
            units = _header_units(text, active, layout.fields, hit[0], tpl.numbers)
            if raw.group(2):  # a unit printed after the last number is that cell's unit
                units[layout.fields[-1]] = raw.group(2)
            offset = raw.start(1)
            for field, key, piece in zip(layout.fields, keys, values):
                at = text.index(piece, offset)
                offset = at + len(piece)
                page, span, bbox = region.where(at, offset)
                spec = active.fields[field]
                reading.cells.append(MappedCell(
                    key=key, table="active", kind=spec.kind, unit=spec.unit,
                    printed_unit=units.get(field),
                    cell=Cell(text=piece, row=-1, col=-1, page=page, span=span, bbox=bbox,
                              confidence=confidence),
                    confidence=confidence,
                    note="cell boundaries recovered from a digit run" if len(splits) > 1 else None))
    return reading


def _header_units(text: str, active, fields: list[str], before: int,
                  numbers: Numbers) -> dict[str, str]:
    """Units printed after column headings ("采购总金额（万元）") in the block above a row."""
    units = {}
    for field in fields:
        if active.fields[field].kind != "amount":
            continue
        heading = None
        for found in compiled(tuple(active.fields[field].labels)).finditer(text, 0, before):
            heading = found
        if heading is not None:
            unit = unit_in_header(text[heading.start(): heading.end() + 12], numbers)
            if unit:
                units[field] = unit
    return units


@lru_cache(maxsize=8)
def _row_text(all_units: tuple[str, ...]):
    """A run-together table-2 row: digits, marks, signs, points, and a trailing unit."""
    unit = "|".join(map(regex.escape, all_units))
    return regex.compile(rf"\s*([\d{MARKS}+\-−－.\s]*)({unit})?")


def _active_plausibility(values: tuple[str, ...], fields: list[str], score, limits) -> tuple:
    """Agreement with the prose first, then what the columns are: a 本年增/减 printed without
    a sign is most often 0, and is no larger than the items it changes; 现行有效 is a stock at
    least as large as the year's 制发; procurement projects are few, each of a size."""
    numbers = tuple(0 if v in MARKS else int(float(v.replace("−", "-").replace("－", "-")))
                    for v in values)
    by_field = dict(zip(fields, numbers))
    if "projects" in by_field and ("amount_yuan" in by_field or "amount_10k_yuan" in by_field):
        yuan = by_field.get("amount_yuan", by_field.get("amount_10k_yuan", 0) * 10000)
        ceiling = limits.get("max_yuan_per_procurement_project", float("inf"))
        sensible = yuan <= ceiling * max(by_field["projects"], 1)
        return (score(numbers), sensible, -len(values[fields.index("projects")]))
    change_plausible = sensible = 0
    if "in_force" in by_field and "made" in by_field:
        sensible += by_field["in_force"] >= by_field["made"]
    if "change" in by_field:
        change = values[fields.index("change")]
        change_plausible = change[0] in "+-−－" or by_field["change"] == 0
        if "prior_items" in by_field:
            sensible += abs(by_field["change"]) <= by_field["prior_items"]
    return (score(numbers), change_plausible, sensible, -pvariance([len(v) for v in values]))
