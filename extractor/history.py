"""history: one body's reports across years as a panel (body × year × key), audited across years,
with the years it did not publish (or we do not have) reconstructed from its other reports.

Reports come from a store (one per body and year: the one with most printed values). For each
pair of consecutive years the cross-year rules of patterns/rules.yaml run (carry-over, the 2019
format's prior_items, in-force counts, year-on-year prose claims). For a year without a report,
what the neighbouring reports say about it is reconstructed by solving the cross-year identities
of patterns/identities.yaml (those an error-severity rule checks) for the missing year's side:

- `carried_forward` (year m) = the next report's `carried_over` (rule 7);
- `carried_over` (year m) = the previous report's `carried_forward` (rule 7);
- `prior_items` (year m) = the previous report's `prior_items + change` (rule 8);
- `active.<item>.prior_items+active.<item>.change` (year m: the item count at the end of m) =
  the next report's `prior_items` (rule 8), or a count with its change in items in the next
  report's prose ("行政许可710项，比2019年减少183项");
- legacy running totals (L2): 历年累计 (year m) = the next report's 历年累计 − its 本年度, and
  本年度 (year m) = that − the previous report's 历年累计 (never negative: a body that
  restarted its series breaks the chain), as `legacy_running_total` declares;
- a year-on-year percentage ("接收…29130件，较2019年下降6.62%") gives the interval of last
  year's value that rounds or truncates to the printed percentage.

Every body-year also gets the harmonized series of patterns/crosswalk.yaml (`History.series`):
applications received, granted, reviews … from whichever keys the year's format prints, with
how exactly they match the series.

A reconstructed key that is a sum of canonical keys is written with "+" (the expression the
report's figure stands for). Every row carries its `status` (printed, derived, reconstructed),
the report it comes from and, when not printed, the method: reconstructed values are never
mixed silently with printed ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pandas as pd

from .audit import audit
from .audit.expressions import Context, evaluate, table_formats
from .claims import ClaimRules, claim_alternatives, subjects
from .crosswalk import SERIES_COLUMNS, series_rows
from .keys import Key
from .knowledge import Knowledge
from .schema import Claim, Report, Value
from .store import Store
from .textnorm import compact
from .version import __version__

PANEL_COLUMNS = ["body", "year", "key", "value", "value_exact", "low", "high", "status",
                 "method", "source", "table", "confidence", "note"]
CHECK_COLUMNS = ["body", "year", "previous_year", "rule", "rule_number", "checked", "failed",
                 "skipped", "skipped_because", "source", "previous_source"]
FINDING_COLUMNS = ["body", "year", "previous_year", "rule", "rule_number", "severity", "expected",
                   "actual", "likely_cause", "keys", "message_zh", "message_en", "source",
                   "previous_source"]

CUMULATIVE = ".cumulative"


@dataclass
class History:
    panel: pd.DataFrame  # PANEL_COLUMNS
    checks: pd.DataFrame  # CHECK_COLUMNS: cross-year rule tallies per pair of years
    findings: pd.DataFrame  # FINDING_COLUMNS: cross-year findings
    series: pd.DataFrame  # SERIES_COLUMNS: the harmonized series (patterns/crosswalk.yaml)

    @property
    def bodies(self) -> list[str]:
        return sorted(self.panel["body"].unique())


def build_history(store: Store, *, body: str | None = None, years: tuple[int, int] | None = None,
                  knowledge: Knowledge | None = None) -> History:
    """The panel of every body in `store` (or those matching `body`), audited across years."""
    chosen = _chosen_reports(store, body)
    panel, checks, findings, series = [], [], [], []
    knowledge = knowledge or Knowledge.default()
    harmonized = knowledge.crosswalk
    cross_year = {r.id for r in knowledge.rules if r.scope == "consecutive_years"}
    for name, by_year in chosen.items():
        reports = {year: _load(store, sha, name, year) for year, sha in by_year.items()}
        first, last = years or (min(reports), max(reports))
        by_year_rows: dict[int, list[dict]] = {}
        for year, report in sorted(reports.items()):
            if first <= year <= last:
                by_year_rows[year] = _printed(name, year, report)
            previous = reports.get(year - 1)
            if previous is None or not first <= year - 1 < year <= last:
                continue
            result = audit(report, previous, knowledge=knowledge)
            pair = {"body": name, "year": year, "previous_year": year - 1,
                    "source": report.meta.source, "previous_source": previous.meta.source}
            checks += [pair | {"rule": t.rule, "rule_number": t.rule_number,
                               "checked": t.checked, "failed": t.failed, "skipped": t.skipped,
                               "skipped_because": "; ".join(t.skipped_because) or None}
                       for t in result.rules if t.rule in cross_year]
            findings += [pair | {"rule": f.rule, "rule_number": f.rule_number,
                                 "severity": f.severity, "expected": str(f.expected),
                                 "actual": str(f.actual), "likely_cause": f.likely_cause,
                                 "keys": [c.key for c in f.cells], "message_zh": f.message_zh,
                                 "message_en": f.message_en}
                         for f in result.findings if f.rule in cross_year]
        for year in range(first, last + 1):
            rows = (by_year_rows[year] if year in reports
                    else _reconstructed(name, year, reports, knowledge))
            panel += rows
            fmt = reports[year].meta.format if year in reports else None
            series += series_rows(name, year, rows, fmt, harmonized)
    return History(
        panel=pd.DataFrame(panel, columns=PANEL_COLUMNS).sort_values(
            ["body", "year", "key", "status"], kind="stable", ignore_index=True),
        checks=pd.DataFrame(checks, columns=CHECK_COLUMNS),
        findings=pd.DataFrame(findings, columns=FINDING_COLUMNS),
        series=pd.DataFrame(series, columns=SERIES_COLUMNS))


def _chosen_reports(store: Store, body: str | None) -> dict[str, dict[int, str]]:
    """body → year → sha256 of the report used: the one printing most values."""
    rows = store.con.execute(
        "SELECT body, year, sha256 FROM reports WHERE extractor_version = ? AND body IS NOT NULL "
        "AND year IS NOT NULL ORDER BY body, year, n_values DESC, source, sha256",
        [__version__]).fetchall()
    names = {name for name, _, _ in rows}
    if body:
        wanted = compact(body)
        exact = {n for n in names if n == wanted}
        names = exact or {n for n in names if wanted in n}
    chosen: dict[str, dict[int, str]] = {}
    for name, year, sha in rows:
        if name in names:
            chosen.setdefault(name, {}).setdefault(year, sha)
    return chosen


def _load(store: Store, sha: str, body: str, year: int) -> Report:
    """The stored report, with the year and body the store settled on (title or manifest)."""
    report = store.report(sha, __version__)
    report.meta = report.meta.model_copy(update={"year": year, "agency": body})
    return report


def _row(body: str, year: int, key: str, value, status: str, source: str, *, method=None,
         confidence=None, note=None, low=None, high=None, table=None) -> dict:
    exact = None if value is None else (str(value) if isinstance(value, int)
                                        else format(value, "f"))
    return {"body": body, "year": year, "key": key,
            "value": None if value is None else float(value), "value_exact": exact,
            "low": None if low is None else float(low), "high": None if high is None else float(high),
            "status": status, "method": method, "source": source, "table": table,
            "confidence": confidence, "note": note}


def _printed(body: str, year: int, report: Report) -> list[dict]:
    source = report.meta.source
    rows = [_row(body, year, v.key, v.value, "printed", source, confidence=v.confidence,
                 note=v.null_reason or v.note, table=v.table) for v in report.values]
    rows += [_row(body, year, v.key, v.value, "derived", source, method=v.note,
                  confidence=v.confidence, table=v.table) for v in report.derived]
    return rows


def _reconstructed(body: str, year: int, reports: dict[int, Report],
                   knowledge: Knowledge) -> list[dict]:
    """What the neighbouring reports say about a year without one: each cross-year identity
    solved for the missing year's side, first with the next report (carried_forward = next
    year's carried_over), then with the previous one and what the first step found
    (carried_over = last year's carried_forward; a legacy 本年度 = the running total found
    − last year's)."""
    found: dict[str, _Solved] = {}
    for neighbour_year in (year + 1, year - 1):  # the next report first: see above
        report = reports.get(neighbour_year)
        if report is None:
            continue
        neighbour = _Neighbour(neighbour_year, {v.key: v for v in report.values},
                               report.meta.source)
        for identity in _solvable(knowledge):
            for instance in _instances(identity, report, knowledge):
                _solve(instance, year, neighbour, found)
    rows = [_row(body, year, key, s.value, "reconstructed", s.source, confidence=s.confidence,
                 method=s.method, table=s.table) for key, s in found.items()]
    for later_year, later in sorted(reports.items()):
        if later_year > year:
            rows += _from_changes(body, year, later, knowledge)
    return rows


@dataclass
class _Solved:
    value: int | Decimal
    source: str
    confidence: float
    method: str
    table: str | None


def _solvable(knowledge: Knowledge) -> list[tuple[str, str]]:
    """(identity, rule label) of the cross-year identities an error-severity rule checks: an
    advisory identity (in-force counts, rule 9) is no ground for a value."""
    out = {}
    for rule in knowledge.rules:
        spec = knowledge.identities.specs.get(rule.identity or "")
        if spec is not None and spec.scope == "consecutive_years" and rule.severity == "error":
            out.setdefault(rule.identity, f"rule {rule.rule}" if rule.rule else rule.id)
    return list(out.items())


def _instances(identity: tuple[str, str], report: Report, knowledge: Knowledge) -> list:
    """The identity's instances in `report`'s format, "@cumulative" from what it prints."""
    name, _ = identity
    spec = knowledge.identities.specs[name]
    fmt = table_formats(report, knowledge.templates)[spec.table]
    if spec.formats is not None and fmt not in spec.formats:
        return []
    keys = {v.key for v in report.values}
    lists = {"@cumulative": sorted(k for k in keys if k + CUMULATIVE in keys)}
    return [(identity[1], i) for i in knowledge.identities.instances(name, fmt, lists)]


@dataclass
class _Neighbour:
    year: int
    values: dict[str, Value]
    source: str


@dataclass
class _Known:
    """A term of an instance whose value is known: printed in a report, or solved before."""

    coefficient: int  # its sign in "solved = Σ coefficient · value"
    value: int | Decimal
    year: int
    key: str
    confidence: float
    source: str
    reconstructed: bool


def _solve(labelled, year: int, neighbour: _Neighbour, found: dict[str, _Solved]) -> None:
    """Solve one instance between `year` (no report) and the neighbouring report for the
    missing year's terms, with what `found` holds already. Only a sum of terms added on one
    side is solved, and never to a negative count (a restarted series, not a value)."""
    label, instance = labelled
    later = neighbour.year > year  # the neighbour is the current year of the identity
    known: list[tuple[int, int, str]] = []  # side · sign, year, key
    unknown: list[tuple[int, str]] = []  # side, key
    for side, terms in ((-1, instance.left), (1, instance.right)):
        for term in terms:
            of_year = neighbour.year if term.previous != later else year
            if of_year == year and term.key not in found:
                if term.sign < 0:
                    return
                unknown.append((side, term.key))
            else:
                known.append((side * term.sign, of_year, term.key))
    sides = {side for side, _ in unknown}
    if not unknown or len(sides) != 1:
        return
    side = sides.pop()
    terms: list[_Known] = []
    for sign, of_year, key in known:
        if of_year == year:
            solved = found[key]
            terms.append(_Known(-sign * side, solved.value, of_year, key, solved.confidence,
                                solved.source, True))
            continue
        value = neighbour.values.get(key)
        if value is None or value.value is None:
            return
        terms.append(_Known(-sign * side, value.value, of_year, key, value.confidence,
                            neighbour.source, False))
    total = sum(t.coefficient * t.value for t in terms)
    key = "+".join(k for _, k in unknown)
    if total < 0 or key in found:
        return
    found[key] = _Solved(
        value=total, source=", ".join(dict.fromkeys(t.source for t in terms)),
        confidence=min(t.confidence for t in terms),
        method=_method(terms, dict(instance.bindings)) + f" ({label})",
        table=Key.parse(unknown[0][1]).table)


def _method(terms: list[_Known], bindings: dict[str, str]) -> str:
    """The expression the value was computed by, terms of one year grouped: "prior_items +
    change of 2019", "carried_over of 2020"."""
    parts: list[str] = []
    last_year = None
    for term in sorted(terms, key=lambda t: -t.coefficient):
        name = _short(term.key, bindings) + (" (reconstructed)" if term.reconstructed else "")
        op = "" if not parts else (" + " if term.coefficient > 0 else " − ")
        if last_year is not None and term.year != last_year:
            parts.append(f" of {last_year}")
        parts.append(op + name)
        last_year = term.year
    return "".join(parts) + f" of {last_year}"


def _short(key: str, bindings: dict[str, str]) -> str:
    """A modern key by the part the identity names ("carried_over" of every column,
    "prior_items" of every item), a legacy key whole."""
    if key.startswith("legacy."):
        return key
    parts = str(Key.parse(key)).split(".")[1:]
    return ".".join(p for p in parts if p not in bindings.values())


def _from_changes(body: str, year: int, report: Report, knowledge: Knowledge) -> list[dict]:
    """Values of `year` implied by `report`'s year-on-year claims that compare with it."""
    specs = knowledge.claims
    ctx = Context(report=report, tpl=knowledge.templates, subjects=subjects(specs))
    rows = []
    for claim in report.claims:
        if claim.role != "change" or claim.refers_to is None or claim.direction is None:
            continue
        compared = claim.compared_year or (report.meta.year - 1 if report.meta.year else None)
        of = report.claims[claim.refers_to]
        if compared != year or of.role != "count":
            continue
        terms, now = _expression(of, specs, ctx)
        if terms is None or claim.unit not in ("%", of.unit):
            continue
        method = f"{claim.raw} {'up' if claim.direction > 0 else 'down'} in {report.meta.year}: "
        key = "+".join(terms)
        if claim.unit == of.unit:  # a change in the claim's own unit: exact
            rows.append(_row(body, year, key, now - claim.direction * claim.value,
                             "reconstructed", report.meta.source, method=method + "count − change",
                             note=claim.sentence[:120]))
            continue
        low, high = _previous_interval(Decimal(now), claim)
        if not any("amount" in t for t in terms):
            low, high = low.to_integral_value(ROUND_CEILING), high.to_integral_value(ROUND_FLOOR)
            if low > high:
                continue
        exact = int(low) if low == high else None
        rows.append(_row(body, year, key, exact, "reconstructed", report.meta.source,
                         low=low, high=high, note=claim.sentence[:120],
                         method=method + "interval of last year's value"))
    return rows


def _expression(of: Claim, specs: ClaimRules, ctx: Context) -> tuple[list[str] | None, int | Decimal]:
    """The table expression a count claim stands for in this report (the alternative whose sum
    equals it), and its value; the claim's own value when the tables print none."""
    alternatives = claim_alternatives(of, specs)
    for terms in alternatives:
        total = evaluate(terms, ctx, subject=of.subject)
        if total.complete and total.cells and total.total == of.value:
            return terms, of.value
    return (alternatives[0], of.value) if len(alternatives) == 1 else (None, of.value)


def _previous_interval(now: Decimal, claim: Claim) -> tuple[Decimal, Decimal]:
    """Last year's value x with 100·|now − x| / x printed as `claim.value` (rounded or
    truncated to its decimals) in the claim's direction."""
    step = Decimal(1).scaleb(-claim.decimals)
    lo_rate = (Decimal(claim.value) - step / 2) / 100
    hi_rate = (Decimal(claim.value) + step) / 100
    if claim.direction > 0:  # now = x · (1 + r)
        return now / (1 + hi_rate), now / (1 + lo_rate)
    high = now / (1 - hi_rate) if hi_rate < 1 else Decimal(math.inf)
    return now / (1 - lo_rate), high
