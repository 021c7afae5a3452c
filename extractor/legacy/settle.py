"""Which cell of a 统计表 row is 本年度 and which 历年累计, and where run-together digits split.

Each row gets its options: one when its cells are certain (both printed between cell
boundaries, or a grid's explicit blank); two when a dump dropped an empty cell (the one value
may be either column; 本年度 is preferred); and every split of a run of digits when the dump
ran the cells together. The chosen reading maximizes, in this order: the table identities of
patterns/rules.yaml that hold (minus those that fail; a dropped cell is filled by the prose
figure for it when there is one), the cells that equal what the prose states for them, and the
preferences above. A row whose choice no identity or prose figure decides is still read, with
confidence 0.6 and a warning: never a confident guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import product

from .arith import Identity, verdict
from .knowledge import CUMULATIVE, PREFIX, LegacyKnowledge
from .table import Row, Table, Token

_ENUMERATE = 50_000  # joint readings tried exhaustively; beyond, one row at a time
SURE, BY_ARITHMETIC, BY_PROSE, GUESS = 1.0, 0.95, 0.9, 0.6


@dataclass(frozen=True)
class Cell:
    value: int | Decimal | None
    raw: str
    start: int = -1  # in Flat.text; -1 for a cell the dump dropped
    end: int = -1
    null_reason: str | None = None

    @property
    def printed(self) -> bool:
        return self.start >= 0


DROPPED = Cell(None, "", null_reason="blank")


@dataclass(frozen=True)
class Option:
    cells: tuple[tuple[str, Cell], ...]  # (column, cell)
    prior: int
    how: str  # cells, dropped cell, split


@dataclass
class Settled:
    row: Row
    option: Option
    confidence: float
    alternatives: list[Option]
    decided_by: str  # certain, arithmetic, prose, guess


def row_options(row: Row, table: Table, kn: LegacyKnowledge) -> list[Option]:
    columns = table.columns
    amount = kn.is_amount(row.key)
    tokens = row.tokens
    if len(tokens) >= len(columns) or not tokens or len(columns) == 1:
        cells = [_cell(t, amount, kn) for t in tokens[:len(columns)]]
        cells += [Cell(None, "", null_reason="blank")] * (len(columns) - len(cells))
        if all(c is not None for c in cells):
            return [Option(tuple(zip(columns, cells)), 0, "cells")]
    if table.run_together and tokens[0].digits and len(tokens[0].text) >= 2:
        options = _splits(tokens[0], columns)
        if options:
            return options
    cell = _cell(tokens[0], amount, kn)
    if cell is None:
        return []
    return [Option(tuple((c, cell if c == column else DROPPED) for c in columns),
                   1 if column == "year" else 0, "dropped cell") for column in columns]


def _splits(token: Token, columns: tuple[str, ...]) -> list[Option]:
    """Every reading of a run of digits: one cell in either column, or two cells."""
    text = token.text
    for digits in (text, text[:-1]):  # a last digit may be the next row's numbering ("003不予")
        options = []
        if _whole(digits):
            for column in columns:
                cell = Cell(int(digits), digits, token.start, token.start + len(digits))
                options.append(Option(tuple((c, cell if c == column else DROPPED)
                                            for c in columns), 1 if column == "year" else 0,
                                      "dropped cell"))
        for cut in range(1, len(digits)):
            first, second = digits[:cut], digits[cut:]
            if _whole(first) and _whole(second):
                a = Cell(int(first), first, token.start, token.start + cut)
                b = Cell(int(second), second, token.start + cut, token.start + len(digits))
                options.append(Option(((columns[0], a), (columns[1], b)), 2, "split"))
        if options:
            return options
    return []


def _whole(digits: str) -> bool:
    return bool(digits) and digits.isdigit() and (digits == "0" or not digits.startswith("0"))


def _cell(token: Token, amount: bool, kn: LegacyKnowledge) -> Cell | None:
    if token.blank:
        return Cell(None, "", token.start, token.end, "blank")
    reason = dict(kn.null_marks).get(token.text)
    if reason is not None:
        return Cell(None, token.text, token.start, token.end, reason)
    text = token.text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not amount:
        if number != number.to_integral_value() or not _whole(text.split(".")[0]):
            return None
        number = int(number)
    return Cell(number, token.text, token.start, token.end)


def settle(table: Table, kn: LegacyKnowledge, identities: list[Identity],
           prose: dict[str, int | Decimal]) -> list[Settled]:
    """The reading of every row (keys of `prose` and `identities` carry the `legacy.`
    prefix). Rows without any option (an unreadable cell) are left out. A row is settled only
    when every best joint reading agrees on it: a choice that fits as well together with other
    rows' other choices is a guess."""
    rows = [(row, row_options(row, table, kn)) for row in table.rows if not row.damaged]
    rows = [(row, options) for row, options in rows if options]
    choice = [0] * len(rows)
    verdicts: dict[int, tuple[str, list[Option]]] = {}
    keys_of = [{_key(row.key, c) for c, _ in options[0].cells} for row, options in rows]
    for component in _components(rows, keys_of, identities):
        verdicts.update(_choose(component, rows, choice, identities, prose))
    settled = []
    for i, (row, options) in enumerate(rows):
        if len(options) == 1:
            settled.append(Settled(row, options[0], SURE, [], "certain"))
            continue
        decided, ties = verdicts.get(i, ("guess", []))
        confidence = {"arithmetic": BY_ARITHMETIC, "prose": BY_PROSE}.get(decided, GUESS)
        settled.append(Settled(row, options[choice[i]], confidence, ties, decided))
    return settled


