"""The legacy table arithmetic of patterns/rules.yaml (L1, L3), for settling the reading.

The audit evaluates these rules on a finished `Report`; the reader evaluates the same
declarations on the candidate readings of a 统计表 (which cell is 本年度 and which 历年累计,
where a run of digits splits), so each identity is declared once. Only what the reader can use
is taken: report-scope sum rules of the `legacy` format whose terms are table keys (no
`prose:` or `previous:` terms).

Terms: a key, "-" in front subtracts, "?" in front makes the term optional (a row the table
does not print counts as 0 instead of leaving the identity unchecked); "{name}" placeholders
are filled from `for_each` (lists, or "@cumulative": every row printing both columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import product
from typing import Any

from .knowledge import CUMULATIVE, PREFIX

Number = int | Decimal


@dataclass(frozen=True)
class Term:
    sign: int
    key: str
    optional: bool


@dataclass(frozen=True)
class Identity:
    rule: str
    left: tuple[Term, ...]
    right: tuple[Term, ...]
    relation: str  # "eq": left = right; "le": left ≤ right
    blank_is_zero: bool = True  # the rule's `blanks`: zero, or skip (a blank leaves it unchecked)

    @property
    def keys(self) -> set[str]:
        return {t.key for t in self.left + self.right}


def parse_term(text: str) -> Term:
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("-")
    optional = text.startswith("?")
    return Term(sign, text.lstrip("?"), optional)


def table_identities(rules: list[dict[str, Any]], two_column_rows: set[str]) -> list[Identity]:
    """The identities of the legacy report-scope sum rules (raw rules.yaml entries), with
    "@cumulative" standing for `two_column_rows` (keys with the `legacy.` prefix)."""
    found: list[Identity] = []
    for rule in rules:
        check = rule.get("check") or {}
        right_side = check.get("equals") or check.get("at_most")
        if ("legacy" not in (rule.get("formats") or []) or rule.get("scope", "report") != "report"
                or not check.get("sum") or not right_side):
            continue
        terms = list(check["sum"]) + list(right_side) + list(rule.get("requires") or [])
        if any(":" in t for t in terms):
            continue
        names = list((rule.get("for_each") or {}).keys())
        lists = [sorted(two_column_rows) if v == "@cumulative" else list(v)
                 for v in (rule.get("for_each") or {}).values()]
        for combo in product(*lists) if names else [()]:
            bind = dict(zip(names, combo))
            found.append(Identity(
                rule=rule.get("id", "?"),
                left=tuple(parse_term(_substitute(t, bind)) for t in check["sum"]),
                right=tuple(parse_term(_substitute(t, bind)) for t in right_side),
                relation="eq" if check.get("equals") else "le",
                blank_is_zero=rule.get("blanks", "zero") == "zero"))
    return found


def _substitute(term: str, bindings: dict[str, str]) -> str:
    for name, value in bindings.items():
        term = term.replace("{" + name + "}", value)
    return term


def verdict(identity: Identity, values: dict[str, Number | None]) -> int:
    """+1 when the identity holds over `values` (key → number; None for a blank cell, which
    counts as 0), -1 when it fails, 0 when it cannot be checked: a required term has no cell,
    a side of optional terms has none printed, or nothing at all is printed."""
    sides = []
    printed = False
    for terms in (identity.left, identity.right):
        total: Number = 0
        present = False
        for term in terms:
            if term.key not in values:
                if term.optional:
                    continue
                return 0
            present = True
            value = values[term.key]
            if value is None and not identity.blank_is_zero:
                return 0
            printed = printed or value is not None
            total += term.sign * (value or 0)
        if not present:
            return 0
        sides.append(total)
    if not printed:
        return 0
    left, right = sides
    ok = left == right if identity.relation == "eq" else left <= right
    return 1 if ok else -1


def two_column_keys(keys: set[str]) -> set[str]:
    """Keys (with the `legacy.` prefix) that have both their year and cumulative cell."""
    return {k for k in keys if k.startswith(PREFIX) and not k.endswith(CUMULATIVE)
            and k + CUMULATIVE in keys}
