"""The token-stream reader of tables 三 and 四: rows found by their labels, cells read back from
the runs of numbers between them.

Whatever the source kept of a table — cells run together on one line, one cell per line, a
number broken over two lines, empty cells dropped, a grid serialized cell by cell — the rows
are found by their labels in template order and each row's numbers become a `Run`. Its
readings (`digits.py`) are the ways to lay its digits over the row's cells that satisfy the
row's own arithmetic, cheapest first; several readings left for a row are settled by the
identities across rows and the prose (`settle.py`). A reading that departs from what was printed
(a join, a cut, a dropped cell) says so in a warning and its confidence.
"""

from __future__ import annotations

import regex

from ..codes import Code
from ..document import Cell
from ..keys import join_key
from ..segment import TextRegion
from ..textnorm import nfkc
from .digits import HARD, SOFT, Digits, Reading, best_readings, plain_splits, reading_of
from .hints import describe, prose_agreement
from .locate import LocatedTable
from .model import MappedCell, ReadContext, TableReading
from .read import PLACED_BY_ORDER
from .settle import GUESSED, SETTLED, UNIQUE, doubted, settle
from .stream import DIGIT, Run, compiled, find, run_at, serialized

PRINTED = 1.0  # the row's cells are the printed tokens, one each, and add up
PLACED = 0.85  # cells laid out over blanks or merged cells: fits the arithmetic, still a guess
_OPENING = 8  # characters: enough to tell any two table-3 labels apart


def stream_region(table: LocatedTable) -> TextRegion | None:
    """The text a token-stream reader reads: the section's text, or the grids serialized."""
    return table.region if table.region is not None else serialized(table)


def _opening(label: str) -> str:
    """The first words of a long label, which a wrapped cell keeps together."""
    core = nfkc(label)
    return core[:_OPENING] if len(core) > _OPENING + 2 else core


def _sub_numbers(rows) -> dict[str, int]:
    """The printed number of each sub-row inside its group ("2." for 其他法律行政法规禁止公开)."""
    numbers, seen = {}, {}
    for row in rows:
        if row.group is not None and row.group != "results":
            seen[row.group] = numbers[row.key] = seen.get(row.group, 0) + 1
    return numbers


_WORD_CHAR = regex.compile(r"\p{L}")


def first_value(text: str, start: int, end: int) -> int | None:
    """Where the first value after a label starts: a digit or mark right after the label, or
    later one that is not glued to a word ("数据1", "第2项" are headings, not values)."""
    for found in DIGIT.finditer(text, start, end):
        at = found.start()
        if at == start or not _WORD_CHAR.match(text, at - 1):
            return at
    return None


def _columns_printed(text: str, end: int, tpl) -> bool:
    """Whether the header before the first row names every applicant column; else the cells
    are laid out in the template's order on trust."""
    return all(find(text, tuple(column.labels), 0, end) is not None
               for column in tpl.tables.applications.columns)


def _separated(run: Run, cells: int) -> bool:
    """Whether the source separates this row's cells (one per line, or one token per cell)
    rather than running them together: then a cut inside a printed token is a last resort."""
    return SOFT in run.digits.gaps or run.digits.tokens() >= cells


def _confidence(reading: Reading, separated: bool, settled: float | None) -> float:
    """Printed as is, recovered (the only reading), settled or guessed among several; never
    reliable where a cell was not printed at all (placed, however well it fits)."""
    if settled is not None:
        confidence = settled
    else:
        confidence = PRINTED if separated and reading.cost(separated) == 0 else UNIQUE
    return min(confidence, PLACED) if reading.blanks or reading.repeats else confidence


def _emit(reading_out: TableReading, region: TextRegion, run: Run, chosen: Reading,
          keys: list[str], confidence: float, note: str) -> None:
    """One MappedCell per cell of the chosen reading, pointing at its digits in the source."""
    first_page = region.where(*run.piece(0, 1))[0]
    for index, (key, value, piece) in enumerate(zip(keys, chosen.values, chosen.pieces)):
        if piece is None:
            cell = Cell(text="", row=-1, col=-1, page=first_page, confidence=confidence)
            cell_note = "no cell printed here (the source dropped an empty cell)"
        else:
            start, end = run.piece(*piece)
            page, span, bbox = region.where(start, end)
            cell = Cell(text=run.printed(*piece), row=-1, col=-1, page=page, span=span,
                        bbox=bbox, confidence=min(confidence, region.confidence(start, end)))
            cell_note = ("one value printed for merged equal cells"
                         if index in chosen.repeated else note)
        reading_out.cells.append(MappedCell(key=key, table=reading_out.name, cell=cell,
                                            confidence=cell.confidence, note=cell_note))


def _departures(reading: Reading) -> str:
    parts = [f"{n} {what}" for n, what in ((reading.joins, "number(s) joined across lines"),
                                           (reading.inside, "cut(s) inside a printed number"),
                                           (reading.blanks, "cell(s) not printed"),
                                           (reading.repeats, "merged cell(s) repeated"))
             if n]
    return ", ".join(parts)


