"""The audit engine: the rules of the knowledge (rulebook.py), evaluated over one report, or a
report and its previous year."""

from __future__ import annotations

from decimal import Decimal
from fnmatch import fnmatchcase
from itertools import product
from typing import Any

from ..identity_spec import ForEach
from ..printed import Layouts
from ..rulebook import EachCheck, Rule, Severity, ShareCheck, SumCheck
from .expressions import (
    Context,
    Sum,
    evaluate,
    likely_cause,
    percent_matches,
    plain,
    substitute,
)
from .model import CellRef, Finding, RuleTally


def _bindings(rule: Rule, ctx: Context) -> list[dict[str, str]]:
    names = list(rule.for_each)
    lists = [_values(v, ctx) for v in rule.for_each.values()]
    return [dict(zip(names, combo)) for combo in product(*lists)] if names else [{}]


def _values(spec: str | list[str] | ForEach, ctx: Context) -> list[str]:
    if isinstance(spec, str):
        return ctx.expand(spec)
    if isinstance(spec, list):
        return spec
    return [v for v in ctx.expand(spec.each)
            if (not spec.only or any(fnmatchcase(v, g) for g in spec.only))
            and not any(fnmatchcase(v, g) for g in spec.except_)]


def _within(difference: Decimal, rule: Rule, left: Sum, right: Sum) -> tuple[bool, str]:
    if rule.tolerance == "exact":
        return difference == 0, "exact"
    if rule.tolerance == "rounding":
        bound = left.half_ulps + right.half_ulps
        return abs(difference) <= bound, f"± {plain(bound)} (rounding of the printed decimals)"
    if rule.tolerance.absolute is not None:
        return abs(difference) <= rule.tolerance.absolute, f"± {rule.tolerance.absolute}"
    scale = max(abs(left.total), abs(right.total), Decimal(1))
    return abs(difference) <= rule.tolerance.relative * scale, f"± {rule.tolerance.relative:%}"


