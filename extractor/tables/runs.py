"""Tables printed as run-together text: "…予以公开220000022（二）部分公开…".

Web text dumps drop the cell boundaries: a table-3 row's seven numbers arrive as one digit run
("21710000218" = 217 1 0 0 0 0 218) and table 4 as one run of fifteen. Rows are found by
their labels in template order; each run is split into cells by enumerating the splits that
satisfy the table's arithmetic (a row's six applicant columns add up to its 总计; each table-4
block's four outcomes add up to its 总计), and a row left with several such splits is settled
by the column identities between rows (DOMAIN rules 2 and 3). What stays ambiguous is kept at
its most plausible reading, with lowered confidence and every candidate in a warning. Table-2
runs have no arithmetic: figures stated in the prose, and 现行有效 being a stock at least as
large as the year's flow, choose among their splits, always flagged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from itertools import product
from statistics import pvariance

import regex

from ..claims import ClaimRules, claim_agrees
from ..document import Cell
from ..labels import Templates
from ..numbers import units
from ..schema import Claim
from ..textnorm import nfkc
from .locate import LocatedTable, TextRegion
from .read import MappedCell, TableReading, unit_in_header

UNIQUE = 0.95  # one split satisfies the arithmetic: recovered, not read
SETTLED = 0.9  # several splits; exactly one satisfies the identities across rows
GUESSED = 0.6  # several splits remain possible: the most plausible one is kept
_MAX_SPLITS = 20_000
_MAX_COMBINATIONS = 100_000
_MAX_PROSE_CHECKS = 1_000  # tied combinations past this stay guesses: too many to tell apart
_SHOWN = 12  # candidates listed in a warning
# Longest cell of a run-together row: table 3 and 4 count applications and cases (under ten
# million); table 2 also holds signed changes and amounts with decimals. Longer pieces are not
# tried, which keeps the splits of a long run from growing without bound.
_MAX_COUNT_DIGITS = 7
_MAX_CELL_CHARS = 14


# ------------------------------------------------------------------ finding labels and runs

def _label_pattern(label: str) -> str:
    """A regex for a printed label: any spacing, either width of brackets, colons, commas."""
    classes = {"(": r"[(（]", ")": r"[)）]", ":": r"[:：]", ",": r"[,，、]", "、": r"[,，、]",
               "“": r"[“”\"]?", "”": r"[“”\"]?", '"': r"[“”\"]?"}
    return r"\s*".join(classes.get(ch, regex.escape(ch)) for ch in nfkc(label) if not ch.isspace())


@lru_cache(maxsize=1024)
def _compiled(labels: tuple[str, ...]):
    return regex.compile("|".join(_label_pattern(x) for x in sorted(labels, key=len, reverse=True)))


def _find(text: str, labels: tuple[str, ...], start: int) -> tuple[int, int] | None:
    found = _compiled(labels).search(text, start)
    return (found.start(), found.end()) if found else None


@dataclass(slots=True)
class Run:
    """The digits of one printed row, with where each came from and where the source had a
    separator (a separator is always a cell boundary)."""

    digits: str
    positions: list[int]  # offset in the region text of each character of `digits`
    breaks: frozenset[int]  # indices i where a separator stood before digits[i]
    # A no-value mark ("—", "/", "无") is a cell of its own: it stands in `digits` as a "0"
    # between two breaks (nothing to add), and is printed back as itself.
    marks: dict[int, str] = field(default_factory=dict)

    def piece(self, lo: int, hi: int) -> tuple[int, int]:
        """Region-text offsets of digits[lo:hi]."""
        return self.positions[lo], self.positions[hi - 1] + 1


_MARKS = "—–−－―/／无"
_DIGIT = regex.compile(rf"[\d{_MARKS}]")  # where a run may start
_RUN = regex.compile(rf"\s*([\d{_MARKS}][\d{_MARKS} \t\u3000]*(?:\.\d+)?)")
_NEXT_NUMBERING = regex.compile(r"\s*[.、．](?!\d)")


def run_at(text: str, start: int, end: int, *, decimal: bool = False,
           numbering: int | None = None) -> Run | None:
    """The number run opening text[start:end]; `numbering` is the next row's printed number
    ("…0000002.其他法律…": the final 2 belongs to the next label, not to this row)."""
    found = _RUN.match(text, start, end)
    if not found:
        return None
    raw_start, raw = found.start(1), found.group(1)
    if "." in raw and not decimal:
        raw = raw[: raw.index(".")]
    after = raw_start + len(raw)
    if _NEXT_NUMBERING.match(text, after, end):
        stripped = raw.rstrip()
        tail = str(numbering) if numbering is not None else stripped[-1:]
        compact_digits = regex.sub(r"\s", "", stripped)
        if stripped.endswith(tail) and len(compact_digits) > len(tail):
            raw = stripped[: -len(tail)]
    digits, positions, breaks, marks = [], [], set(), {}
    for i, ch in enumerate(raw):
        if ch in _MARKS:
            marks[len(digits)] = ch
            breaks |= {len(digits), len(digits) + 1}
            digits.append("0")
            positions.append(raw_start + i)
        elif ch.isdigit() or ch == ".":
            if digits and raw[i - 1].isspace():
                breaks.add(len(digits))
            digits.append(ch)
            positions.append(raw_start + i)
    breaks = {b for b in breaks if 0 < b < len(digits)}
    return Run("".join(digits), positions, frozenset(breaks), marks) if digits else None


# ------------------------------------------------------------------ enumerating splits

def _valid(digits: str, breaks: frozenset[int], lo: int, hi: int) -> bool:
    """digits[lo:hi] can be one printed number: no leading zero, no separator inside."""
    if hi - lo > 1 and digits[lo] == "0" or hi - lo > _MAX_COUNT_DIGITS:
        return False
    return not any(lo < b < hi for b in breaks)


def _bounded(digits: str, breaks, n: int, lo: int, hi: int, budget: int) -> Iterator[tuple[int, ...]]:
    """Splits of digits[lo:hi] into n numbers that add up to exactly `budget`."""
    # None can: a piece longer than the budget is larger than it, and n pieces of a short
    # run add up to less than n times its longest possible piece.
    if hi - lo > n * len(str(budget)) or budget >= n * 10 ** (hi - lo - n + 1):
        return
    if n == 1:
        if _valid(digits, breaks, lo, hi) and int(digits[lo:hi]) == budget:
            yield (budget,)
        return
    for end in range(lo + 1, hi - n + 2):
        if not _valid(digits, breaks, lo, end):
            break  # a longer piece has the same leading zero or separator
        value = int(digits[lo:end])
        if value > budget:
            break  # and a longer piece is larger still
        for rest in _bounded(digits, breaks, n - 1, end, hi, budget - value):
            yield (value, *rest)


def sum_splits(digits: str, n: int, breaks: frozenset[int] = frozenset(),
               lo: int = 0, hi: int | None = None) -> list[tuple[int, ...]]:
    """Splits of digits[lo:hi] into n numbers whose last is the sum of the others."""
    hi = len(digits) if hi is None else hi
    out: list[tuple[int, ...]] = []
    for total_start in range(hi - 1, lo + n - 2, -1):
        if not _valid(digits, breaks, total_start, hi):
            continue
        total = int(digits[total_start:hi])
        for head in _bounded(digits, breaks, n - 1, lo, total_start, total):
            out.append((*head, total))
            if len(out) >= _MAX_SPLITS:
                return out
    return out


def block_splits(digits: str, blocks: int, size: int, breaks: frozenset[int] = frozenset(),
                 broken: int = 0) -> list[tuple[int, ...]]:
    """Splits into `blocks` consecutive groups of `size` numbers, each a sum split (up to
    `broken` of them any split, for a block whose printed total is wrong)."""
    results: list[tuple[int, ...]] = []

    def walk(lo: int, left: int, spare: int, acc: tuple[int, ...]) -> None:
        if left == 0:
            if lo == len(digits):
                results.append(acc)
            return
        for hi in range(lo + size, len(digits) - (left - 1) * size + 1):
            options = sum_splits(digits, size, breaks, lo, hi)
            if spare and not options:
                options = plain_splits(digits[lo:hi], size, frozenset(b - lo for b in breaks
                                                                        if lo < b < hi))
                used = 1
            else:
                used = 0
            for split in options:
                if len(results) >= _MAX_SPLITS:
                    return
                walk(hi, left - 1, spare - used, acc + split)

    walk(0, blocks, broken, ())
    return results


def plain_splits(digits: str, n: int, breaks: frozenset[int] = frozenset()) -> list[tuple[int, ...]]:
    """Every split of digits into n printed numbers (no arithmetic to check)."""
    out: list[tuple[int, ...]] = []

    def walk(lo: int, left: int, acc: tuple[int, ...]) -> None:
        if len(out) >= _MAX_SPLITS or len(digits) - lo > left * _MAX_COUNT_DIGITS:
            return
        if left == 1:
            if _valid(digits, breaks, lo, len(digits)):
                out.append((*acc, int(digits[lo:])))
            return
        for end in range(lo + 1, len(digits) - left + 2):
            if not _valid(digits, breaks, lo, end):
                break
            walk(end, left - 1, (*acc, int(digits[lo:end])))

    walk(0, n, ())
    return out


def _lengths(values: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(len(str(v)) for v in values)


def _cells(region: TextRegion, run: Run, values: tuple[int, ...], confidence: float) -> list[Cell]:
    """One Cell per value, pointing at its digits in the source."""
    cells, lo = [], 0
    for value in values:
        hi = lo + len(str(value))
        start, end = run.piece(lo, hi)
        page, span, bbox = region.where(start, end)
        cells.append(Cell(text=run.marks.get(lo, run.digits[lo:hi]), row=-1, col=-1, page=page,
                          span=span, bbox=bbox, confidence=confidence))
        lo = hi
    return cells


def _describe(candidates: list[tuple[int, ...]]) -> str:
    shown = " | ".join(" ".join(map(str, c)) for c in candidates[:_SHOWN])
    more = f" … ({len(candidates)} in all)" if len(candidates) > _SHOWN else ""
    return shown + more


# ------------------------------------------------------------------ table 3

def read_applications_runs(table: LocatedTable, tpl: Templates, claims: list[Claim],
                           rules: ClaimRules) -> TableReading:
    reading = TableReading("applications")
    region = table.region
    text = region.text
    apps = tpl.tables.applications
    overdue = next(r for r in apps.rows if r.key == "other.overdue_correction").labels
    fmt = "2021" if _find(text, tuple(_opening(label) for label in overdue), 0) else "2019"
    reading.format = fmt
    rows = [r for r in apps.rows if r.formats is None or fmt in r.formats]
    reading.rows_expected = len(rows)
    found: list[tuple[object, tuple[int, int]]] = []
    position = 0
    for row in rows:
        hit = _find(text, tuple(row.labels), position)
        if hit is None:
            # A label wrapped around its own values: find it by its opening words.
            hit = _find(text, tuple(_opening(label) for label in row.labels), position)
        if hit:
            found.append((row, hit))
            position = hit[1]
    columns = tpl.app_column_order
    n = len(columns)
    runs: dict[str, Run] = {}
    candidates: dict[str, list[tuple[int, ...]]] = {}
    for i, (row, (_, label_end)) in enumerate(found):
        following = found[i + 1] if i + 1 < len(found) else None
        end = following[1][0] if following else len(text)
        # The digits may come after the rest of a wrapped label ("（二）部分公开（区分处理的，
        # 只计这一情 447 7 0 0 0 0 454 形，不计其他情形）" in a PDF without rulings).
        first_digit = _DIGIT.search(text, label_end, end)  # a digit or a no-value mark
        if first_digit is None:
            continue
        run = run_at(text, first_digit.start(), end,
                     numbering=_sub_number(following[0], apps) if following else None)
        if run is None:
            continue
        splits = sum_splits(run.digits, n, run.breaks)
        if not splits:
            # The publisher's row does not add up: any split may be it, and the identities
            # between rows (which do not involve this row's 总计 alone) choose.
            splits = plain_splits(run.digits, n, run.breaks)
            reading.warn("digits_unsplittable",
                         f"table 3 row {row.key}: no split of {run.digits!r} into {n} cells adds "
                         f"up; {len(splits)} splits left to the column identities",
                         [f"applications.{row.key}.{c}" for c in columns])
            if not splits:
                continue
        runs[row.key], candidates[row.key] = run, splits
    groups = _TemplateGroups(rows)
    chosen, confidence = _settle(candidates, rows, columns,
                                 _prose_agreement(claims, rules, columns, groups))
    for key, values in chosen.items():
        if len(candidates[key]) > 1:
            how = ("settled by the column identities" if confidence[key] == SETTLED
                   else "still ambiguous; the most plausible kept")
            reading.warn("ambiguous_digits",
                         f"table 3 row {key}: {runs[key].digits!r} splits {len(candidates[key])} ways "
                         f"({_describe(candidates[key])}); {how}: {' '.join(map(str, values))}",
                         [f"applications.{key}.{c}" for c in columns])
        cells = _cells(region, runs[key], values, confidence[key])
        reading.rows_matched += 1
        for column, cell in zip(columns, cells):
            reading.cells.append(MappedCell(key=f"applications.{key}.{column}", table="applications",
                                            cell=cell, confidence=confidence[key],
                                            note="cell boundaries recovered from a digit run"))
    missing = [r.key for r in rows if r.key not in chosen]
    if missing:
        reading.warn("rows_missing", f"table 3 rows not found: {', '.join(missing)}",
                     [f"applications.{k}" for k in missing])
    return reading


_OPENING = 8  # characters: enough to tell any two table-3 labels apart


def _opening(label: str) -> str:
    """The first words of a long label, which a wrapped cell keeps together."""
    core = nfkc(label)
    return core[:_OPENING] if len(core) > _OPENING + 2 else core


def _sub_number(row, apps) -> int | None:
    """The printed number of a sub-row inside its group ("2." for 其他法律行政法规禁止公开)."""
    if row.group is None or row.group == "results":
        return None
    members = [r.key for r in apps.rows if r.group == row.group]
    return members.index(row.key) + 1


class _TemplateGroups:
    """A claim's wildcard term ("applications.denied.*.total") as the template's rows."""

    def __init__(self, rows) -> None:
        self.row_keys = [r.key for r in rows]

    def get(self, term: str, default=None) -> list[str]:
        table, rest = term.split(".", 1)
        row_glob, column = rest.rsplit(".", 1)
        return [f"{table}.{row}.{column}" for row in self.row_keys if fnmatchcase(row, row_glob)]


def _prose_agreement(claims: list[Claim], rules: ClaimRules, columns: list[str], groups):
    """How many of the prose's counts a table-3 assignment (row → values) reproduces."""
    relevant = [c for c in claims if c.role == "count"]

    def score(assignment: dict[str, tuple[int, ...]]) -> int:
        values = {f"applications.{row}.{col}": v for row, vs in assignment.items()
                  for col, v in zip(columns, vs)}
        return sum(claim_agrees(c, values, rules, groups) is True for c in relevant)

    return score


