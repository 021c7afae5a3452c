"""eval: score extraction and audit against truth files (the format of fixtures/corpus/truth/).

Per document: how many truth cells come out exactly, which are missing, which are wrong (with
both values and the confidence the wrong one was read with: below `schema.RELIABLE` (0.9) the
user was warned, at or above it the error is silent), which keys came out that the truth does
not have; and the audit's findings against the truth's `published_inconsistencies` (matched by
DOMAIN rule number, severity and the cells the finding is about), as precision and recall.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .audit import audit_series
from .audit.model import Finding
from .errors import DamagedInput, InputNotFound, NianbaoError
from .knowledge import Knowledge
from .schema import RELIABLE, Report


class WrongCell(BaseModel):
    key: str
    expected: Any
    got: Any
    confidence: float

    @property
    def flagged(self) -> bool:
        return self.confidence < RELIABLE


class DocumentScore(BaseModel):
    file: str
    truth: str
    cells: int = 0
    exact: int = 0
    missing: list[str] = Field(default_factory=list)
    wrong: list[WrongCell] = Field(default_factory=list)
    extra: list[str] = Field(default_factory=list)
    findings_expected: int = 0
    findings_found: int = 0
    findings_matched: int = 0
    unexpected_errors: list[str] = Field(default_factory=list)
    missed_findings: list[str] = Field(default_factory=list)
    error: str | None = None

    @property
    def exact_rate(self) -> float:
        return self.exact / self.cells if self.cells else 0.0


class Evaluation(BaseModel):
    documents: list[DocumentScore]
    cells: int
    exact: int
    exact_rate: float
    wrong: int  # values that came out different from the truth
    wrong_unflagged: int  # of those, read with confidence >= RELIABLE: silent errors
    findings_precision: float | None
    findings_recall: float | None


def _canon(value: Any) -> Decimal | str | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return str(value)


def find_truth(document: Path, truth_dir: Path) -> Path:
    """The truth file of a document: <stem>.json, or one whose `file` names it."""
    direct = truth_dir / f"{document.stem}.json"
    if direct.exists():
        return direct
    for candidate in sorted(truth_dir.glob("*.json")):
        try:
            if json.loads(candidate.read_text(encoding="utf-8")).get("file") == document.name:
                return candidate
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
    raise InputNotFound(f"{document}: no truth file in {truth_dir}")


def _signature(rule_number: int | None, severity: str, cells) -> tuple:
    return (rule_number, severity, frozenset(cells))


def _finding_signature(finding: Finding) -> tuple:
    return _signature(finding.rule_number, finding.severity,
                      (c.key for c in finding.cells if c.year is None and c.role == "checked"))


def _truth_signature(item: dict) -> tuple:
    number = re.match(r"\s*(\d+)", str(item.get("rule", "")))
    return _signature(int(number.group(1)) if number else None, item.get("severity", "error"),
                      item.get("cells", []))


_LEGACY_RULE = re.compile(r"\s*(L\d)\b")


def _legacy_match(item: dict, finding: Finding) -> bool:
    """A legacy truth entry ("L4 prose vs table (主动公开)") names its rule family and some of
    the cells involved: a finding of that family and severity involving one of them is it."""
    family = _LEGACY_RULE.match(str(item.get("rule", "")))
    if family is None or not finding.rule.startswith(family.group(1) + "_"):
        return False
    cells = {c.key for c in finding.cells}
    return (finding.severity == item.get("severity", "error")
            and (not item.get("cells") or bool(cells & set(item["cells"]))))


def score(report: Report, truth: dict, truth_file: str, findings: list[Finding]) -> DocumentScore:
    result = DocumentScore(file=report.meta.source, truth=truth_file)
    values = {v.key: v for v in report.values}
    got = {key: v.value for key, v in values.items()}
    for key, expected in truth["values"].items():
        result.cells += 1
        if key not in got:
            if expected is None:
                result.exact += 1  # a printed blank may come out null or absent
            else:
                result.missing.append(key)
        elif _canon(got[key]) == _canon(expected):
            result.exact += 1
        else:
            result.wrong.append(WrongCell(key=key, expected=expected, got=got[key],
                                          confidence=values[key].confidence))
    result.extra = [k for k, v in got.items() if k not in truth["values"] and v is not None]
    items = truth.get("published_inconsistencies", [])
    legacy = [i for i in items if _LEGACY_RULE.match(str(i.get("rule", "")))]
    legacy_found = [f for f in findings if any(_legacy_match(i, f) for i in legacy)]
    expected = {_truth_signature(i) for i in items if i not in legacy}
    found = {_finding_signature(f) for f in findings if f not in legacy_found}
    result.findings_expected = len(expected) + len(legacy)
    result.findings_found = len(found) + len(legacy_found)
    result.findings_matched = len(expected & found) + sum(
        any(_legacy_match(i, f) for f in findings) for i in legacy)
    result.unexpected_errors = [f"{f.rule}: {f.message_en}" for f in findings
                                if f.severity == "error" and _finding_signature(f) not in expected
                                and f not in legacy_found]
    result.missed_findings = [str(item.get("rule")) + ": " + str(item.get("detail", ""))[:120]
                              for item in items
                              if _truth_signature(item) not in found
                              and not any(_legacy_match(item, f) for f in findings)]
    return result


def read_truth(path: Path) -> dict:
    """A truth file: JSON with a `values` object (and optional inconsistencies)."""
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedInput(f"{path}: not a readable truth file ({type(exc).__name__})") from None
    if not isinstance(truth, dict) or not isinstance(truth.get("values"), dict):
        raise DamagedInput(f"{path}: a truth file needs a `values` object")
    return truth


def evaluate(documents: list[Path], truth_dir: Path, extract_one,
             knowledge: Knowledge | None = None) -> Evaluation:
    """Score each document that has a truth file; `extract_one(path) -> Report` (the pipeline
    or a stand-in). Reports of one body in consecutive years are audited together."""
    scores: list[DocumentScore] = []
    extracted: list[tuple[Report, dict, str]] = []
    for document in documents:
        try:
            truth_path = find_truth(document, truth_dir)
        except InputNotFound:
            continue  # not a scored document (a template, a stray file)
        try:
            truth = read_truth(truth_path)
            extracted.append((extract_one(document), truth, truth_path.name))
        except NianbaoError as exc:
            scores.append(DocumentScore(file=document.name, truth=truth_path.name, error=str(exc)))
    audits = audit_series([report for report, _, _ in extracted], knowledge=knowledge)
    scores += [score(report, truth, name, result.findings)
               for (report, truth, name), result in zip(extracted, audits)]
    cells = sum(s.cells for s in scores)
    exact = sum(s.exact for s in scores)
    found = sum(s.findings_found for s in scores)
    expected = sum(s.findings_expected for s in scores)
    matched = sum(s.findings_matched for s in scores)
    wrong = [w for s in scores for w in s.wrong]
    return Evaluation(
        documents=scores, cells=cells, exact=exact, exact_rate=exact / cells if cells else 0.0,
        wrong=len(wrong), wrong_unflagged=sum(not w.flagged for w in wrong),
        findings_precision=matched / found if found else None,
        findings_recall=matched / expected if expected else None)