def _message(template: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def evaluate_rule(rule: Rule, ctx: Context, tally: RuleTally, layouts: Layouts) -> list[Finding]:
    """The rule's findings on the report of `ctx`; their Chinese messages name rows, columns
    and cells by the labels the report prints (`layouts`), the English ones by their keys."""
    findings = []
    if isinstance(rule.check, ShareCheck):
        return _share_check(rule, ctx, tally)
    ctx = ctx.restricted(rule.sources)
    for bindings in _bindings(rule, ctx):
        if rule.requires and not evaluate(rule.requires, ctx, bindings).complete:
            tally.skipped += 1
            tally.skipped_because.append(f"{_label(bindings)}: needs {', '.join(rule.requires)}")
            continue
        if isinstance(rule.check, SumCheck):
            finding = _sum_check(rule, ctx, bindings, tally, layouts)
            if finding:
                findings.append(finding)
        else:
            findings += _each_check(rule, ctx, tally, layouts)
    return findings


def _sum_check(rule: Rule, ctx: Context, bindings: dict[str, str], tally: RuleTally,
               layouts: Layouts) -> Finding | None:
    left = evaluate(rule.check.sum, ctx, bindings, rule.blanks)
    right = evaluate(rule.check.other, ctx, bindings, rule.blanks)
    if not (left.complete and right.complete):
        tally.skipped += 1
        reason = ", ".join(dict.fromkeys(left.missing + right.missing))
        tally.skipped_because.append(f"{_label(bindings)}: no value for {reason}")
        return None
    if not left.cells and not right.cells:
        tally.skipped += 1
        return None
    tally.checked += 1
    difference = right.total - left.total
    ok, tolerance = _within(difference, rule, left, right)
    if rule.check.at_most is not None:
        ok, tolerance = difference >= 0 or ok, "at most"
    if ok:
        return None
    tally.failed += 1
    context = left.cells if rule.names == "equals" else []
    cells = _unique(right.cells + [c.model_copy(update={"role": "context"}) for c in context]
                    if rule.names == "equals" else left.cells + right.cells)
    values = {**bindings, "expected": plain(left.total), "actual": plain(right.total),
              "difference": plain(difference)}
    printed = {name: layouts.part_label(rule.table, v) for name, v in bindings.items()}
    # A printed side with a cell left empty (not "—" or "/") that would make the identity
    # hold: a gap in the table rather than a wrong number.
    empty = [c for c in right.cells if c.value is None and not c.raw.strip()]
    blank = bool(empty) and -difference > 0
    message = rule.message
    if blank:
        values |= {"cells": "、".join(c.key for c in empty), "should": plain(-difference)}
        printed["cells"] = "、".join(layouts.cell_label(c.key) for c in empty)
        message = rule.blank_message
    cause = likely_cause(cells)
    claim = (left.claims + right.claims or [None])[0]
    return Finding(
        rule=rule.id, rule_number=rule.rule, severity=_severity(rule.severity, blank, cause),
        cells=cells, expected=plain(left.total), actual="blank" if blank else plain(right.total),
        difference=None if blank else plain(difference), tolerance=tolerance,
        message_zh=_message(message.zh, values | printed),
        message_en=_message(message.en, values),
        likely_cause=cause, category="completeness" if blank else "arithmetic",
        claim=claim.sentence if claim else None, claim_page=claim.page if claim else None,
        claim_span=claim.span if claim else None, claim_bbox=claim.bbox if claim else None)


def _severity(declared: Severity, blank: bool, cause: str) -> Severity:
    """A blank where a number belongs is a gap, not an error; a finding that rests on a cell
    extraction was unsure of may be our misreading, so it warns rather than accuses."""
    if declared == "error" and (blank or cause == "extraction"):
        return "warning"
    return declared


def _share_check(rule: Rule, ctx: Context, tally: RuleTally) -> list[Finding]:
    claims = ctx.report.claims
    findings = []
    for claim in claims:
        if (claim.role != "share" or claim.refers_to is None or claim.base is None
                or not any(fnmatchcase(claim.id, g) for g in rule.check.shares)):
            continue
        part, total = claims[claim.refers_to], claims[claim.base]
        if not total.value:
            tally.skipped += 1
            continue
        tally.checked += 1
        ok, _, value = percent_matches(Decimal(part.value), Decimal(total.value),
                                       Decimal(claim.value), claim.decimals)
        if ok:
            continue
        tally.failed += 1
        cells = [CellRef(key=c.id, value=c.value, raw=c.raw, page=c.page, bbox=c.bbox,
                         span=c.span) for c in (claim, part, total)]
        values = {"claim": claim.sentence[:80], "expected": f"{value}%",
                  "actual": f"{claim.value}%", "part": part.value, "total": total.value}
        findings.append(Finding(
            rule=rule.id, rule_number=rule.rule, severity=rule.severity, cells=cells,
            expected=f"{value}%", actual=f"{claim.value}%",
            tolerance=f"rounding or truncation to {claim.decimals} decimals",
            message_zh=_message(rule.message.zh, values),
            message_en=_message(rule.message.en, values), likely_cause="publisher",
            claim=claim.sentence, claim_page=claim.page, claim_span=claim.span,
            claim_bbox=claim.bbox))
    return findings


def _each_check(rule: Rule, ctx: Context, tally: RuleTally, layouts: Layouts) -> list[Finding]:
    check: EachCheck = rule.check
    findings = []
    for value in ctx.report.values:
        if not any(fnmatchcase(value.key, p) for p in check.each):
            continue
        if any(fnmatchcase(value.key, p) for p in check.except_) or value.value is None:
            continue
        tally.checked += 1
        whole = value.unit is not None or value.value == int(value.value)
        if value.value >= check.at_least and whole:
            continue
        tally.failed += 1
        cell = CellRef(key=value.key, value=value.value, raw=value.raw, page=value.page,
                       bbox=value.bbox, span=value.span, confidence=value.confidence)
        values = {"key": value.key, "actual": value.raw, "expected": f"≥ {check.at_least}"}
        cause = likely_cause([cell])
        findings.append(Finding(
            rule=rule.id, rule_number=rule.rule, severity=_severity(rule.severity, False, cause),
            cells=[cell], expected=f">= {check.at_least}", actual=plain(Decimal(value.value)),
            message_zh=_message(rule.message.zh, values | {"key": layouts.cell_label(value.key)}),
            message_en=_message(rule.message.en, values), likely_cause=cause))
    return findings


def _unique(cells: list[CellRef]) -> list[CellRef]:
    seen, out = set(), []
    for c in cells:
        if (c.key, c.year) not in seen:
            seen.add((c.key, c.year))
            out.append(c)
    return out


def _label(bindings: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in bindings.items()) or "report"


__all__ = ["Rule", "evaluate_rule", "substitute"]