def _settle(candidates: dict[str, list[tuple[int, ...]]], rows, columns, prose):
    """One split per row: the combination satisfying most column identities (rules 2, 3),
    then agreeing with most of the prose's counts.

    The identities are the table's definition (DOMAIN.md), not rules.yaml's checks: a user
    may relax or drop an audit rule, but reading a digit run must not change with that."""
    keys = list(candidates)
    ambiguous = [k for k in keys if len(candidates[k]) > 1]
    fixed = {k: candidates[k][0] for k in keys if len(candidates[k]) == 1}
    confidence = {k: UNIQUE for k in fixed}
    if not ambiguous:
        return fixed, confidence
    outcome_rows = [r.key for r in rows if r.key not in
                    ("new_received", "carried_over", "total_handled", "carried_forward")]

    def score(assignment: dict[str, tuple[int, ...]]) -> int:
        satisfied = 0
        for c in range(len(columns)):
            get = lambda key: assignment[key][c] if key in assignment else None  # noqa: E731
            parts = [get(k) for k in outcome_rows]
            total = get("total_handled")
            if total is not None and None not in parts:
                satisfied += sum(parts) == total
            flows = [get(k) for k in ("new_received", "carried_over", "carried_forward")]
            if total is not None and None not in flows:
                satisfied += flows[0] + flows[1] == total + flows[2]
        return satisfied

    combos = 1
    for k in ambiguous:
        combos *= len(candidates[k])
    if combos <= _MAX_COMBINATIONS:
        best_score, best = -1, []
        for picks in product(*(candidates[k] for k in ambiguous)):
            assignment = {**fixed, **dict(zip(ambiguous, picks))}
            s = score(assignment)
            if s > best_score:
                best_score, best = s, [picks]
            elif s == best_score:
                best.append(picks)
    else:
        best = [_coordinate_ascent(candidates, ambiguous, fixed, score)]
    if 1 < len(best) <= _MAX_PROSE_CHECKS:
        agreement = [prose({**fixed, **dict(zip(ambiguous, picks))}) for picks in best]
        most = max(agreement)
        best = [picks for picks, a in zip(best, agreement) if a == most]
    if len(best) == 1:
        chosen = dict(zip(ambiguous, best[0]))
        return {**fixed, **chosen}, {**confidence, **{k: SETTLED for k in ambiguous}}
    # Rows on which all best combinations agree are settled; the others are guesses.
    chosen, result_conf = {}, dict(confidence)
    for i, k in enumerate(ambiguous):
        options = {picks[i] for picks in best}
        pick = max(options, key=_plausibility) if len(options) > 1 else next(iter(options))
        chosen[k] = pick
        result_conf[k] = SETTLED if len(options) == 1 else GUESSED
    return {**fixed, **chosen}, result_conf


