"""read: one protocol for every table reader; every reading scored, the best kept.

A located table can be read more than one way: by its grid (rows by their labels, cells by
their columns: PDF rulings, HTML, DOCX, markdown, OCR) and as a token stream (labels and the runs
of numbers between them, whatever the source kept of its cells). Every reader that applies
runs (until one reading is perfect: nothing can beat it); each reading is scored by the
template rows it matched, the share of the table's identities its values satisfy, and its
confidence. The best is kept; the others are reported with their scores (camelot's parsing
report), so a grid reading that leaves rows unreadable falls back to the token stream, and a
user can see why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .locate import LocatedTable
from .model import ReadContext, TableReading
from .read import read_active, read_applications
from .read_review import read_review
from .runs import read_applications_stream, read_review_stream, stream_region
from .runs_active import read_active_stream


class Reader(Protocol):
    strategy: str

    def applies(self, table: LocatedTable) -> bool: ...

    def read(self, table: LocatedTable, ctx: ReadContext) -> TableReading: ...


_GRID = {"active": read_active, "applications": read_applications,
         "review_litigation": read_review}
_STREAM = {"active": read_active_stream, "applications": read_applications_stream,
           "review_litigation": read_review_stream}


@dataclass(frozen=True, slots=True)
class GridReader:
    """Rows by their labels, cells by their columns: tables the source kept as grids."""

    strategy = "grid"

    def applies(self, table: LocatedTable) -> bool:
        return bool(table.grids)

    def read(self, table: LocatedTable, ctx: ReadContext) -> TableReading:
        reading = _GRID[table.name](table, ctx.tpl)
        reading.strategy = table.strategy
        return reading


@dataclass(frozen=True, slots=True)
class StreamReader:
    """Labels and runs of numbers: tables printed as text, and grids whose cells went astray."""

    strategy = "token-stream"

    def applies(self, table: LocatedTable) -> bool:
        return table.region is not None or bool(table.rows)

    def read(self, table: LocatedTable, ctx: ReadContext) -> TableReading:
        region = stream_region(table)
        if region is None:
            return TableReading(table.name, strategy=self.strategy)
        return _STREAM[table.name](region, ctx)


READERS: tuple[Reader, ...] = (GridReader(), StreamReader())


@dataclass(frozen=True, slots=True)
class Scored:
    """A reading and its quality: rows matched, identities held, confidence."""

    reading: TableReading
    score: float
    identities_checked: int
    identities_held: int


def score(reading: TableReading, ctx: ReadContext) -> Scored:
    """coverage × (identities held / identities of the table)² × (½ + ½ · mean confidence): a
    reading must find the rows and make them add up (an identity broken or left unverifiable
    weighs twice), then be sure of them. A publisher's misprint breaks the same identities in
    every reading, so it ranks none."""
    values = {}
    for mapped in reading.cells:
        parsed = ctx.tpl.numbers.parse(mapped.cell.text, mapped.kind)
        if parsed.null_reason != "unreadable":
            values[mapped.key] = parsed.value
    fmt = reading.format or ctx.tpl.newest_format
    instances = ctx.identities.for_table(reading.name, fmt)
    checked = held = 0
    for instance in instances:
        verdict = instance.holds(values)
        if verdict is not None:
            checked += 1
            held += verdict
    coverage = reading.rows_matched / reading.rows_expected if reading.rows_expected else 0.0
    agreement = held / len(instances) if instances else 1.0
    value = coverage * agreement ** 2 * (0.5 + 0.5 * reading.confidence)
    return Scored(reading, round(value, 4), checked, held)


def read_table(table: LocatedTable, ctx: ReadContext,
               readers: tuple[Reader, ...] = READERS) -> tuple[TableReading, list[Scored]]:
    """The best reading of a table, and every reading scored (the chosen one first). A
    perfect reading (every row, every identity, full confidence: score 1) cannot be beaten,
    so the readers after it are not run."""
    scored: list[Scored] = []
    for reader in readers:
        if reader.applies(table):
            scored.append(score(reader.read(table, ctx), ctx))
            if scored[-1].score >= 1.0:
                break
    if not scored:
        return TableReading(table.name), []
    best = max(scored, key=lambda s: s.score)  # the first of equals: grids before streams
    return best.reading, [best] + [s for s in scored if s is not best]