def _key(key: str, column: str) -> str:
    return PREFIX + key + (CUMULATIVE if column == "cumulative" else "")


def _components(rows, keys_of, identities: list[Identity]) -> list[list[int]]:
    """Ambiguous rows grouped by the identities that link them."""
    ambiguous = [i for i, (_, options) in enumerate(rows) if len(options) > 1]
    parent = {i: i for i in ambiguous}

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for identity in identities:
        linked = [i for i in ambiguous if keys_of[i] & identity.keys]
        for other in linked[1:]:
            parent[find(other)] = find(linked[0])
    groups: dict[int, list[int]] = {}
    for i in ambiguous:
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _choose(component: list[int], rows, choice: list[int], identities, prose
            ) -> dict[int, tuple[str, list[Option]]]:
    """Set the component's rows in `choice` to the best joint reading; for each row, what
    decided it (arithmetic, prose or nothing: a guess) and the options that fit as well."""
    sizes = [len(rows[i][1]) for i in component]
    total = 1
    for size in sizes:
        total *= size
    if total > _ENUMERATE:  # too many joint readings: improve one row at a time, prove nothing
        for _ in range(3):
            for i in component:
                scores = []
                for j in range(len(rows[i][1])):
                    choice[i] = j
                    scores.append((_score(rows, choice, identities, prose), j))
                choice[i] = max(scores)[1]
        return {i: ("guess", []) for i in component}
    scored = []
    for combo in product(*(range(s) for s in sizes)):
        for i, j in zip(component, combo):
            choice[i] = j
        scored.append((_score(rows, choice, identities, prose), combo))
    best = max(score[:2] for score, _ in scored)
    best_arithmetic = max(score[0] for score, _ in scored)
    tied = [combo for score, combo in scored if score[:2] == best]
    tied_arithmetic = [combo for score, combo in scored if score[0] == best_arithmetic]
    chosen = max((score, combo) for score, combo in scored if score[:2] == best)[1]
    verdicts = {}
    for position, i in enumerate(component):
        choice[i] = chosen[position]
        fitting = {combo[position] for combo in tied}
        if len(fitting) > 1:
            others = [rows[i][1][j] for j in sorted(fitting) if j != chosen[position]]
            verdicts[i] = ("guess", others)
        elif len({combo[position] for combo in tied_arithmetic}) == 1:
            verdicts[i] = ("arithmetic", [])
        else:
            verdicts[i] = ("prose", [])
    return verdicts


def _score(rows, choice: list[int], identities: list[Identity], prose
           ) -> tuple[int, int, int]:
    values: dict[str, int | Decimal | None] = {}
    agree = prior = 0
    for (row, options), j in zip(rows, choice):
        option = options[j]
        prior += option.prior
        for column, cell in option.cells:
            key = _key(row.key, column)
            stated = prose.get(key)
            if not cell.printed and cell.value is None and stated is not None:
                values[key] = stated  # a cell the dump dropped, stated in the prose
                continue
            values[key] = cell.value
            if cell.printed and stated is not None and cell.value == stated:
                agree += 1
    arithmetic = sum(verdict(identity, values) for identity in identities)
    return arithmetic, agree, prior
