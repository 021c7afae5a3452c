"""The audit rules as data: patterns/rules.yaml, each pattern directory's rules.yaml and each
rule directory's rules*.yaml, validated into typed, frozen `Rule`s. The audit engine
(audit/rules.py) evaluates them; the knowledge (knowledge.py) loads them once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import PatternsError
from .identity_spec import ForEach, IdentitySpec, Sums
from .patterns import read_yaml, shipped_patterns_dir
from .schema import TableName

Severity = Literal["error", "warning", "info"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: str
    en: str


# A rule's own sums (a user's rule may write them instead of naming an identity).
SumCheck = Sums


class ShareCheck(_Model):
    """Each percentage the prose states for a part (claims matching `shares`) equals the part
    over the total it is part of, rounded or truncated to its printed decimals."""

    shares: list[str] = Field(min_length=1)


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
    # The identity of identities.yaml the rule checks (its terms, relation and for_each).
    identity: str | None = None
    check: Union[SumCheck, EachCheck, ShareCheck, None] = None
    message: Text
    # The message when every printed value of the `equals` side is blank: not a wrong number
    # but a missing one (a warning about completeness, whatever the rule's severity).
    blank_message: Text = Text(
        zh="{cells}留空，按勾稽关系应为 {should}",
        en="{cells} printed blank; the arithmetic needs {should} there")

    @model_validator(mode="after")
    def _arithmetic_needs_check(self) -> "Rule":
        if self.kind == "arithmetic" and (self.check is None) == (self.identity is None):
            raise ValueError(f"rule {self.id}: an arithmetic rule needs an identity or a check "
                             "(one of them)")
        return self

    def resolved(self, identities: dict[str, IdentitySpec]) -> "Rule":
        """The rule with its identity's terms as its check (and its for_each, unless the rule
        narrows it); a rule with a check of its own as it is."""
        if self.identity is None:
            return self
        spec = identities.get(self.identity)
        if spec is None:
            raise PatternsError(f"rule {self.id!r} names identity {self.identity!r}, which no "
                                "identities.yaml declares")
        relation = {spec.relation: list(spec.other)}
        return self.model_copy(update={
            "check": SumCheck(sum=list(spec.sum), **relation),
            "for_each": self.for_each or dict(spec.for_each)})


def _read_rules(file: Path) -> tuple[list[Rule], Any]:
    """The rules of one file, each validated (an error names the file and the entry), and
    the file's document."""
    document = read_yaml(file)
    if document == {}:
        return [], document
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
    return rules, document


def rule_files(patterns_dirs: tuple[str, ...], rules_dirs: tuple[str, ...]) -> list[Path]:
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


def read_rules(identities: dict[str, IdentitySpec], patterns_dirs: tuple[str, ...] = (),
               rules_dirs: tuple[str, ...] = ()) -> tuple[tuple[Rule, ...], list[Any]]:
    """The shipped rules, then each user directory's: a rule with a known id replaces it, a
    new id is added; each resolved against `identities`. Also the raw documents read, for the
    knowledge's fingerprint."""
    by_id: dict[str, Rule] = {}
    documents = []
    for file in rule_files(patterns_dirs, rules_dirs):
        rules, document = _read_rules(file)
        documents.append(document)
        for rule in rules:
            by_id[rule.id] = rule
    return tuple(rule.resolved(identities) for rule in by_id.values()), documents