# ------------------------------------------------------------------ table 3

def read_applications_stream(region: TextRegion, ctx: ReadContext) -> TableReading:
    reading = TableReading("applications", strategy="token-stream")
    text = region.text
    tpl = ctx.tpl
    apps = tpl.tables.applications
    overdue = next(r for r in apps.rows if r.key == "other.overdue_correction").labels
    fmt = "2021" if find(text, tuple(_opening(label) for label in overdue), 0) else "2019"
    reading.format = fmt
    rows = [r for r in apps.rows if r.formats is None or fmt in r.formats]
    reading.rows_expected = len(rows)
    found = []
    position = 0
    every_label = tuple(label for r in apps.rows for label in r.labels) + tuple(
        label for group in apps.groups.values() for label in group.labels)
    for row in rows:
        hit = find(text, tuple(row.labels), position, longer=every_label)
        if hit is None:
            # A label wrapped around its own values: find it by its opening words.
            hit = find(text, tuple(_opening(label) for label in row.labels), position,
                       longer=every_label)
        if hit:
            found.append((row, hit))
            position = hit[1]
    columns = tpl.app_column_order
    n = len(columns)
    units = tuple(tpl.numbers.units("count"))
    runs: dict[str, Run] = {}
    sub_numbers = _sub_numbers(rows)
    for i, (row, (_, label_end)) in enumerate(found):
        following = found[i + 1] if i + 1 < len(found) else None
        end = following[1][0] if following else len(text)
        # The digits may come after the rest of a wrapped label ("（二）部分公开（区分处理的，
        # 只计这一情 447 7 0 0 0 0 454 形，不计其他情形）" in a PDF without rulings).
        first_digit = first_value(text, label_end, end)
        if first_digit is None:
            continue
        run = run_at(text, first_digit, end, units=units,
                     numbering=sub_numbers.get(following[0].key) if following else None)
        if run is not None:
            runs[row.key] = run
    separated = {key: _separated(run, n) for key, run in runs.items()}
    keys = {key: [join_key("applications", key, c) for c in columns] for key in runs}
    columns_known = bool(found) and _columns_printed(text, found[0][1][0], tpl)
    if runs and not columns_known:
        reading.warn(Code.COLUMNS_INFERRED,
                     "table 3 applicant columns were not named in a header; read in the "
                     f"template's order ({', '.join(tpl.app_column_names)})")
    candidates: dict[str, list[Reading]] = {}
    for key, run in runs.items():
        options, exact = best_readings(run.digits, 1, n, separated=separated[key])
        if not exact:
            # The publisher's row does not add up: the identities between rows (which do not
            # involve this row's 总计 alone) choose among its readings.
            reading.warn(Code.DIGITS_UNSPLITTABLE,
                         f"table 3 row {key}: no reading of {run.text!r} as {n} cells adds up; "
                         f"{len(options)} left to the column identities", keys[key])
        if options:
            candidates[key] = options
    instances = ctx.identities.for_table("applications", fmt)
    settled = settle(candidates, keys, instances, prose_agreement(ctx, [r.key for r in rows]))
    recovered = {key: [reading_of(runs[key].digits, split)
                       for split in plain_splits(runs[key].digits, n)]
                 for key, chosen in settled.chosen.items()
                 if _confidence(chosen, separated[key], None) < PRINTED}
    doubts = doubted(settled.chosen, recovered, keys, instances)
    for key, chosen in settled.chosen.items():
        options = candidates[key]
        confidence = _confidence(chosen, separated[key], settled.confidence.get(key))
        if key in doubts:
            confidence = min(confidence, GUESSED)
            reading.warn(Code.AMBIGUOUS_DIGITS,
                         f"table 3 row {key}: {runs[key].text!r} adds up as "
                         f"{describe([chosen.values])}, but the identities across rows fail "
                         "and another reading of the row explains them as well: a misprint "
                         "may be here", keys[key])
        if not columns_known:
            confidence = min(confidence, PLACED_BY_ORDER)
        if len(options) > 1:
            how = ("settled by the column identities" if confidence == SETTLED
                   else "still ambiguous; the most plausible kept")
            reading.warn(Code.AMBIGUOUS_DIGITS,
                         f"table 3 row {key}: {runs[key].text!r} splits {len(options)} ways "
                         f"({describe([o.values for o in options])}); {how}: "
                         f"{describe([chosen.values])}", keys[key])
        departures = _departures(chosen)
        if departures and (chosen.blanks or chosen.repeats):
            reading.warn(Code.CELLS_PLACED, f"table 3 row {key}: {departures}; cells placed by the "
                         "row's arithmetic", keys[key])
        note = ("cell boundaries recovered from a digit run" if confidence < PRINTED else None)
        _emit(reading, region, runs[key], chosen, keys[key], confidence, note)
        reading.rows_matched += 1
    missing = [r.key for r in rows if r.key not in settled.chosen]
    if missing and settled.chosen:
        reading.warn(Code.ROWS_MISSING, f"table 3 rows not found: {', '.join(missing)}",
                     [f"applications.{k}" for k in missing])
    return reading


