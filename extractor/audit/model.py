"""The audit's results: findings (what failed, where, expected versus printed) and the record
of everything checked, as Arelle reports calculation inconsistencies."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rulebook import Severity

SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CellRef(_Model):
    """A value a finding involves, with where it was printed."""

    key: str
    value: int | Decimal | None
    raw: str = ""
    page: int | None = None
    bbox: list[float] | None = None
    span: list[int] | None = None
    confidence: float = 1.0
    year: int | None = Field(default=None, description="set when the value is from another year's report")
    role: Literal["checked", "context"] = Field(
        default="checked", description="checked: a value the finding is about; context: a value it was computed from")
    source: str | None = Field(default=None, description="file of that other report")


class Finding(_Model):
    rule: str
    rule_number: int | None = None
    severity: Severity
    cells: list[CellRef]
    expected: int | Decimal | str
    actual: int | Decimal | str
    difference: int | Decimal | None = None
    tolerance: str = "exact"
    message_zh: str
    message_en: str
    likely_cause: Literal["publisher", "extraction"]
    category: Literal["arithmetic", "completeness", "prose"] = Field(
        default="arithmetic",
        description="arithmetic: printed numbers disagree; completeness: a cell the arithmetic "
                    "needs is printed blank; prose: the narrative disagrees with the tables")
    claim: str | None = Field(default=None, description="the prose the finding is about")
    claim_page: int | None = None
    claim_span: list[int] | None = None
    claim_bbox: list[float] | None = None


class RuleTally(_Model):
    rule: str
    rule_number: int | None = None
    checked: int = 0
    failed: int = 0
    skipped: int = 0
    skipped_because: list[str] = Field(default_factory=list)


class ClaimCheck(_Model):
    """One prose claim and what became of it."""

    index: int
    claim: str
    raw: str
    status: Literal["passed", "failed", "skipped"]
    expected: int | Decimal | str | None = None
    note: str | None = None


class AuditResult(_Model):
    file: str
    agency: str | None = None
    year: int | None = None
    previous: str | None = Field(default=None, description="the previous year's report audited with this one")
    findings: list[Finding] = Field(default_factory=list)
    rules: list[RuleTally] = Field(default_factory=list)
    claims: list[ClaimCheck] = Field(default_factory=list)

    def worst(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITY_ORDER.__getitem__)
