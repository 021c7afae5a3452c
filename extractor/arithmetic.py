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
from functools import lru_cache
from itertools import product

from .identity_spec import ForEach, IdentitySpec
from .keys import Key, join_key
from .labels import Templates

Number = int | Decimal
_PREVIOUS = "previous:"
_PROSE = "prose:"


@dataclass(frozen=True, slots=True)
class Term:
    """One summand: a canonical key (or a template with placeholders and wildcards), its sign,
    whether it may be missing (optional: 0 when the report does not print it), and where its
    value comes from (the previous year's report, or the figure the prose states)."""

    sign: int
    key: str
    previous: bool = False
    optional: bool = False
    prose: bool = False

    @classmethod
    def parse(cls, text: str) -> Term:
        """The one parser of the term language: "-?previous:key" and "?prose:key" alike; each
        text is parsed once (the audit evaluates the same terms on every report)."""
        return _parse_term(text)

    @classmethod
    def _parse(cls, text: str) -> Term:
        sign = -1 if text.startswith("-") else 1
        text = text.removeprefix("-")
        optional = text.startswith("?")
        text = text.removeprefix("?")
        previous, prose = text.startswith(_PREVIOUS), text.startswith(_PROSE)
        return cls(sign, text.removeprefix(_PREVIOUS).removeprefix(_PROSE), previous,
                   optional, prose)

    def bind(self, bindings: Mapping[str, str]) -> Term:
        key = self.key
        for name, value in bindings.items():
            key = key.replace("{" + name + "}", value)
        return Term(self.sign, key, self.previous, self.optional, self.prose)

    def __str__(self) -> str:
        return ("-" if self.sign < 0 else "") + ("?" if self.optional else "") + \
            (_PREVIOUS if self.previous else _PROSE if self.prose else "") + self.key


@lru_cache(maxsize=8192)
def _parse_term(text: str) -> Term:
    return Term._parse(text)


@dataclass(frozen=True, slots=True)
class Instance:
    """An identity with its placeholders bound and its wildcards expanded."""

    identity: str
    bindings: tuple[tuple[str, str], ...]
    left: tuple[Term, ...]
    right: tuple[Term, ...]
    relation: str = "equals"  # or "at_most": left ≤ right

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
        if difference is None:
            return None
        return difference == 0 if self.relation == "equals" else difference >= 0


class Identities:
    """The declared identities, bound to the table templates (rows, columns, blocks, items)."""

    def __init__(self, specs: Mapping[str, IdentitySpec], tpl: Templates) -> None:
        self.specs = dict(specs)
        self.tpl = tpl
        self._cache: dict[tuple[str, str], tuple[Instance, ...]] = {}

    def instances(self, identity: str, fmt: str,
                  lists: Mapping[str, list[str]] | None = None) -> tuple[Instance, ...]:
        """Every instance of one identity in a table format ("2019", "2021", "legacy").
        `lists` gives the placeholder lists only a report knows ("@cumulative")."""
        if lists:
            return tuple(self._expand(identity, fmt, lists))
        cached = self._cache.get((identity, fmt))
        if cached is None:
            cached = self._cache[(identity, fmt)] = tuple(self._expand(identity, fmt, {}))
        return cached

    def for_table(self, table: str, fmt: str, scope: str = "report") -> list[Instance]:
        """The instances of every identity of `table` that holds in `fmt`."""
        return [instance for name, spec in self.specs.items()
                if spec.table == table and spec.scope == scope
                and (spec.formats is None or fmt in spec.formats)
                for instance in self.instances(name, fmt)]

    def _expand(self, identity: str, fmt: str, lists: Mapping[str, list[str]]
                ) -> Iterable[Instance]:
        spec = self.specs[identity]
        names = list(spec.for_each)
        values = [self._values(v, fmt, lists) for v in spec.for_each.values()]
        left = [Term.parse(t) for t in spec.sum]
        right = [Term.parse(t) for t in spec.other]
        for combo in product(*values) if names else [()]:
            bindings = dict(zip(names, combo))
            yield Instance(identity, tuple(bindings.items()), self._terms(left, bindings, fmt),
                           self._terms(right, bindings, fmt), spec.relation)

    def _values(self, value: str | list[str] | ForEach, fmt: str,
                lists: Mapping[str, list[str]]) -> list[str]:
        if isinstance(value, list):
            return value
        if isinstance(value, ForEach):
            return [v for v in self._values(value.each, fmt, lists)
                    if (not value.only or any(fnmatchcase(v, g) for g in value.only))
                    and not any(fnmatchcase(v, g) for g in value.except_)]
        return lists[value] if value in lists else self.placeholder(value, fmt)

    def _terms(self, terms: list[Term], bindings: dict[str, str], fmt: str) -> tuple[Term, ...]:
        out: list[Term] = []
        for term in terms:
            bound = term.bind(bindings)
            if "*" not in bound.key or not bound.key.startswith("applications."):
                out.append(bound)
                continue
            glob = Key.parse(bound.key)
            table, row_glob, column = glob.table, glob.row, glob.column
            out += [Term(bound.sign, join_key(table, row.key, column), bound.previous,
                         bound.optional, bound.prose)
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

