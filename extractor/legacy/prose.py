"""Figures stated in the prose of a legacy report (patterns/legacy.yaml `prose`).

A figure is a number with a unit; what it counts is read from the words since the previous
figure (`before`), the words after its unit (`after`) and its sentence (`context`), as the
first matching entry of `figures` says. A clause after 历年累计 / 《条例》实施以来 states running
totals (`.cumulative`); a figure marked approximate (约, 多) is never read; one whose words name
a trap (受理审批事项, 行政处罚, 税费减免) is not a disclosure figure. Zeros stated in words
("未收到…申请") are figures of 0. A percentage right after a figure is its share of the total
it is part of (`partitions`), kept for the audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

import regex

from ..numbers import parse_chinese_numeral
from .knowledge import CUMULATIVE, LegacyKnowledge, base_key
from .text import Flat

_SENTENCE_END = regex.compile(r"[。！？!?]")
_HEADING = regex.compile(r"[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十]{1,3}\)")
_CLAUSE = regex.compile(r";")
_LOOK_BACK = 12  # figures searched back for the total a part or share belongs to


@dataclass
class Figure:
    key: str  # without the legacy. prefix; `.cumulative` when said to be a running total
    value: int | Decimal
    raw: str
    start: int  # in Flat.text
    end: int
    sentence: str
    unit: str
    role: str = "count"  # count or share
    decimals: int = 0
    keyed: bool = True  # False: for the audit only (category counts)
    refers_to: int | None = None
    base: int | None = None


def read_prose(flat: Flat, kn: LegacyKnowledge, skip: tuple[int, int] | None = None
               ) -> list[Figure]:
    """Every figure of the text outside `skip` (the 统计表), in reading order."""
    figures: list[Figure] = []
    stretches = [(0, len(flat.text))] if skip is None else [(0, skip[0]), (skip[1], len(flat.text))]
    for lo, hi in stretches:
        for start, end in _sentences(flat, lo, hi):
            _sentence(flat, start, end, kn, figures)
    return figures


def _sentences(flat: Flat, lo: int, hi: int) -> list[tuple[int, int]]:
    """Sentences end at 。！？ and before a heading that starts a line ("二、", "（三）")."""
    cuts = {m.end() for m in _SENTENCE_END.finditer(flat.text, lo, hi)}
    cuts |= {m.start() for m in _HEADING.finditer(flat.text, lo, hi) if flat.gap[m.start()]}
    bounds = sorted({lo, hi} | cuts)
    return [(a, b) for a, b in pairwise(bounds) if b > a]


def _sentence(flat: Flat, start: int, end: int, kn: LegacyKnowledge,
              figures: list[Figure]) -> None:
    text = flat.text[start:end]
    printed = flat.printed(start, end)
    events = [(m.start(), "zero", m, _zero_keys(m.group(), keys, by_word))
              for pattern, keys, by_word in kn.zeros for m in pattern.finditer(text)]
    events += [(m.start(), "token", m, ()) for m in kn.token.finditer(text)]
    events.sort(key=lambda e: (e[0], e[1] != "zero"))
    first = len(figures)
    previous_end = 0
    tokens = [e[2] for e in events if e[1] == "token"]
    for position, kind, match, keys in events:
        if kind == "zero":
            for key in dict.fromkeys(keys):
                figures.append(Figure(key, 0, match.group(), start + match.start(),
                                      start + match.end(), printed, ""))
            continue
        following = next((t for t in tokens if t.start() >= match.end()), None)
        prefix = text[previous_end:match.start()]
        suffix = text[match.end(): following.start() if following else len(text)]
        previous_end = match.end()
        if match.group("approx") or match.group("more"):
            continue  # 约4900人次, 100多场次: no value
        figure = _figure(match, prefix, suffix, text, kn, figures, first)
        if figure is not None:
            figure.start, figure.end = start + match.start(), start + match.end()
            figure.sentence = printed
            figure.raw = flat.printed(figure.start, figure.end)
            figures.append(figure)


def _zero_keys(phrase: str, keys: tuple[str, ...], by_word) -> tuple[str, ...]:
    return keys + tuple(key for word, key in by_word if word in phrase)


def _figure(match, prefix: str, suffix: str, sentence: str, kn: LegacyKnowledge,
            figures: list[Figure], first: int) -> Figure | None:
    unit = match.group("unit")
    if unit == "%":
        return _share(match, prefix, kn, figures, first)
    value = _number(match, kn)
    if value is None:
        return None
    cumulative = _cumulative(sentence, match.start(), kn)
    amount = unit in kn.amount_factors
    for spec in kn.figures:
        if spec.units and unit not in spec.units or amount != kn.is_amount(spec.key):
            continue
        if spec.traps and kn.traps is not None and kn.traps.search(prefix):
            continue
        if any(_says(p, prefix, suffix, sentence) for p in spec.phrasings):
            key = spec.key + (CUMULATIVE if cumulative else "")
            return Figure(key, value, "", 0, 0, "", unit, keyed=spec.value)
    earlier = [f for f in figures[first:] if f.role == "count"]
    if earlier and kn.continuation.search(prefix) and cumulative:
        key = base_key(earlier[-1].key) + CUMULATIVE
        if key != earlier[-1].key:  # "…372条，历年累计达3391条": the running total of it
            return Figure(key, value, "", 0, 0, "", unit, keyed=earlier[-1].keyed)
    return None


def _says(phrasing, prefix: str, suffix: str, sentence: str) -> bool:
    """Whether a figure's words fit one phrasing: every condition it gives holds."""
    return bool((phrasing.before or phrasing.after)
                and (not phrasing.before or phrasing.before.search(prefix))
                and (not phrasing.after or phrasing.after.match(suffix))
                and (not phrasing.context or phrasing.context.search(sentence)))


