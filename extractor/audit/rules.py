"""Audit rules from patterns/rules.yaml (and a user's --rules directories), validated and
evaluated over one report, or a report and its previous year."""

from __future__ import annotations

from decimal import Decimal
from fnmatch import fnmatchcase
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import PatternsError
from ..patterns import read_yaml, shipped_patterns_dir
from ..schema import TableName
from .expressions import (
    Context,
    Sum,
    evaluate,
    likely_cause,
    percent_matches,
    plain,
    substitute,
)
from .model import CellRef, Finding, RuleTally, Severity


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: str
    en: str


class SumCheck(_Model):
    """The `sum` side equals the `equals` side, or is at most the `at_most` side."""

    sum: list[str] = Field(min_length=1)
    equals: list[str] | None = Field(default=None, min_length=1)
    at_most: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_relation(self) -> SumCheck:
        if (self.equals is None) == (self.at_most is None):
            raise ValueError("a sum check needs exactly one of equals or at_most")
        return self

    @property
    def other(self) -> list[str]:
        return self.equals if self.equals is not None else self.at_most


class ShareCheck(_Model):
    """Each percentage the prose states for a part (claims matching `shares`) equals the part
    over the total it is part of, rounded or truncated to its printed decimals."""

    shares: list[str] = Field(min_length=1)


class ForEach(_Model):
    """Placeholder values taken from a list placeholder ("@claimed"), filtered by globs."""

    each: str
    only: list[str] = Field(default_factory=list)
    except_: list[str] = Field(default_factory=list, alias="except")


class EachCheck(_Model):
    each: list[str] = Field(min_length=1)
    at_least: int = 0
    except_: list[str] = Field(default_factory=list, alias="except")


class Tolerance(_Model):
    absolute: Decimal | None = None
    relative: Decimal | None = None


class Rule(_Model):
    id: str
    rule: int | None = None
    description: Text
    scope: Literal["report", "consecutive_years"] = "report"
    formats: list[Literal["2019", "2021", "legacy"]] = Field(
        default_factory=lambda: ["2019", "2021"])
    table: Literal["applications", "active"] = "applications"
    severity: Severity
    kind: Literal["arithmetic", "prose"] = "arithmetic"
    tolerance: Union[Literal["exact", "rounding"], Tolerance] = "exact"
    blanks: Literal["zero", "skip"] = "zero"
    # Which side's values a finding is about; the other side's are listed as context.
    names: Literal["both", "equals"] = "both"
    for_each: dict[str, Union[str, list[str], ForEach]] = Field(default_factory=dict)
    # Only the values printed in these tables are seen (legacy: the 统计表, not the prose).
    sources: list[TableName] | None = None
    # Terms that must be printed (or stated) for the rule to apply at all.
    requires: list[str] = Field(default_factory=list)
    check: Union[SumCheck, EachCheck, ShareCheck, None] = None
    message: Text
    # The message when every printed value of the `equals` side is blank: not a wrong number
    # but a missing one (a warning about completeness, whatever the rule's severity).
    blank_message: Text = Text(
        zh="{cells}留空，按勾稽关系应为 {should}",
        en="{cells} printed blank; the arithmetic needs {should} there")

    @model_validator(mode="after")
    def _arithmetic_needs_check(self) -> "Rule":
        if self.kind == "arithmetic" and self.check is None:
            raise ValueError(f"rule {self.id}: an arithmetic rule needs a check")
        return self


def _read_rules(file: Path) -> list[Rule]:
    """The rules of one file, each validated: an error names the file and the entry."""
    document = read_yaml(file)
    if document == {}:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise PatternsError(f"{file}: a rules file holds a list under `rules:`")
    rules = []
    for number, raw in enumerate(document["rules"], start=1):
        if not isinstance(raw, dict):
            raise PatternsError(f"{file}: rule {number} under `rules:` is {str(raw)[:40]!r}, not "
                                "a mapping (id, description, severity, check, message)")
        try:
            rules.append(Rule.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            rule = str(raw.get("id"))[:40]
            raise PatternsError(f"{file}: invalid rule {rule!r} (rule {number}) at "
                                f"{where or 'the rule'}: {message}") from None
    return rules


def rule_files(rules_dirs: tuple[str, ...], patterns_dirs: tuple[str, ...]) -> list[Path]:
    """The shipped rules.yaml, each pattern directory's rules.yaml, then each rule directory's
    rules*.yaml, in the order their rules replace earlier ones of the same id."""
    files = [shipped_patterns_dir() / "rules.yaml"]
    for directory in patterns_dirs:
        if not Path(directory).is_dir():
            raise PatternsError(f"{directory}: not a directory of pattern files")
        files += [f for f in [Path(directory) / "rules.yaml"] if f.is_file()]
    for directory in rules_dirs:
        if not Path(directory).is_dir():
            raise PatternsError(f"{directory}: not a directory of rule files")
        files += sorted(Path(directory).glob("rules*.yaml"))
    return files


@lru_cache(maxsize=8)
def load_rules(rules_dirs: tuple[str, ...] = (),
               patterns_dirs: tuple[str, ...] = ()) -> tuple[Rule, ...]:
    """The shipped rules, then each user directory's: a rule with a known id replaces it, a
    new id is added."""
    by_id: dict[str, Rule] = {}
    for file in rule_files(rules_dirs, patterns_dirs):
        for rule in _read_rules(file):
            by_id[rule.id] = rule
    return tuple(by_id.values())


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


def evaluate_rule(rule: Rule, ctx: Context, tally: RuleTally) -> list[Finding]:
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
            finding = _sum_check(rule, ctx, bindings, tally)
            if finding:
                findings.append(finding)
        else:
            findings += _each_check(rule, ctx, tally)
    return findings


def _sum_check(rule: Rule, ctx: Context, bindings: dict[str, str], tally: RuleTally) -> Finding | None:
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
    # A printed side with a cell left empty (not "—" or "/") that would make the identity
    # hold: a gap in the table rather than a wrong number.
    empty = [c for c in right.cells if c.value is None and not c.raw.strip()]
    blank = bool(empty) and -difference > 0
    message = rule.message
    if blank:
        values |= {"cells": "、".join(c.key for c in empty), "should": plain(-difference)}
        message = rule.blank_message
    cause = likely_cause(cells)
    claim = (left.claims + right.claims or [None])[0]
    return Finding(
        rule=rule.id, rule_number=rule.rule, severity=_severity(rule.severity, blank, cause),
        cells=cells, expected=plain(left.total), actual="blank" if blank else plain(right.total),
        difference=None if blank else plain(difference), tolerance=tolerance,
        message_zh=_message(message.zh, values), message_en=_message(message.en, values),
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


def _each_check(rule: Rule, ctx: Context, tally: RuleTally) -> list[Finding]:
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
            message_zh=_message(rule.message.zh, values), message_en=_message(rule.message.en, values),
            likely_cause=cause))
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


__all__ = ["Rule", "evaluate_rule", "load_rules", "substitute"]
