"""Choosing among each row's readings with the identities between rows, then the prose.

A row of run-together digits may read several ways that all satisfy its own sum. The table's
identities across rows (the outcomes add up to （七）总计 per column; 新收 + 上年结转 = 总计 +
结转下年度) usually leave one combination; where several remain, the counts stated in the prose
break the tie; what is still open is kept at its most plausible reading, with lowered
confidence. The identities are patterns/identities.yaml's (`arithmetic.py`), not the audit's
rules: a user may relax an audit rule, but reading must not change with that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from statistics import pvariance

from ..arithmetic import Instance
from .digits import Reading

UNIQUE = 0.95  # one reading satisfies the arithmetic: recovered, not read
SETTLED = 0.9  # several readings; exactly one satisfies the identities across rows
GUESSED = 0.6  # several readings remain possible: the most plausible one is kept
_MAX_COMBINATIONS = 100_000
_MAX_PROSE_CHECKS = 1_000  # tied combinations past this stay guesses: too many to tell apart

Assignment = dict[str, Reading]  # unit (a row, a block run) → its reading


@dataclass(frozen=True, slots=True)
class Settled:
    chosen: Assignment
    confidence: dict[str, float]  # a unit with one reading keeps the caller's confidence


def plausibility(reading: Reading) -> tuple:
    """Among equally consistent readings: most applicants are natural persons, a cell is more
    often printed than dropped, and the numbers of one row have similar lengths."""
    printed = [v for v in reading.values if v is not None]
    lengths = [len(str(v)) for v in printed] or [0]
    return (reading.values[0] or 0, len(printed), -pvariance(lengths))


def settle(candidates: dict[str, list[Reading]], keys: dict[str, list[str]],
           instances: list[Instance], prose: Callable[[dict[str, int]], int]) -> Settled:
    """One reading per unit: the combination satisfying most identity instances, then agreeing
    with most of the prose's counts, then the most plausible. `keys[unit]` are the canonical
    keys of the unit's cells, in order."""
    ambiguous = [u for u, options in candidates.items() if len(options) > 1]
    fixed = {u: options[0] for u, options in candidates.items() if len(options) == 1}
    if not ambiguous:
        return Settled(fixed, {})
    score = _identity_score(keys, instances, set(ambiguous))

    def values_of(assignment: Assignment) -> dict[str, int]:
        return {k: v or 0 for u, r in assignment.items() for k, v in zip(keys[u], r.values)}

    combos = 1
    for u in ambiguous:
        combos *= len(candidates[u])
    if combos > _MAX_COMBINATIONS:
        return _settle_large(candidates, ambiguous, fixed, score, prose, values_of)
    best_score, best = -1, []
    for picks in product(*(candidates[u] for u in ambiguous)):
        s = score({**fixed, **dict(zip(ambiguous, picks))})
        if s > best_score:
            best_score, best = s, [picks]
        elif s == best_score:
            best.append(picks)
    if 1 < len(best) <= _MAX_PROSE_CHECKS:
        agreement = [prose(values_of({**fixed, **dict(zip(ambiguous, p))})) for p in best]
        most = max(agreement)
        best = [p for p, a in zip(best, agreement) if a == most]
    if len(best) == 1:
        return Settled({**fixed, **dict(zip(ambiguous, best[0]))},
                       {u: SETTLED for u in ambiguous})
    # Units on which all best combinations agree are settled; the others are guesses.
    chosen, confidence = dict(fixed), {}
    for i, u in enumerate(ambiguous):
        options = list(dict.fromkeys(p[i] for p in best))
        chosen[u] = max(options, key=plausibility)
        confidence[u] = SETTLED if len(options) == 1 else GUESSED
    return Settled(chosen, confidence)


def doubted(chosen: Assignment, alternatives: dict[str, list[Reading]],
            keys: dict[str, list[str]], instances: list[Instance]) -> set[str]:
    """Units whose reading a misprint could explain as well. Where identities still fail after
    settling, the publisher misprinted something; a row read back from run-together digits
    that satisfies its own sum may be that misprint split the wrong way ("6100000016" reads
    6 10 0 0 0 0 16, which adds up, but 61 0 0 0 0 0 16 may be what was printed). Each reading
    is judged by how few misprinted cells would explain the identities it breaks (one wrong
    cell breaks its row and its column); a unit is in doubt when another of its readings
    (`alternatives`, any split) needs no more misprints than the chosen one."""
    compiled = _compiled(keys, instances, set(chosen), every=True)
    needed = _misprints(chosen, compiled)
    if needed == 0:
        return set()
    return {unit for unit, options in alternatives.items() if unit in chosen and any(
        o.values != chosen[unit].values and _misprints({**chosen, unit: o}, compiled) <= needed
        for o in options)}