def _coordinate_ascent(candidates, ambiguous, fixed, score, passes: int = 6) -> tuple:
    """Too many combinations to try them all: improve one row at a time until nothing moves
    (a row that breaks its own sum is usually the only free one, so this finds the best)."""
    picks = {k: max(candidates[k], key=_plausibility) for k in ambiguous}
    for _ in range(passes):
        moved = False
        for k in ambiguous:
            current = score({**fixed, **picks})
            for option in candidates[k]:
                trial = {**fixed, **picks, k: option}
                if score(trial) > current:
                    picks[k], current, moved = option, score(trial), True
        if not moved:
            break
    return tuple(picks[k] for k in ambiguous)


def _plausibility(values: tuple[int, ...]) -> tuple:
    """Among equally consistent splits: most applicants are natural persons, and printed
    numbers in one row tend to have similar lengths."""
    return (values[0], -pvariance(_lengths(values)))


# ------------------------------------------------------------------ table 4

def read_review_runs(table: LocatedTable, tpl: Templates, claims: list[Claim],
                     rules: ClaimRules) -> TableReading:
    reading = TableReading("review_litigation")
    region = table.region
    text = region.text
    blocks, fields = tpl.review_block_order, tpl.review_field_order
    keys = [f"review_litigation.{b}.{f}" for b in blocks for f in fields]
    reading.rows_expected = len(blocks)
    labels = tuple(label for group in (tpl.tables.review_litigation.blocks,
                                       tpl.tables.review_litigation.fields) for item in group
                   for label in item.labels) + tuple(tpl.tables.review_litigation.block_groups)
    header = _find(text, labels, 0)
    if header is None:
        return reading
    # The numbers follow the two-level header: the longest run after it (a sentence before
    # the table may mention a count of its own).
    runs = [r for m in _DIGIT.finditer(text, header[1])
            if (m.start() == header[1] or not _DIGIT.match(text[m.start() - 1]))
            and (r := run_at(text, m.start(), len(text))) is not None]
    if not runs:
        return reading
    run = max(runs, key=lambda r: len(r.digits))
    size = len(fields)
    splits = block_splits(run.digits, len(blocks), size, run.breaks)
    how = "the block sums"
    if not splits:
        # A misprinted total: one block may break its sum (the audit will say which).
        splits = block_splits(run.digits, len(blocks), size, run.breaks, broken=1)
        how = "the block sums, one block excepted"
        reading.warn("digits_unsplittable",
                     f"table 4: no split of {run.digits!r} into {len(blocks)} blocks of {size} "
                     "adds up in every block", keys)
    if not splits:
        return reading
    score = _claims_score(claims, rules, keys)
    values = max(splits, key=lambda v: (score(v), -pvariance(_lengths(v))))
    confidence = (UNIQUE if len(splits) == 1 and how == "the block sums" else
                  SETTLED if len(splits) == 1 or
                  sum(score(v) == score(values) for v in splits) == 1 and score(values) > 0
                  else GUESSED)
    if len(splits) > 1:
        reading.warn("ambiguous_digits",
                     f"table 4: {run.digits!r} splits {len(splits)} ways by {how} "
                     f"({_describe(splits)}); kept {' '.join(map(str, values))}", keys)
    reading.rows_matched = len(blocks)
    for key, cell in zip(keys, _cells(region, run, values, confidence)):
        reading.cells.append(MappedCell(key=key, table="review_litigation", cell=cell,
                                        confidence=confidence,
                                        note="cell boundaries recovered from a digit run"))
    return reading


