"""The mathematics of reading cells back from a run of digits (pure functions, no text).

A crawler's text of a table loses cell boundaries in three ways: cells run together
("21710000218" = 217 1 0 0 0 0 218), numbers break over lines ("1" / "62" = 162), and empty cells
are dropped or one value stands for a run of merged equal cells. What is left is a `Digits`
string with, between each two digits, the kind of gap the source had: none, a line break, or a
hard separator (a space, a tab, a no-value mark). This module enumerates the readings — each
cell a piece of the digits, a blank, or a repeat of its left neighbour — that satisfy a table's
block arithmetic (each block's last cell is the sum of the others), and prices each by how much
it departs from the printed gaps, so the callers keep the most faithful readings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

NONE, SOFT, HARD = 0, 1, 2  # the gap before a digit: adjacent, a line break, a separator

MAX_SPLITS = 20_000  # enumeration stops here; a row this ambiguous stays a guess anyway
# Longest cell of a table-3 or table-4 row: applications and cases are counted in fewer than ten
# million. Longer pieces are not tried, which keeps the splits of a long run bounded.
MAX_COUNT_DIGITS = 7

# What a departure from the printed gaps costs. A line break is usually a cell boundary
# (JOIN: a number printed over two lines); a dump may drop an empty cell (BLANK) or print one
# value for merged equal cells (REPEAT). Cutting inside a printed token is free where cells run
# together, and costly where the source separates its cells (INSIDE_SEPARATED).
JOIN, BLANK, REPEAT, INSIDE_SEPARATED = 1, 1, 1, 3
_SMALL_RUN = 12  # digits: below this, blanks may also be combined with cuts inside tokens
_MAX_VISITS = 300_000  # search nodes per row: the search gives up rather than stall a batch


@dataclass(frozen=True, slots=True)
class Digits:
    """A row's digits (a no-value mark stands as "0") and the gap before each digit."""

    text: str
    gaps: tuple[int, ...]  # gaps[i]: the gap before text[i]; gaps[0] is HARD by convention

    def __post_init__(self) -> None:
        if len(self.gaps) != len(self.text):
            raise ValueError("one gap per digit")

    @classmethod
    def plain(cls, text: str, hard: frozenset[int] = frozenset()) -> Digits:
        """Digits with hard separators before the indices in `hard`, nothing elsewhere."""
        return cls(text, tuple(HARD if i == 0 or i in hard else NONE for i in range(len(text))))

    @property
    def hard(self) -> frozenset[int]:
        return frozenset(i for i, g in enumerate(self.gaps) if i and g == HARD)

    def tokens(self) -> int:
        """How many printed tokens (pieces between line breaks and separators)."""
        return sum(1 for g in self.gaps if g != NONE)

    def valid_piece(self, lo: int, hi: int) -> bool:
        """text[lo:hi] can be one printed number: no leading zero, no separator inside."""
        if hi - lo > 1 and self.text[lo] == "0" or hi - lo > MAX_COUNT_DIGITS:
            return False
        return all(self.gaps[i] != HARD for i in range(lo + 1, hi))


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to lay the digits over the cells: per cell a (lo, hi) piece of the digits, or
    None for a blank; a repeated cell shares its neighbour's piece."""

    values: tuple[int | None, ...]
    pieces: tuple[tuple[int, int] | None, ...]
    joins: int = 0  # line breaks inside a number
    inside: int = 0  # cuts inside a printed token
    blanks: int = 0
    repeats: int = 0
    repeated: frozenset[int] = field(default_factory=frozenset)  # cells repeating the left one

    def cost(self, separated: bool) -> int:
        inside = INSIDE_SEPARATED if separated else 0
        return (JOIN * self.joins + inside * self.inside + BLANK * self.blanks
                + REPEAT * self.repeats)


# ------------------------------------------------------------------ splits without blanks