# ------------------------------------------------------------------ table 4

def _review_labels(tpl) -> tuple[str, ...]:
    review = tpl.tables.review_litigation
    return tuple(label for group in (review.blocks, review.fields) for item in group
                 for label in item.labels) + tuple(review.block_groups)


_FILLER = regex.compile(r"[\s\p{P}\p{S}]+")


def _label_gap(text: str, start: int, end: int, labels) -> bool:
    """Whether text[start:end] holds nothing but table-4 labels, punctuation and spaces (the
    numbers on either side belong to one table)."""
    return not _FILLER.sub("", labels.sub("", nfkc(text[start:end])))


def _review_run(text: str, start: int, tpl, units: tuple[str, ...]) -> Run | None:
    """The numbers after the two-level header: consecutive runs separated only by labels (a
    grid's block rows) form one; of several such groups, the one with the most digits (a
    sentence may state a count of its own)."""
    labels = compiled(_review_labels(tpl))
    groups: list[list[Run]] = []
    position = start
    for found in DIGIT.finditer(text, start):
        if found.start() < position:
            continue
        run = run_at(text, found.start(), len(text), units=units)
        if run is None:
            continue
        previous = groups[-1][-1] if groups else None
        if previous is not None and _label_gap(text, previous.positions[-1] + 1, found.start(),
                                               labels):
            groups[-1].append(run)
        else:
            groups.append([run])
        position = run.positions[-1] + 1
    if not groups:
        return None
    best = max(groups, key=lambda g: sum(len(r.text) for r in g))
    return _joined(best)


def _joined(runs: list[Run]) -> Run:
    """Several runs as one, a hard gap between each two."""
    text = "".join(r.text for r in runs)
    gaps = tuple(g if i else HARD for r in runs for i, g in enumerate(r.digits.gaps))
    positions = tuple(p for r in runs for p in r.positions)
    marks, offset = {}, 0
    for r in runs:
        marks.update({offset + i: m for i, m in r.marks.items()})
        offset += len(r.text)
    return Run(Digits(text, gaps), positions, marks)


def read_review_stream(region: TextRegion, ctx: ReadContext) -> TableReading:
    reading = TableReading("review_litigation", strategy="token-stream")
    tpl = ctx.tpl
    text = region.text
    blocks, fields = tpl.review_block_order, tpl.review_field_order
    keys = [join_key("review_litigation", b, f) for b in blocks for f in fields]
    reading.rows_expected = len(blocks)
    header = find(text, _review_labels(tpl), 0)
    if header is None:
        return reading
    run = _review_run(text, header[1], tpl, tuple(tpl.numbers.units("count")))
    if run is None:
        return reading
    separated = _separated(run, len(keys))
    review = tpl.tables.review_litigation
    header_known = all(find(text, tuple(item.labels), 0, run.positions[0]) is not None
                       for item in (*review.blocks, *review.fields))
    if not header_known:
        reading.warn(Code.PLACED_BY_ORDER, "table 4 header not recognised; cells placed in "
                     f"the template's order ({'; '.join(tpl.review_block_names)} × "
                     f"{', '.join(tpl.review_field_names)})")
    options, exact = best_readings(run.digits, len(blocks), len(fields), separated=separated)
    if not exact:
        reading.warn(Code.DIGITS_UNSPLITTABLE,
                     f"table 4: no reading of {run.text!r} as {len(blocks)} blocks of "
                     f"{len(fields)} adds up in every block", keys)
    if not options:
        return reading
    settled = settle({"table": options}, {"table": keys}, [],
                     prose_agreement(ctx, []))
    chosen = settled.chosen["table"]
    confidence = _confidence(chosen, separated,
                             settled.confidence.get("table") or (None if exact else SETTLED))
    if len(options) > 1:
        how = "settled by the prose" if confidence == SETTLED else "the most plausible kept"
        reading.warn(Code.AMBIGUOUS_DIGITS,
                     f"table 4: {run.text!r} splits {len(options)} ways "
                     f"({describe([o.values for o in options])}); {how}: "
                     f"{describe([chosen.values])}", keys)
    if chosen.blanks or chosen.repeats:
        reading.warn(Code.CELLS_PLACED, f"table 4: {_departures(chosen)}; cells placed by the "
                     "block sums", keys)
    if not header_known:
        confidence = min(confidence, PLACED_BY_ORDER)
    _emit(reading, region, run, chosen, keys, confidence,
          "cell boundaries recovered from a digit run" if confidence < PRINTED else None)
    reading.rows_matched = len(blocks)
    return reading