def _claims_score(claims: list[Claim], rules: ClaimRules, keys: list[str]):
    """A candidate's agreement with the prose: how many stated counts it reproduces."""
    relevant = [c for c in claims if c.role == "count"]

    def score(values: tuple) -> int:
        assignment = dict(zip(keys, values))
        return sum(claim_agrees(c, assignment, rules) is True for c in relevant)

    return score


# ------------------------------------------------------------------ table 2

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
        if len(out) >= _MAX_SPLITS or dense[at] > len(left) * _MAX_CELL_CHARS:
            return
        while at < len(raw) and raw[at].isspace():
            at += 1
        if not left:
            if at == len(raw):
                out.append(acc)
            return
        if at < len(raw) and raw[at] in _MARKS:
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


def read_active_runs(table: LocatedTable, tpl: Templates, claims: list[Claim],
                     rules: ClaimRules) -> TableReading:
    reading = TableReading("active")
    region = table.region
    text = region.text
    active = tpl.tables.active
    fmt = max(active.formats, key=lambda f: sum(
        1 for layout in active.formats[f] for field in layout.fields
        if _find(text, tuple(active.fields[field].labels), 0)))
    reading.format = fmt
    anchors = tuple(label for group in (active.items, active.blocks) for spec in group.values()
                    for label in spec.labels)
    header_words = tuple(label for spec in active.fields.values() for label in spec.labels) + \
        tuple(active.stub_labels)
    position = 0
    for layout in active.formats[fmt]:
        for item in layout.items:
            reading.rows_expected += 1
            hit = _find(text, tuple(active.items[item].labels), position)
            if hit is None:
                continue
            position = hit[1]
            following = _find(text, anchors + header_words, hit[1])
            end = following[0] if following else len(text)
            raw = _row_text(tpl.patterns_dirs).match(text, hit[1], end)
            if raw is None or not raw.group(1).strip():
                continue
            kinds = [active.fields[f].kind for f in layout.fields]
            keys = [f"active.{item}.{f}" for f in layout.fields]
            splits = row_splits(raw.group(1).rstrip(), kinds)
            if not splits:
                reading.warn("digits_unsplittable",
                             f"table 2 row {item}: {raw.group(1)!r} cannot be read as "
                             f"{len(kinds)} cells", keys)
                continue
            score = _claims_score(claims, rules, keys)
            values = max(splits, key=lambda v: _active_plausibility(
                v, layout.fields, score, active.plausibility))
            confidence = 1.0 if len(splits) == 1 else GUESSED
            if len(splits) > 1:
                reading.warn("ambiguous_digits",
                             f"table 2 row {item}: {raw.group(1)!r} splits {len(splits)} ways "
                             f"({' | '.join(' '.join(v) for v in splits[:_SHOWN])}); kept "
                             f"{' '.join(values)} (the prose's figures, then 现行有效 ≥ 本年制发, "
                             "a change no larger than the items it changes)", keys)
            reading.rows_matched += 1
            units = _header_units(text, active, layout.fields, hit[0], tpl.patterns_dirs)
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
                  patterns_dirs: tuple[str, ...]) -> dict[str, str]:
    """Units printed after column headings ("采购总金额（万元）") in the block above a row."""
    units = {}
    for field in fields:
        if active.fields[field].kind != "amount":
            continue
        heading = None
        for found in _compiled(tuple(active.fields[field].labels)).finditer(text, 0, before):
            heading = found
        if heading is not None:
            unit = unit_in_header(text[heading.start(): heading.end() + 12], patterns_dirs)
            if unit:
                units[field] = unit
    return units