def _bounded(digits: Digits, n: int, lo: int, hi: int, budget: int) -> Iterator[tuple[int, ...]]:
    """Splits of text[lo:hi] into n numbers that add up to exactly `budget`."""
    # None can: a piece longer than the budget is larger than it, and n pieces of a short run
    # add up to less than n times its longest possible piece.
    if hi - lo > n * len(str(budget)) or budget >= n * 10 ** (hi - lo - n + 1):
        return
    text = digits.text
    if n == 1:
        if digits.valid_piece(lo, hi) and int(text[lo:hi]) == budget:
            yield (budget,)
        return
    for end in range(lo + 1, hi - n + 2):
        if not digits.valid_piece(lo, end):
            break  # a longer piece has the same leading zero or separator
        value = int(text[lo:end])
        if value > budget:
            break  # and a longer piece is larger still
        for rest in _bounded(digits, n - 1, end, hi, budget - value):
            yield (value, *rest)


def sum_splits(digits: Digits, n: int, lo: int = 0, hi: int | None = None) -> list[tuple[int, ...]]:
    """Splits of text[lo:hi] into n numbers whose last is the sum of the others."""
    hi = len(digits.text) if hi is None else hi
    out: list[tuple[int, ...]] = []
    for total_start in range(hi - 1, lo + n - 2, -1):
        if not digits.valid_piece(total_start, hi):
            continue
        total = int(digits.text[total_start:hi])
        for head in _bounded(digits, n - 1, lo, total_start, total):
            out.append((*head, total))
            if len(out) >= MAX_SPLITS:
                return out
    return out


def block_splits(digits: Digits, blocks: int, size: int, broken: int = 0) -> list[tuple[int, ...]]:
    """Splits into `blocks` consecutive groups of `size` numbers, each a sum split (up to
    `broken` of them any split, for a block whose printed total is wrong)."""
    results: list[tuple[int, ...]] = []
    length = len(digits.text)

    def walk(lo: int, left: int, spare: int, acc: tuple[int, ...]) -> None:
        if left == 0:
            if lo == length:
                results.append(acc)
            return
        for hi in range(lo + size, length - (left - 1) * size + 1):
            options = sum_splits(digits, size, lo, hi)
            used = 0
            if spare and not options:
                options, used = plain_splits(digits, size, lo, hi), 1
            for split in options:
                if len(results) >= MAX_SPLITS:
                    return
                walk(hi, left - 1, spare - used, acc + split)

    walk(0, blocks, broken, ())
    return results


def plain_splits(digits: Digits, n: int, lo: int = 0,
                 hi: int | None = None) -> list[tuple[int, ...]]:
    """Every split of text[lo:hi] into n printed numbers (no arithmetic to check)."""
    hi = len(digits.text) if hi is None else hi
    out: list[tuple[int, ...]] = []

    def walk(start: int, left: int, acc: tuple[int, ...]) -> None:
        if len(out) >= MAX_SPLITS or hi - start > left * MAX_COUNT_DIGITS:
            return
        if left == 1:
            if digits.valid_piece(start, hi):
                out.append((*acc, int(digits.text[start:hi])))
            return
        for end in range(start + 1, hi - left + 2):
            if not digits.valid_piece(start, end):
                break
            walk(end, left - 1, (*acc, int(digits.text[start:end])))

    walk(lo, n, ())
    return out


def reading_of(digits: Digits, values: tuple[int, ...]) -> Reading:
    """A split (every cell a piece, in order) as a Reading, with what it departs from."""
    pieces, lo, joins, inside = [], 0, 0, 0
    for value in values:
        hi = lo + len(str(value))
        pieces.append((lo, hi))
        joins += sum(1 for i in range(lo + 1, hi) if digits.gaps[i] == SOFT)
        if lo and digits.gaps[lo] == NONE:
            inside += 1
        lo = hi
    return Reading(tuple(values), tuple(pieces), joins=joins, inside=inside)


# ------------------------------------------------------------------ readings with blanks