def _number(match, kn: LegacyKnowledge) -> int | Decimal | None:
    digits = match.group("num").replace(",", "")
    if digits[0].isdigit():
        value = Decimal(digits)
    else:
        numeral = parse_chinese_numeral(digits)
        if numeral is None:
            return None
        value = Decimal(numeral)
    if match.group("wan"):
        value *= 10_000
    unit = match.group("unit")
    if unit in kn.amount_factors:
        value *= kn.amount_factors[unit]  # in 元, the canonical unit of every legacy amount
        return int(value) if value == value.to_integral_value() else value.normalize()
    if value != value.to_integral_value():
        return None  # a fraction of a count
    return int(value)


def _cumulative(sentence: str, at: int, kn: LegacyKnowledge) -> bool:
    """Whether the clause before position `at` last said 历年累计 (rather than 本年度)."""
    clause = max((m.end() for m in _CLAUSE.finditer(sentence, 0, at)), default=0)
    last_cumulative = max((m.end() for m in kn.cumulative_markers.finditer(sentence, clause, at)),
                          default=-1)
    last_year = max((m.end() for m in kn.year_markers.finditer(sentence, clause, at)), default=-1)
    return last_cumulative > last_year


def _share(match, prefix: str, kn: LegacyKnowledge, figures: list[Figure], first: int
           ) -> Figure | None:
    counts = [i for i in range(first, len(figures)) if figures[i].role == "count"]
    if not counts or not kn.share.search(prefix):
        return None
    part = counts[-1]
    base = total_of(figures, part, kn)
    if base is None:
        return None
    digits = match.group("num")
    if not digits[0].isdigit():
        return None
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    value = Decimal(digits)
    return Figure(figures[part].key, int(value) if decimals == 0 else value, "", 0, 0, "", "%",
                  role="share", decimals=decimals, keyed=False, refers_to=part, base=base)


def total_of(figures: list[Figure], part: int, kn: LegacyKnowledge) -> int | None:
    """The nearest earlier figure that the figure at `part` is a part of."""
    key = figures[part].key
    suffix = CUMULATIVE if key.endswith(CUMULATIVE) else ""
    totals = {t + suffix for t in kn.totals_of.get(base_key(key), ())}
    for i in range(part - 1, max(-1, part - 1 - _LOOK_BACK), -1):
        if figures[i].role == "count" and figures[i].key in totals:
            return i
    return None