@lru_cache(maxsize=8)
def _row_text(patterns_dirs: tuple[str, ...]):
    """A run-together table-2 row: digits, marks, signs, points, and a trailing unit."""
    unit = "|".join(map(regex.escape, units("all", patterns_dirs)))
    return regex.compile(rf"\s*([\d{_MARKS}+\-−－.\s]*)({unit})?")


def _active_plausibility(values: tuple[str, ...], fields: list[str], score, limits) -> tuple:
    """Agreement with the prose first, then what the columns are: 现行有效 is a stock at least
    as large as the year's 制发; a 本年增/减 is no larger than the items it changes and, when
    printed without a sign, most often 0; procurement projects are few, each of a size."""
    numbers = tuple(0 if v in _MARKS else int(float(v.replace("−", "-").replace("－", "-")))
                    for v in values)
    by_field = dict(zip(fields, numbers))
    sensible = 0
    if "projects" in by_field and ("amount_yuan" in by_field or "amount_10k_yuan" in by_field):
        yuan = by_field.get("amount_yuan", by_field.get("amount_10k_yuan", 0) * 10000)
        ceiling = limits.get("max_yuan_per_procurement_project", float("inf"))
        sensible += yuan <= ceiling * max(by_field["projects"], 1)
        return (score(numbers), sensible, -len(values[fields.index("projects")]))
    if "in_force" in by_field and "made" in by_field:
        sensible += by_field["in_force"] >= by_field["made"]
    if "change" in by_field and "prior_items" in by_field:
        change = values[fields.index("change")]
        sensible += abs(by_field["change"]) <= by_field["prior_items"]
        sensible += change[0] in "+-−－" or by_field["change"] == 0
    if "decisions" in by_field and "prior_items" in by_field:
        sensible += by_field["decisions"] >= by_field["prior_items"]  # items are acted on often
    return (score(numbers), sensible, -pvariance([len(v) for v in values]))
