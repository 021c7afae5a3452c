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
from .expressions import Context, Sum, evaluate, likely_cause, plain, substitute
from .model import CellRef, Finding, RuleTally, Severity


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: str
    en: str


class SumCheck(_Model):
    sum: list[str] = Field(min_length=1)
    equals: list[str] = Field(min_length=1)


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
    formats: list[Literal["2019", "2021"]] = Field(default_factory=lambda: ["2019", "2021"])
    table: Literal["applications", "active"] = "applications"
    severity: Severity
    kind: Literal["arithmetic", "prose"] = "arithmetic"
    tolerance: Union[Literal["exact", "rounding"], Tolerance] = "exact"
    blanks: Literal["zero", "skip"] = "zero"
    # Which side's values a finding is about; the other side's are listed as context.
    names: Literal["both", "equals"] = "both"
    for_each: dict[str, Union[str, list[str]]] = Field(default_factory=dict)
    check: Union[SumCheck, EachCheck, None] = None
    message: Text

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
    lists = [ctx.expand(v) if isinstance(v, str) else v for v in rule.for_each.values()]
    return [dict(zip(names, combo)) for combo in product(*lists)] if names else [{}]


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
    for bindings in _bindings(rule, ctx):
        if isinstance(rule.check, SumCheck):
            finding = _sum_check(rule, ctx, bindings, tally)
            if finding:
                findings.append(finding)
        else:
            findings += _each_check(rule, ctx, tally)
    return findings


def _sum_check(rule: Rule, ctx: Context, bindings: dict[str, str], tally: RuleTally) -> Finding | None:
    left = evaluate(rule.check.sum, ctx, bindings, rule.blanks)
    right = evaluate(rule.check.equals, ctx, bindings, rule.blanks)
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
    if ok:
        return None
    tally.failed += 1
    context = left.cells if rule.names == "equals" else []
    cells = _unique(right.cells + [c.model_copy(update={"role": "context"}) for c in context]
                    if rule.names == "equals" else left.cells + right.cells)
    values = {**bindings, "expected": plain(left.total), "actual": plain(right.total),
              "difference": plain(difference)}
    return Finding(
        rule=rule.id, rule_number=rule.rule, severity=rule.severity, cells=cells,
        expected=plain(left.total), actual=plain(right.total), difference=plain(difference),
        tolerance=tolerance, message_zh=_message(rule.message.zh, values),
        message_en=_message(rule.message.en, values), likely_cause=likely_cause(cells))


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
        findings.append(Finding(
            rule=rule.id, rule_number=rule.rule, severity=rule.severity, cells=[cell],
            expected=f">= {check.at_least}", actual=plain(Decimal(value.value)),
            message_zh=_message(rule.message.zh, values), message_en=_message(rule.message.en, values),
            likely_cause=likely_cause([cell])))
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
