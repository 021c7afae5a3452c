"""One arithmetic: the identities of patterns/identities.yaml, parsed once, evaluated anywhere.

An identity says two sums of table cells are equal (a row's applicant columns add up to its 总计;
新收 + 上年结转 = 总计 + 结转下年度 per column; …). Each is declared once as data; this module
binds its placeholders, expands its wildcards into the rows of a format, and evaluates the
resulting instances over any mapping of canonical keys to numbers. Reading uses them to split
run-together digits and to score readings; the audit rules name them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fnmatch import fnmatchcase
from itertools import product

from .labels import Templates
from .patterns import IdentitySpec

Number = int | Decimal
_PREVIOUS = "previous:"


@dataclass(frozen=True, slots=True)
class Term:
    """One summand: a concrete canonical key (or a template with placeholders), its sign, and
    whether it is read from the previous year's report."""

    sign: int
    key: str
    previous: bool = False

    @classmethod
    def parse(cls, text: str) -> Term:
        sign = -1 if text.startswith("-") else 1
        text = text.lstrip("-")
        previous = text.startswith(_PREVIOUS)
        return cls(sign, text.removeprefix(_PREVIOUS), previous)

    def bind(self, bindings: Mapping[str, str]) -> Term:
        key = self.key
        for name, value in bindings.items():
            key = key.replace("{" + name + "}", value)
        return Term(self.sign, key, self.previous)


@dataclass(frozen=True, slots=True)
class Instance:
    """An identity with its placeholders bound and its wildcards expanded."""

    identity: str
    bindings: tuple[tuple[str, str], ...]
    left: tuple[Term, ...]
    right: tuple[Term, ...]

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.left + self.right

    @property
    def keys(self) -> frozenset[str]:
        """The current year's keys the instance reads."""
        return frozenset(t.key for t in self.terms if not t.previous)

    def difference(self, values: Mapping[str, Number | None],
                   previous: Mapping[str, Number | None] | None = None) -> Number | None:
        """right − left, a blank (None) counting as 0; None when a key has no entry at all."""
        total: Number = 0
        for side, terms in ((-1, self.left), (1, self.right)):
            for term in terms:
                pool = previous if term.previous else values
                if pool is None or term.key not in pool:
                    return None
                value = pool[term.key]
                if value is not None:
                    total += side * term.sign * value
        return total

    def holds(self, values: Mapping[str, Number | None],
              previous: Mapping[str, Number | None] | None = None) -> bool | None:
        difference = self.difference(values, previous)
        return None if difference is None else difference == 0


class Identities:
    """The declared identities, bound to the table templates (rows, columns, blocks, items)."""

    def __init__(self, specs: Mapping[str, IdentitySpec], tpl: Templates) -> None:
        self.specs = dict(specs)
        self.tpl = tpl
        self._cache: dict[tuple[str, str], tuple[Instance, ...]] = {}

    def instances(self, identity: str, fmt: str) -> tuple[Instance, ...]:
        """Every instance of one identity in a table format ("2019", "2021")."""
        cached = self._cache.get((identity, fmt))
        if cached is None:
            cached = self._cache[(identity, fmt)] = tuple(self._expand(identity, fmt))
        return cached

    def for_table(self, table: str, fmt: str, scope: str = "report") -> list[Instance]:
        """The instances of every identity of `table` that holds in `fmt`."""
        return [instance for name, spec in self.specs.items()
                if spec.table == table and spec.scope == scope
                and (spec.formats is None or fmt in spec.formats)
                for instance in self.instances(name, fmt)]

    def _expand(self, identity: str, fmt: str) -> Iterable[Instance]:
        spec = self.specs[identity]
        names = list(spec.for_each)
        lists = [self.placeholder(v, fmt) if isinstance(v, str) else v
                 for v in spec.for_each.values()]
        left = [Term.parse(t) for t in spec.sum]
        right = [Term.parse(t) for t in spec.equals]
        for combo in product(*lists) if names else [()]:
            bindings = dict(zip(names, combo))
            yield Instance(identity, tuple(bindings.items()),
                           self._terms(left, bindings, fmt), self._terms(right, bindings, fmt))

    def _terms(self, terms: list[Term], bindings: dict[str, str], fmt: str) -> tuple[Term, ...]:
        out: list[Term] = []
        for term in terms:
            bound = term.bind(bindings)
            if "*" not in bound.key:
                out.append(bound)
                continue
            table, rest = bound.key.split(".", 1)
            row_glob, column = rest.rsplit(".", 1)
            out += [Term(bound.sign, f"{table}.{row.key}.{column}", bound.previous)
                    for row in self.tpl.rows_for(fmt) if fnmatchcase(row.key, row_glob)]
        return tuple(out)

    def placeholder(self, name: str, fmt: str) -> list[str]:
        """The values of "@rows", "@columns", "@blocks", "@items"."""
        tpl = self.tpl
        lists = {"@rows": lambda: [r.key for r in tpl.rows_for(fmt)],
                 "@columns": lambda: list(tpl.app_column_order),
                 "@blocks": lambda: list(tpl.review_block_order),
                 "@items": lambda: list(tpl.active_items)}
        if name not in lists:
            raise ValueError(f"unknown placeholder list {name}")
        return lists[name]()

