"""A small, safe evaluator for the expressions of patterns/rules.yaml and patterns/claims.yaml.

An expression is a list of terms summed, in the term language of patterns/identities.yaml
(parsed by `arithmetic.Term`): canonical keys, "-key" to subtract, "*" for the rows of a group
in the report's format, "previous:key" for last year's report, "prose:key" for the figure the
prose states for a key (a claim; with "*", every matching claim summed), "?key" for a term that
counts as 0 when the report does not print it, and here also "{subject}" for the
review/litigation blocks a prose claim names. No code from YAML is ever executed.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase

import regex

from ..arithmetic import Term
from ..keys import Key, join_key
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
        self.formats = table_formats(self.report, self.tpl)
        self.table3_format = self.formats["applications"]

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


def table_formats(report: Report, tpl: Templates) -> dict[str, str]:
    """The format of each table of a finished report (every one "legacy" in a legacy report;
    table 4 has table 3's), from the keys its values were read under."""
    if report.meta.format == "legacy":  # no standard tables: legacy rules only
        return dict.fromkeys(("applications", "active", "review_litigation", "legacy"), "legacy")
    keys = [Key.parse(v.key) for v in report.values if v.table in ("applications", "active")]
    applications = tpl.format_of("applications", {k.row for k in keys
                                                  if k.table == "applications"})
    return {"applications": applications, "review_litigation": applications, "legacy": "none",
            "active": tpl.format_of("active", {k.column for k in keys if k.table == "active"})}


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


def keys_of(term: Term, ctx: Context, subject: str | None = None) -> list[tuple[int, str, bool]]:
    """(sign, key, from previous report) for one term, wildcards and subjects expanded."""
    sign, text, previous = term.sign, term.key, term.previous
    if "{subject}" in text:
        blocks = ctx.subjects.get(subject or "", [])
        return [(sign, f"review_litigation.{text.replace('{subject}', b)}", previous)
                for b in blocks]
    if "*" not in text:
        return [(sign, text, previous)]
    if text.startswith("applications."):
        glob = Key.parse(text)
        rows = [r.key for r in ctx.tpl.rows_for(ctx.table3_format) if fnmatchcase(r.key, glob.row)]
        return [(sign, join_key("applications", row, glob.column), previous) for row in rows]
    pool = ctx.previous_values if previous else ctx.values
    return [(sign, k, previous) for k in pool if fnmatchcase(k, text)]


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
    for text in terms:
        term = Term.parse(substitute(text, bindings or {}))
        if term.optional and not _present(term, ctx, subject):
            continue  # an optional row the report does not print
        present += 1
        if term.prose:
            _add_claims(term, ctx, result)
            continue
        expanded = keys_of(term, ctx, subject)
        if not expanded:
            result.missing.append(str(term))
        for sign, k, previous in expanded:
            pool = ctx.previous_values if previous else ctx.values
            value = pool.get(k)
            label = f"previous:{k}" if previous else k
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


def _present(term: Term, ctx: Context, subject: str | None) -> bool:
    if term.prose:
        return any(fnmatchcase(c.id, term.key) for c in ctx.report.claims if c.role == "count")
    return any(k in (ctx.previous_values if previous else ctx.values)
               for _, k, previous in keys_of(term, ctx, subject))


def _add_claims(term: Term, ctx: Context, result: Sum) -> None:
    """A "prose:key" term: the figure the prose states for `key` (the first claim of it), or
    with "*" the figures of every matching claim, summed."""
    counts = [c for c in ctx.report.claims if c.role == "count"]
    chosen = ([c for c in counts if fnmatchcase(c.id, term.key)] if "*" in term.key
              else [c for c in counts if c.id == term.key][:1])
    if not chosen:
        result.missing.append(str(term))
        return
    for claim in chosen:
        result.total += term.sign * Decimal(claim.value)
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
