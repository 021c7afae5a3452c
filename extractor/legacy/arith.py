"""The legacy table identities of patterns/identities.yaml (L1, L3), for settling the reading.

The audit checks these identities on a finished `Report` (the rules that name them); the reader
evaluates the same declarations on the candidate readings of a 统计表 (which cell is 本年度 and
which 历年累计, where a run of digits splits). Only what the reader can use is taken:
report-scope identities of the `legacy` table whose terms are all table keys (no `prose:` or
`previous:` terms), "@cumulative" standing for the rows that print both columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..arithmetic import Identities, Instance, Term
from .knowledge import CUMULATIVE, PREFIX

Number = int | Decimal


@dataclass(frozen=True)
class Identity:
    instance: Instance
    blank_is_zero: bool = True  # the audit rule's `blanks`: zero, or skip (a blank: unchecked)

    @property
    def keys(self) -> frozenset[str]:
        return self.instance.keys


def table_identities(identities: Identities, blank_skipping: frozenset[str],
                     two_column_rows: set[str]) -> list[Identity]:
    """The instances of the legacy report-scope identities over table keys, with
    "@cumulative" standing for `two_column_rows` (keys with the `legacy.` prefix)."""
    found: list[Identity] = []
    lists = {"@cumulative": sorted(two_column_rows)}
    for name, spec in identities.specs.items():
        terms = [Term.parse(t) for t in spec.sum + spec.other]
        if spec.table != "legacy" or spec.scope != "report" or any(
                t.prose or t.previous for t in terms):
            continue
        found += [Identity(instance, name not in blank_skipping)
                  for instance in identities.instances(name, "legacy", lists)]
    return found


def verdict(identity: Identity, values: dict[str, Number | None]) -> int:
    """+1 when the identity holds over `values` (key → number; None for a blank cell, which
    counts as 0), -1 when it fails, 0 when it cannot be checked: a required term has no cell,
    a side of optional terms has none printed, or nothing at all is printed."""
    sides = []
    printed = False
    instance = identity.instance
    for terms in (instance.left, instance.right):
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
    ok = left == right if instance.relation == "equals" else left <= right
    return 1 if ok else -1


def two_column_keys(keys: set[str]) -> set[str]:
    """Keys (with the `legacy.` prefix) that have both their year and cumulative cell."""
    return {k for k in keys if k.startswith(PREFIX) and not k.endswith(CUMULATIVE)
            and k + CUMULATIVE in keys}
