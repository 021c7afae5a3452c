"""audit: the rules of patterns/rules.yaml over one report, or over consecutive years of one body.

    from extractor import extract
    from extractor.audit import audit
    result = audit(extract("2020.pdf"), previous=extract("2019.pdf"))
    for finding in result.findings: ...

A run never aborts on a finding: every rule instance is evaluated, skipped (with the reason)
when a value it needs is not printed, and counted in `result.rules`.
"""

from __future__ import annotations

from ..claims import subjects
from ..knowledge import Knowledge
from ..schema import Report
from ..textnorm import compact
from .expressions import Context
from .model import SEVERITY_ORDER, AuditResult, Finding, RuleTally
from .prose import check_claims
from .rules import evaluate_rule

__all__ = ["AuditResult", "Finding", "audit", "audit_series", "same_body"]


def audit(report: Report, previous: Report | None = None, *,
          knowledge: Knowledge | None = None) -> AuditResult:
    """Audit `report` with the rules of `knowledge` (the shipped ones when None); with
    `previous` (the same body's report of the year before), the cross-year rules too."""
    knowledge = knowledge or Knowledge.default()
    ctx = Context(report=report, tpl=knowledge.templates, previous=previous,
                  subjects=subjects(knowledge.claims))
    result = AuditResult(file=report.meta.source, agency=report.meta.agency, year=report.meta.year,
                         previous=previous.meta.source if previous else None)
    rules = knowledge.rules
    tallies = {r.id: RuleTally(rule=r.id, rule_number=r.rule) for r in rules}
    prose_rules = {r.rule: r for r in rules if r.kind == "prose"}
    for rule in rules:
        if rule.kind == "prose" or ctx.formats[rule.table] not in rule.formats:
            continue
        if rule.scope == "consecutive_years" and previous is None:
            continue
        result.findings += evaluate_rule(rule, ctx, tallies[rule.id], knowledge.layouts)
    claim_rule = prose_rules.get(6)
    if claim_rule is not None and ctx.formats["applications"] in claim_rule.formats:
        yoy = prose_rules.get(10)
        findings, checks = check_claims(ctx, claim_rule, yoy, tallies[claim_rule.id],
                                        tallies[yoy.id] if yoy else None, knowledge.claims)
        result.findings += findings
        result.claims = checks
    result.rules = [t for t in tallies.values() if t.checked or t.skipped]
    result.findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.rule_number or 99))
    return result


def same_body(a: Report, b: Report) -> bool:
    """Reports of the same body: the same canonical body (丰乐市 and 丰乐市人民政府 are one),
    or, where none was inferred, the same agency as printed."""
    name_a = a.meta.body or a.meta.agency
    name_b = b.meta.body or b.meta.agency
    return bool(name_a) and compact(name_a) == compact(name_b or "")


def audit_series(reports: list[Report], **kwargs) -> list[AuditResult]:
    """Audit each report, with the previous year's report of the same body where exactly one
    is given (two reports of one body for one year leave the comparison ambiguous)."""
    results = []
    for report in reports:
        candidates = [p for p in reports if p is not report and same_body(p, report)
                      and p.meta.year is not None and report.meta.year is not None
                      and p.meta.year == report.meta.year - 1]
        results.append(audit(report, candidates[0] if len(candidates) == 1 else None, **kwargs))
    return results