def _misprints(assignment: Assignment, compiled: list[list[tuple[int, str, int]]]) -> int:
    """How many cells at least would have to be misprinted for the identities that fail under
    `assignment` to fail (a greedy cover of the failing instances by their cells)."""
    failing = [{(unit, cell) for _, unit, cell in terms}
               for terms, difference in _differences(assignment, compiled) if difference]
    count = 0
    while failing:
        cell = max({c for f in failing for c in f}, key=lambda c: sum(c in f for f in failing))
        failing = [f for f in failing if cell not in f]
        count += 1
    return count


def _compiled(keys: dict[str, list[str]], instances: list[Instance], units: set[str],
              every: bool = False) -> list[list[tuple[int, str, int]]]:
    """Instances as (sign, unit, cell) terms: those some unit in `units` takes part in and,
    unless `every`, that span more than one unit (a unit's own sum is the same for all of its
    readings that satisfy it)."""
    where = {k: (u, i) for u, unit_keys in keys.items() for i, k in enumerate(unit_keys)}
    out = []
    for instance in instances:
        terms = [(side * t.sign, *where[t.key]) for side, part in ((-1, instance.left),
                                                                  (1, instance.right))
                 for t in part if not t.previous and t.key in where]
        involved = {u for _, u, _ in terms}
        if len(terms) != len(instance.terms) or not involved & units:
            continue
        if every or len(involved) > 1:
            out.append(terms)
    return out


def _differences(assignment: Assignment, compiled):
    """(terms, right − left) of each compiled instance every unit of which has a reading."""
    for terms in compiled:
        total = 0
        for sign, unit, cell in terms:
            reading = assignment.get(unit)
            if reading is None:
                break
            total += sign * (reading.values[cell] or 0)
        else:
            yield terms, total


def _identity_score(keys: dict[str, list[str]], instances: list[Instance], ambiguous: set[str]):
    """A function counting the identity instances an assignment satisfies; instances no
    ambiguous unit takes part in are left out (they add the same to every combination)."""
    compiled = _compiled(keys, instances, ambiguous)

    def score(assignment: Assignment) -> int:
        return sum(difference == 0 for _, difference in _differences(assignment, compiled))

    return score


def _settle_large(candidates, ambiguous, fixed, score, prose, values_of) -> Settled:
    """Too many combinations to try them all: the best one by coordinate ascent; a unit is
    settled only if no other of its readings scores as well with the rest kept."""
    picks = dict(zip(ambiguous, _coordinate_ascent(candidates, ambiguous, fixed, score)))
    chosen, confidence = {**fixed, **picks}, {}
    for u in ambiguous:
        best = score(chosen)
        equal = [o for o in candidates[u] if score({**chosen, u: o}) == best]
        if len(equal) > 1:
            agreement = [prose(values_of({**chosen, u: o})) for o in equal]
            equal = [o for o, a in zip(equal, agreement) if a == max(agreement)]
        chosen[u] = equal[0] if len(equal) == 1 else max(equal, key=plausibility)
        confidence[u] = SETTLED if len(equal) == 1 else GUESSED
    return Settled(chosen, confidence)


def _coordinate_ascent(candidates, ambiguous, fixed, score, passes: int = 6) -> tuple:
    """Too many combinations to try them all: improve one unit at a time until nothing moves
    (a row that breaks its own sum is usually the only free one, so this finds the best)."""
    picks = {u: max(candidates[u], key=plausibility) for u in ambiguous}
    for _ in range(passes):
        moved = False
        for u in ambiguous:
            current = score({**fixed, **picks})
            for option in candidates[u]:
                trial = {**fixed, **picks, u: option}
                if score(trial) > current:
                    picks[u], current, moved = option, score(trial), True
        if not moved:
            break
    return tuple(picks[u] for u in ambiguous)
