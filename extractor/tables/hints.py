"""The prose's figures as hints for reading tables: a stated count breaks ties between readings
that the arithmetic leaves open ("全年共受理政府信息公开申请1295件" settles a 总计 cell)."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase

from ..claims import claim_agrees
from ..keys import Key, join_key
from .model import ReadContext

SHOWN = 12  # candidates listed in a warning


def describe(candidates: list[tuple]) -> str:
    """Candidate readings for a warning, the first few in full."""
    shown = " | ".join(" ".join("·" if v is None else str(v) for v in c)
                       for c in candidates[:SHOWN])
    more = f" … ({len(candidates)} in all)" if len(candidates) > SHOWN else ""
    return shown + more


class _TemplateGroups:
    """A claim's wildcard term ("applications.denied.*.total") as the template's rows."""

    def __init__(self, row_keys: list[str]) -> None:
        self.row_keys = row_keys

    def get(self, term: str, default=None) -> list[str]:
        glob = Key.parse(term)
        return [join_key(glob.table, row, glob.column) for row in self.row_keys
                if fnmatchcase(row, glob.row)]


def prose_agreement(ctx: ReadContext, row_keys: list[str]) -> Callable[[dict[str, int]], int]:
    """How many of the prose's counts a set of table values (key → number) reproduces."""
    relevant = [c for c in ctx.claims if c.role == "count"] if ctx.claim_rules else []
    groups = _TemplateGroups(row_keys)

    def score(values: dict[str, int]) -> int:
        return sum(claim_agrees(c, values, ctx.claim_rules, groups) is True for c in relevant)

    return score


def claims_score(ctx: ReadContext, keys: list[str]) -> Callable[[tuple], int]:
    """A candidate row's agreement with the prose: how many stated counts it reproduces."""
    relevant = [c for c in ctx.claims if c.role == "count"] if ctx.claim_rules else []

    def score(values: tuple) -> int:
        assignment = {k: v for k, v in zip(keys, values) if v is not None}
        return sum(claim_agrees(c, assignment, ctx.claim_rules) is True for c in relevant)

    return score
