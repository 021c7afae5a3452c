"""A small, safe evaluator for the expressions of patterns/rules.yaml and patterns/claims.yaml.

An expression is a list of terms summed: canonical keys, "-key" to subtract, "*" for the rows
of a group in the report's format, "previous:key" for last year's report, "prose:key" for the
figure the prose states for a key (a claim; with "*", every matching claim summed), "?key" for
a term that counts as 0 when the report does not print it, "{subject}" for the
review/litigation blocks a prose claim names. No code from YAML is ever executed.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase

import regex

from ..labels import Templates
from ..numbers import Numbers
from ..schema import RELIABLE, Claim, Report, Value
from ..textnorm import nfkc
from .model import CellRef

NO_VALUE_AS_ZERO = {"blank", "dash", "slash", "none", "not_applicable"}
CUMULATIVE = ".cumulative"


@dataclass
class Context:
    """The reports an expression is evaluated over."""

    report: Report
    tpl: Templates
    previous: Report | None = None
    subjects: dict[str, list[str]] = field(default_factory=dict)  # subject → table-4 blocks

    def __post_init__(self) -> None:
        self.values = {v.key: v for v in self.report.values}
        self.previous_values = {v.key: v for v in self.previous.values} if self.previous else {}
        self.table3_format = table3_format(self.report, self.tpl)
        self.formats = {"applications": self.table3_format,
                        "active": table2_format(self.report, self.tpl)}
        if self.report.meta.format == "legacy":  # no standard tables: legacy rules only
            self.formats = {"applications": "legacy", "active": "legacy"}

    def restricted(self, sources: list[str] | None) -> Context:
        """The same reports with only the values printed in `sources` (tables) visible."""
        if not sources:
            return self
        narrowed = copy(self)
        narrowed.values = {k: v for k, v in self.values.items() if v.table in sources}
        narrowed.previous_values = {k: v for k, v in self.previous_values.items()
                                    if v.table in sources}
        return narrowed

    def expand(self, placeholder: str) -> list[str]:
        """The values of "@rows", "@columns", "@blocks", "@items", "@cumulative" (keys printed
        with their running total, `key` and `key.cumulative`) and "@claimed" (keys the prose
        states a count for)."""
        if placeholder == "@cumulative":
            return [k for k in self.values if not k.endswith(CUMULATIVE)
                    and k + CUMULATIVE in self.values]
        if placeholder == "@claimed":
            return list(dict.fromkeys(c.id for c in self.report.claims if c.role == "count"))
        if placeholder == "@rows":
            return [r.key for r in self.tpl.rows_for(self.table3_format)]
        if placeholder == "@columns":
            return list(self.tpl.app_column_order)
        if placeholder == "@blocks":
            return list(self.tpl.review_block_order)
        if placeholder == "@items":
            return list(self.tpl.active_items)
        raise ValueError(f"unknown placeholder list {placeholder}")


def table2_format(report: Report, tpl: Templates) -> str:
    """The format of table 2, from the columns its values were read under."""
    return tpl.active_format_of({v.key.rsplit(".", 1)[1] for v in report.values
                                 if v.table == "active"})


def table3_format(report: Report, tpl: Templates) -> str:
    """The format of table 3, from the rows its values were read under."""
    prefix = "applications."
    rows = {v.key[len(prefix):].rsplit(".", 1)[0] for v in report.values
            if v.key.startswith(prefix)}
    return tpl.app_format_of(rows) or tpl.newest_format


@dataclass
class Sum:
    total: Decimal = Decimal(0)
    cells: list[CellRef] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    blanks: list[str] = field(default_factory=list)
    half_ulps: Decimal = Decimal(0)  # rounding interval of the printed amounts
    amounts: bool = False
    claims: list[Claim] = field(default_factory=list)  # prose figures among the terms
    empty: bool = False  # every term was optional and none is printed

    @property
    def complete(self) -> bool:
        return not self.missing and not self.empty


def substitute(term: str, bindings: dict[str, str]) -> str:
    for name, value in bindings.items():
        term = term.replace("{" + name + "}", value)
    return term


def keys_of(term: str, ctx: Context, subject: str | None = None) -> list[tuple[int, str, bool]]:
    """(sign, key, from previous report) for one term, wildcards and subjects expanded."""
    sign = -1 if term.startswith("-") else 1
    term = term.lstrip("-")
    previous = term.startswith("previous:")
    if previous:
        term = term[len("previous:"):]
    if "{subject}" in term:
        blocks = ctx.subjects.get(subject or "", [])
        return [(sign, f"review_litigation.{term.replace('{subject}', b)}", previous) for b in blocks]
    if "*" not in term:
        return [(sign, term, previous)]
    if term.startswith("applications."):
        row_glob, column = term[len("applications."):].rsplit(".", 1)
        rows = [r.key for r in ctx.tpl.rows_for(ctx.table3_format) if fnmatchcase(r.key, row_glob)]
        return [(sign, f"applications.{row}.{column}", previous) for row in rows]
    pool = ctx.previous_values if previous else ctx.values
    return [(sign, key, previous) for key in pool if fnmatchcase(key, term)]


def cell_ref(value: Value, report: Report, other_year: bool) -> CellRef:
    return CellRef(key=value.key, value=value.value, raw=value.raw, page=value.page,
                   bbox=value.bbox, span=value.span, confidence=value.confidence,
                   year=report.meta.year if other_year else None,
                   source=report.meta.source if other_year else None)


def evaluate(terms: list[str], ctx: Context, bindings: dict[str, str] | None = None,
             blanks: str = "zero", subject: str | None = None) -> Sum:
    """The sum of `terms` over the reports, with every cell it read."""
    result = Sum()
    present = 0
    for term in terms:
        term = substitute(term, bindings or {})
        optional = term.lstrip("-").startswith("?")
        if optional:
            term = term.replace("?", "", 1)
            if not _present(term, ctx, subject):
                continue  # an optional row the report does not print
        present += 1
        if term.lstrip("-").startswith("prose:"):
            _add_claims(term, ctx, result)
            continue
        expanded = keys_of(term, ctx, subject)
        if not expanded:
            result.missing.append(term)
        for sign, key, previous in expanded:
            pool = ctx.previous_values if previous else ctx.values
            value = pool.get(key)
            label = f"previous:{key}" if previous else key
            if value is None or value.null_reason == "unreadable":
                result.missing.append(label)
                continue
            report = ctx.previous if previous else ctx.report
            result.cells.append(cell_ref(value, report, previous))
            if value.value is None:
                if blanks == "zero" and value.null_reason in NO_VALUE_AS_ZERO:
                    result.blanks.append(label)
                    continue
                result.missing.append(label)
                continue
            amount = Decimal(value.value)
            result.total += sign * amount
            if value.unit:  # an amount: it stands for the interval of its printed decimals
                result.amounts = True
                result.half_ulps += _half_ulp(value, ctx.tpl.numbers)
    result.empty = present == 0 and bool(terms)
    return result


def _present(term: str, ctx: Context, subject: str | None) -> bool:
    bare = term.lstrip("-")
    if bare.startswith("prose:"):
        return any(fnmatchcase(c.id, bare[len("prose:"):]) for c in ctx.report.claims
                   if c.role == "count")
    return any(key in (ctx.previous_values if previous else ctx.values)
               for _, key, previous in keys_of(term, ctx, subject))


def _add_claims(term: str, ctx: Context, result: Sum) -> None:
    """A "prose:key" term: the figure the prose states for `key` (the first claim of it), or
    with "*" the figures of every matching claim, summed."""
    sign = -1 if term.startswith("-") else 1
    wanted = term.lstrip("-")[len("prose:"):]
    counts = [c for c in ctx.report.claims if c.role == "count"]
    chosen = ([c for c in counts if fnmatchcase(c.id, wanted)] if "*" in wanted
              else [c for c in counts if c.id == wanted][:1])
    if not chosen:
        result.missing.append(term)
        return
    for claim in chosen:
        result.total += sign * Decimal(claim.value)
        result.claims.append(claim)
        result.cells.append(CellRef(key=claim.id, value=claim.value, raw=claim.raw,
                                    page=claim.page, bbox=claim.bbox, span=claim.span))


_DECIMALS = regex.compile(r"\.(\d+)")


def _half_ulp(value: Value, numbers: Numbers) -> Decimal:
    """Half a unit in the last printed place of an amount, in the value's canonical unit
    ("96171.6" 万元 → 0.05; "961716000" printed in 元 → 0.00005 万元)."""
    found = _DECIMALS.search(nfkc(value.raw))
    places = len(found.group(1)) if found else 0
    half = Decimal(5) * Decimal(10) ** -(places + 1)
    printed = numbers.parse(value.raw, "amount").value
    return half * abs(Decimal(value.value) / printed) if printed else half


def plain(number: Decimal) -> int | Decimal:
    """An exact Decimal as an int when whole (for messages and JSON)."""
    return int(number) if number == number.to_integral_value() else number.normalize()


def likely_cause(cells: list[CellRef]) -> str:
    """publisher when every value was read reliably (confidence ≥ 0.9), extraction otherwise."""
    return "publisher" if all(c.confidence >= RELIABLE for c in cells) else "extraction"


def percent_matches(numerator: Decimal, denominator: Decimal, printed: Decimal,
                    decimals: int) -> tuple[bool, str, Decimal]:
    """Whether printed% is numerator/denominator rounded or truncated to its decimals."""
    exact = numerator / denominator * 100
    step = Decimal(1).scaleb(-decimals)
    rounded = exact.quantize(step, rounding=ROUND_HALF_UP)
    truncated = exact.quantize(step, rounding=ROUND_DOWN)
    if printed == rounded:
        return True, "rounded", rounded
    if printed == truncated:
        return True, "truncated", rounded
    return False, "", rounded
