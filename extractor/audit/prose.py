"""Prose claims (Report.claims) checked against the tables (DOMAIN rules 6 and 10).

(a) a count against the table value it names; (b) a share or rate against its own base in
the same sentence (or the tables' base when the sentence gives none); (c) a year-on-year
change against the previous year's report, when one is audited with it. Percentages pass
when either rounding or truncation to the printed decimals gives the printed figure; which
one is noted.
"""

from __future__ import annotations

from decimal import Decimal

from ..claims import ClaimRules, claim_alternatives
from ..keys import join_key
from .expressions import Context, Sum, evaluate, likely_cause, percent_matches, plain
from .model import ClaimCheck, Finding, RuleTally
from .rules import Rule


def _first_complete(alternatives, ctx: Context, subject) -> list[Sum]:
    sums = [evaluate(a, ctx, blanks="zero", subject=subject) for a in alternatives]
    return [s for s in sums if s.complete and s.cells]


def check_claims(ctx: Context, rule: Rule, yoy_rule: Rule | None, tally: RuleTally,
                 yoy_tally: RuleTally | None, specs: ClaimRules
                 ) -> tuple[list[Finding], list[ClaimCheck]]:
    claims = ctx.report.claims
    findings: list[Finding] = []
    checks: list[ClaimCheck] = []

    def record(i: int, status: str, expected=None, note=None) -> None:
        checks.append(ClaimCheck(index=i, claim=claims[i].id, raw=claims[i].raw, status=status,
                                 expected=expected, note=note))

    def fail(i: int, which: Rule, expected, actual, cells, how: str) -> None:
        claim = claims[i]
        values = {"claim": claim.sentence[:80], "expected": expected, "actual": actual}
        text = ctx.report.claims[i]
        findings.append(Finding(
            rule=which.id, rule_number=which.rule, severity=which.severity, cells=cells,
            expected=expected, actual=actual, tolerance=how,
            message_zh=_fill(which.message.zh, values), message_en=_fill(which.message.en, values),
            likely_cause=likely_cause(cells), category="prose", claim=claim.sentence,
            claim_page=text.page,
            claim_span=text.span, claim_bbox=text.bbox))

    for i, claim in enumerate(claims):
        if claim.role == "count":
            sums = _first_complete(claim_alternatives(claim, specs), ctx, claim.subject)
            if not sums:
                record(i, "skipped", note="the tables do not print what this counts")
                continue
            tally.checked += 1
            if any(s.total == claim.value for s in sums):
                record(i, "passed", claim.value)
                continue
            tally.failed += 1
            expected = plain(sums[0].total)
            record(i, "failed", expected)
            fail(i, rule, expected, claim.value, sums[0].cells, "exact")
        elif claim.role in ("share", "rate"):
            _check_ratio(i, claim, claims, ctx, specs, rule, tally, record, fail)
        elif claim.role == "change":
            _check_change(i, claim, claims, ctx, specs, rule, yoy_rule, tally, yoy_tally,
                          record, fail)
    return findings, checks


def _check_ratio(i, claim, claims, ctx, specs, rule, tally, record, fail) -> None:
    """A share (占41.53%) or a rate (纠错率5.17%) against its own base."""
    if claim.role == "share":
        of = claims[claim.refers_to] if claim.refers_to is not None else None
        numerators = [(Decimal(of.value), [])] if of is not None else []
        base_claim = claims[claim.base] if claim.base is not None else None
        bases = ([(Decimal(base_claim.value), [])] if base_claim is not None else
                 [(s.total, s.cells) for s in _first_complete(specs.spec.share.of, ctx, None)])
        cells = []
        if of is not None:
            sums = _first_complete(claim_alternatives(of, specs), ctx, of.subject)
            cells = sums[0].cells if sums else []
    else:
        num_claim = claims[claim.numerator] if claim.numerator is not None else None
        base_claim = claims[claim.base] if claim.base is not None else None
        rate = next(r for r in specs.spec.rates if r.id == claim.id)
        num_sums = _first_complete(rate.numerator_values, ctx, claim.subject)
        base_sums = _first_complete(rate.denominator_values, ctx, claim.subject)
        numerators = ([(Decimal(num_claim.value), [])] if num_claim is not None else
                      [(s.total, s.cells) for s in num_sums])
        bases = ([(Decimal(base_claim.value), [])] if base_claim is not None else
                 [(s.total, s.cells) for s in base_sums])
        cells = num_sums[0].cells if num_sums else []
    bases = [(b, c) for b, c in bases if b]
    if not numerators or not bases:
        record(i, "skipped", note="no base to compute the percentage from")
        return
    tally.checked += 1
    expected = None
    for numerator, _ in numerators:
        for base, _ in bases:
            ok, how, value = percent_matches(numerator, base, Decimal(claim.value), claim.decimals)
            if ok:
                record(i, "passed", f"{value}%", note=how)
                return
            expected = expected or value
    tally.failed += 1
    record(i, "failed", f"{expected}%")
    fail(i, rule, f"{expected}%", f"{claim.value}%", cells,
         f"rounding or truncation to {claim.decimals} decimals")


def _check_change(i, claim, claims, ctx, specs, rule, yoy_rule, tally, yoy_tally, record,
                  fail) -> None:
    of = claims[claim.refers_to]
    signed = claim.direction * Decimal(claim.value)
    if of.id.startswith("item.") and claim.unit == of.unit:
        # 2019 format: "行政许可710项，比2019年减少183项" is the printed 本年增/减.
        item = of.id.split(".", 1)[1]
        sums = _first_complete([[join_key("active", item, "change")]], ctx, None)
        if not sums:
            record(i, "skipped", note="the table prints no change for this item")
            return
        tally.checked += 1
        if sums[0].total == signed:
            record(i, "passed", plain(signed))
            return
        tally.failed += 1
        record(i, "failed", plain(sums[0].total))
        fail(i, rule, plain(sums[0].total), plain(signed), sums[0].cells, "exact")
        return
    if ctx.previous is None or yoy_rule is None:
        record(i, "skipped", note="needs the previous year's report")
        return
    year = ctx.previous.meta.year
    if claim.compared_year is not None and claim.compared_year != year:
        record(i, "skipped", note=f"compares with {claim.compared_year}, not {year}")
        return
    alternatives = claim_alternatives(of, specs)
    now = _first_complete(alternatives, ctx, of.subject)
    before = _first_complete([[f"previous:{t.lstrip('-')}" if not t.startswith("-")
                               else f"-previous:{t[1:]}" for t in a] for a in alternatives],
                             ctx, of.subject)
    if of.role != "count" or not now or not before or not before[0].total:
        record(i, "skipped", note="the change cannot be computed from the two reports")
        return
    yoy_tally.checked += 1
    current, previous = now[0].total, before[0].total
    if claim.unit == "%":
        ok, how, value = percent_matches(abs(current - previous), previous, Decimal(claim.value),
                                         claim.decimals)
        ok = ok and (current - previous) * claim.direction >= 0
        expected = f"{'+' if current >= previous else '-'}{value}%"
    else:
        ok, how = (current - previous == signed), "exact"
        expected = plain(current - previous)
    if ok:
        record(i, "passed", expected, note=how)
        return
    yoy_tally.failed += 1
    record(i, "failed", expected)
    actual = f"{'+' if claim.direction > 0 else '-'}{claim.value}{claim.unit}"
    fail(i, yoy_rule, expected, actual, now[0].cells + before[0].cells, how or "exact")


def _fill(template: str, values: dict) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template