def arrangements(digits: Digits, blocks: int, size: int, *, separated: bool,
                 max_cost: int, sums: bool = True) -> list[Reading]:
    """Readings with at least one blank or repeated cell (a dump that dropped empty cells or
    printed one value for merged equal ones), each block's last cell the sum of the others
    (a blank counts 0; unless `sums` is False: a misprinted row), costing at most `max_cost`.

    Pieces end at printed gaps; where cells run together they may also end inside a token,
    but only in short runs (the few digits of a row that dropped most of its cells)."""
    text, length = digits.text, len(digits.text)
    cut_inside = not separated and length <= _SMALL_RUN
    inside_cost = INSIDE_SEPARATED if separated else 0
    cells = blocks * size
    out: list[Reading] = []
    values: list[int | None] = []
    pieces: list[tuple[int, int] | None] = []
    repeated: list[int] = []

    def ends(lo: int) -> Iterator[int]:
        for hi in range(lo + 1, length + 1):
            if not digits.valid_piece(lo, hi):
                return
            if hi == length or digits.gaps[hi] != NONE or cut_inside:
                yield hi

    def block_ok(cell: int) -> bool:
        block = values[cell - size + 1: cell + 1]
        return sum(v or 0 for v in block[:-1]) == (block[-1] or 0)

    visits = 0

    def walk(pos: int, cell: int, cost: int, joins: int, inside: int, blanks: int) -> None:
        nonlocal visits
        visits += 1
        if cost > max_cost or len(out) >= MAX_SPLITS or visits > _MAX_VISITS:
            return
        if cell == cells:
            if pos == length and (blanks or repeated):
                out.append(Reading(tuple(values), tuple(pieces), joins, inside, blanks,
                                   len(repeated), frozenset(repeated)))
            return
        choices: list[tuple[int | None, tuple[int, int] | None, int, int, int, int, bool]] = []
        for hi in ends(pos):
            join = sum(1 for i in range(pos + 1, hi) if digits.gaps[i] == SOFT)
            cut = 1 if hi < length and digits.gaps[hi] == NONE else 0
            choices.append((int(text[pos:hi]), (pos, hi), JOIN * join + inside_cost * cut,
                            join, cut, 0, False))
        choices.append((None, None, BLANK, 0, 0, 1, False))
        if values and values[-1] is not None:  # a merged cell may span blocks
            choices.append((values[-1], pieces[-1], REPEAT, 0, 0, 0, True))
        for value, piece, extra, join, cut, blank, repeat in choices:
            values.append(value)
            pieces.append(piece)
            if repeat:
                repeated.append(cell)
            if not sums or cell % size != size - 1 or block_ok(cell):
                end = piece[1] if piece and not repeat else pos
                walk(end, cell + 1, cost + extra, joins + join, inside + cut, blanks + blank)
            if repeat:
                repeated.pop()
            values.pop()
            pieces.pop()

    walk(0, 0, 0, 0, 0, 0)
    return out


def best_readings(digits: Digits, blocks: int, size: int, *,
                  separated: bool) -> tuple[list[Reading], bool]:
    """The cheapest readings that satisfy the block arithmetic, and True; or, when none does
    (a misprinted total), the cheapest readings in which one block (of several) or the row
    (of one) breaks its sum, left to the identities between rows, and False."""
    n = blocks * size
    splits = sum_splits(digits, n) if blocks == 1 else block_splits(digits, blocks, size)
    found = [reading_of(digits, s) for s in splits]
    best = min((r.cost(separated) for r in found), default=None)
    ceiling = n if best is None else min(best - 1, n)
    # Cells are missing only where too little was printed to fill them all; a row with enough
    # numbers that adds up no way is a misprint, not a row with blanks.
    short = (digits.tokens() if separated else len(digits.text)) < n
    if ceiling >= 0 and short:
        found += arrangements(digits, blocks, size, separated=separated, max_cost=ceiling)
    if found:
        return cheapest(found, separated), True
    misprinted = [reading_of(digits, s) for s in (
        plain_splits(digits, n) if blocks == 1 else block_splits(digits, blocks, size, broken=1))]
    if short:  # a misprinted row that also dropped or merged cells
        misprinted += arrangements(digits, blocks, size, separated=separated, max_cost=n,
                                   sums=False)
    return cheapest(misprinted, separated), False


def cheapest(readings: list[Reading], separated: bool) -> list[Reading]:
    if not readings:
        return []
    low = min(r.cost(separated) for r in readings)
    return [r for r in readings if r.cost(separated) == low]
