"""Every canonical key the knowledge names must exist: a typo is an error at load time.

A user rule naming `applications.new_received.natural_persn` would otherwise load and be
skipped on every report without a word. The vocabulary is what the tables can print
(tables.yaml: table 2's items × the fields of their layouts, table 3's rows × columns and the
derived group totals, table 4's blocks × fields) and what a legacy report can state
(legacy.yaml, each with its running total). Rules, identities, claims and the crosswalk are
checked against it: a term with a wildcard must match some key, a plain one must be a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import product

from .arithmetic import Identities, Term
from .claims import ClaimRules
from .crosswalk import Crosswalk
from .errors import PatternsError
from .identity_spec import ForEach
from .keys import join_key
from .legacy.knowledge import LegacyKnowledge
from .patterns import Patterns
from .rulebook import EachCheck, Rule, ShareCheck, SumCheck

_DYNAMIC = ("@cumulative", "@claimed")  # placeholder lists a report fills in
_CUMULATIVE = ".cumulative"


@dataclass(frozen=True)
class Named:
    """What names keys: the patterns, the rules and the views built from them."""

    patterns: Patterns
    rules: tuple[Rule, ...]
    identities: Identities
    claims: ClaimRules
    legacy: LegacyKnowledge
    crosswalk: Crosswalk


def vocabulary(knowledge: Named) -> set[str]:
    tables = knowledge.patterns.tables
    keys = {join_key("active", item, field)
            for layouts in tables.active.formats.values() for layout in layouts
            for item in layout.items for field in layout.fields}
    columns = [c.key for c in tables.applications.columns]
    rows = [r.key for r in tables.applications.rows] + list(tables.applications.derived_totals)
    keys |= {join_key("applications", row, column) for row in rows for column in columns}
    review = tables.review_litigation
    keys |= {join_key("review_litigation", b.key, f.key) for b in review.blocks
             for f in review.fields}
    legacy = knowledge.legacy.spec
    stated = set(legacy.table.rows) | {f.key for f in legacy.prose.figures} | set(legacy.amounts)
    for zero in legacy.prose.zeros:
        stated |= set(zero.keys) | set(zero.keys_by_word.values())
    keys |= {f"legacy.{k}" for k in stated} | {f"legacy.{k}{_CUMULATIVE}" for k in stated}
    return keys


def check_references(knowledge: Named) -> None:
    """Raise a PatternsError naming the first key no table can print."""
    known = vocabulary(knowledge)
    for rule in knowledge.rules:
        where = f"rule {rule.id!r}"
        check = rule.check
        if isinstance(check, SumCheck):
            _terms(known, knowledge, check.sum + check.other + rule.requires, rule.for_each,
                   rule.formats, where)
        elif isinstance(check, EachCheck):
            _globs(known, check.each + check.except_, where)
        elif isinstance(check, ShareCheck):
            _globs(known, check.shares, where)
    for name, spec in knowledge.patterns.identities.identities.items():
        _terms(known, knowledge, spec.sum + spec.other, spec.for_each,
               spec.formats or ["2019", "2021"], f"identity {name!r} (identities.yaml)")
    claims = knowledge.claims.spec
    for claim in claims.claims:
        for alternative in claim.values:
            _terms(known, knowledge, alternative, {}, ["2019", "2021"],
                   f"claim {claim.id!r} (claims.yaml)")
    for series, spec in knowledge.crosswalk.series.items():
        for mapping in spec.from_:
            _terms(known, knowledge, mapping.keys, {}, mapping.formats,
                   f"series {series!r} (crosswalk.yaml)")


def _terms(known: set[str], knowledge: Named, terms: list[str], for_each: dict,
           formats: list[str], where: str) -> None:
    """Each term, with its placeholders bound to every value they take in each format."""
    for fmt in formats:
        names, lists = [], []
        for name, spec in for_each.items():
            values = _placeholder_values(knowledge, spec, fmt)
            if values is None:  # filled in by the report: check what stands around it
                continue
            names.append(name)
            lists.append(values)
        for combo in product(*lists):
            bindings = dict(zip(names, combo))
            for text in terms:
                key = Term.parse(text).bind(bindings).key
                if "{" in key:
                    continue  # a report-filled placeholder ({key}, {subject})
                if "*" in key:
                    _globs(known, [key], where)
                elif key not in known:
                    raise PatternsError(f"{where} names {key!r}, which no table prints "
                                        f"(a typo? see docs/DOMAIN.md and docs/legacy.md)")


def _placeholder_values(knowledge: Named, spec, fmt: str) -> list[str] | None:
    if isinstance(spec, list):
        return spec
    name = spec.each if isinstance(spec, ForEach) else spec
    if name in _DYNAMIC:
        return None
    if fmt == "legacy":
        return None
    return knowledge.identities.placeholder(name, fmt)


def _globs(known: set[str], patterns: list[str], where: str) -> None:
    for pattern in patterns:
        if not any(fnmatchcase(k, pattern) for k in known):
            raise PatternsError(f"{where} names {pattern!r}, which matches no key a table "
                                "prints (a typo?)")
