"""Narrative claims: the counts, shares, rates and year-on-year changes stated in the prose.

Run during extraction (claims are part of the `Report`, with provenance, so a stored report can
be audited without its source). What a number counts is read from the words around it, as
patterns/claims.yaml declares; a number no pattern explains is not a claim. The audit
(extractor/audit/prose.py) evaluates the claims against the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

import regex
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .document import Document
from .keys import Key, join_key
from .limits import DEFAULT_LIMITS
from .numbers import Numbers, parse_chinese_numeral
from .patterns import Patterns, validated
from .schema import Claim
from .segment import Segmentation, TextRegion, section_text
from .textnorm import nfkc

_PROSE_SECTIONS = (1, 3, 4)
_SENTENCE = regex.compile(r"[。！？!?]")  # a semicolon joins clauses of one sentence
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _compile(patterns: list[str] | str | None):
    """One regex for alternatives, NFKC-normalized like the text it runs on (，→, （→( …)."""
    if not patterns:
        return None
    if isinstance(patterns, str):
        patterns = [patterns]
    return regex.compile("|".join(f"(?:{nfkc(p)})" for p in patterns))


Pattern = Annotated[object, BeforeValidator(_compile)]
Expression = list[str]  # canonical keys summed ("-key" subtracts, "*" a group's rows)


class Subject(_Model):
    phrases: Pattern
    blocks: list[str]


class ClaimSpec(_Model):
    id: str
    before: Pattern = None
    after: Pattern = None
    context: Pattern = None
    subject: str | None = None
    needs_subject: bool = False
    values: list[Expression]


class Share(_Model):
    before: Pattern = None
    base_claims: list[str] = Field(default_factory=list)
    of: list[Expression] = Field(default_factory=list)


class Rate(_Model):
    id: str
    before: Pattern
    numerator: str
    denominators: list[str]
    numerator_values: list[Expression]
    denominator_values: list[Expression]


class Change(_Model):
    before: Pattern = None
    up: list[str] = Field(default_factory=list)


class ClaimPatterns(_Model):
    subjects: dict[str, Subject] = Field(default_factory=dict)
    claims: list[ClaimSpec] = Field(default_factory=list)
    item_counts: dict[str, Pattern] = Field(default_factory=dict)
    share: Share = Share()
    rates: list[Rate] = Field(default_factory=list)
    change: Change = Change()


@dataclass(frozen=True)
class ClaimRules:
    """patterns/claims.yaml, validated, with what tables.yaml says about table-2 prose."""

    spec: ClaimPatterns
    items: tuple[tuple[str, tuple[str, ...]], ...]  # table-2 item → its labels
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # table-2 field → its prose words
    counterparts: dict[str, list[str]]  # table-2 field → the same quantity in the other format
    token: object  # a number with its unit


def build_claim_rules(patterns: Patterns, numbers: Numbers) -> ClaimRules:
    """claims.yaml, validated, with what tables.yaml says about table-2 prose."""
    spec = validated(ClaimPatterns, patterns.extra.get("claims", {}), "claims")
    active = patterns.tables.active
    counts = "|".join(map(regex.escape, numbers.units("count")))
    token = regex.compile(
        rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(?P<frac>\d+))?(?P<unit>个百分点|百分点|%|{counts})"
        rf"|(?P<cn>[零一二两三四五六七八九十百千万]+)(?P<cnunit>{counts})")
    return ClaimRules(
        spec=spec,
        items=tuple((k, tuple(nfkc(x) for x in v.labels)) for k, v in active.items.items()),
        fields=tuple((k, tuple(v.prose)) for k, v in active.fields.items() if v.prose),
        counterparts={k: f.counterparts for k, f in active.fields.items()},
        token=token,
    )


class _Compact:
    """A region's text as NFKC without whitespace, remembering each character's origin."""

    def __init__(self, region: TextRegion) -> None:
        # Line breaks are dropped: converters and PDFs wrap sentences across lines, and
        # sentences end with their own punctuation.
        chars, origin = [], []
        for i, ch in enumerate(region.text):
            for n in nfkc(ch):
                if not n.isspace():
                    chars.append(n)
                    origin.append(i)
        self.text = "".join(chars)
        self.origin = origin
        self.region = region

    def where(self, start: int, end: int):
        return self.region.where(self.origin[start], self.origin[end - 1] + 1)

    def raw(self, start: int, end: int) -> str:
        return self.region.text[self.origin[start]: self.origin[end - 1] + 1]


def extract_claims(document: Document, seg: Segmentation, rules: ClaimRules) -> list[Claim]:
    claims: list[Claim] = []
    numbers = [s.number for s in seg.sections if s.number in _PROSE_SECTIONS]
    for number in numbers:
        # Every line: a sentence wraps, and its last line ("3件。") may be short.
        region = section_text(seg, number)
        if region is None:
            continue
        text = _Compact(region)
        start = 0
        for end_match in [*_SENTENCE.finditer(text.text), None]:
            end = end_match.start() if end_match else len(text.text)
            if end > start:
                _sentence(text, start, end, number, rules, claims)
            start = end + 1 if end_match else end
    return claims


def _sentence(text: _Compact, start: int, end: int, section: int, rules: ClaimRules,
              claims: list[Claim]) -> None:
    sentence = text.text[start:end]
    first = len(claims)
    previous_end = 0
    for token in rules.token.finditer(sentence):
        prefix = sentence[previous_end:token.start()]
        following = rules.token.search(sentence, token.end())
        suffix = sentence[token.end(): following.start() if following else len(sentence)]
        previous_end = token.end()
        value, unit, decimals = _value(token)
        if value is None:
            continue
        a, b = start + token.start(), start + token.end()
        page, span, bbox = text.where(a, b)
        common = dict(value=value, unit=unit, decimals=decimals, raw=text.raw(a, b),
                      sentence=sentence, section=section, page=page,
                      span=list(span) if span else None, bbox=list(bbox) if bbox else None)
        subject = _subject(sentence[:token.start()], rules)
        mine = claims[first:]
        claim = _classify(prefix, suffix, unit, subject, mine, first, rules, common)
        if claim is not None:
            claims.append(claim)


def _value(token) -> tuple[int | Decimal | None, str, int]:
    if token["cn"]:
        return parse_chinese_numeral(token["cn"]), token["cnunit"], 0
    digits = token["num"].replace(",", "")
    if len(digits) > DEFAULT_LIMITS.max_number_digits:
        return None, "", 0  # no report states such a figure; int() refuses past 4300 digits
    unit = "个百分点" if token["unit"] == "百分点" else token["unit"]
    if token["frac"]:
        return Decimal(f"{digits}.{token['frac']}"), unit, len(token["frac"])
    return int(digits), unit, 0


def _subject(before: str, rules: ClaimRules) -> str | None:
    """The last review/litigation subject named before this point of the sentence."""
    best, at = None, -1
    for name, subject in rules.spec.subjects.items():
        for m in subject.phrases.finditer(before):
            if m.start() > at:
                best, at = name, m.start()
    return best


def _last(mine: list[Claim], first: int, roles: set[str]) -> int | None:
    for i in range(len(mine) - 1, -1, -1):
        if mine[i].role in roles:
            return first + i
    return None


def _classify(prefix: str, suffix: str, unit: str, subject: str | None, mine: list[Claim],
              first: int, rules: ClaimRules, common: dict) -> Claim | None:
    spec = rules.spec
    sentence = common["sentence"]
    change = spec.change.before.search(prefix) if spec.change.before else None
    if change:
        target = _last(mine, first, {"count", "share", "rate"})
        if target is None:
            return None
        year = regex.match(r"\d{4}", change.group("year") or "")
        return Claim(id="change", role="change", refers_to=target,
                     compared_year=int(year.group()) if year else None,
                     direction=1 if change.group("direction") in spec.change.up else -1, **common)
    if unit == "%":
        for rate in spec.rates:
            if rate.before.search(prefix):
                num = _latest(mine, first, {rate.numerator})
                den = _latest(mine, first, set(rate.denominators))
                return Claim(id=rate.id, role="rate", numerator=num, base=den, subject=subject,
                             **common)
        target = _last(mine, first, {"count"})
        if target is not None and spec.share.before and spec.share.before.search(prefix):
            base = next((first + i for i, c in enumerate(mine) if c.id in spec.share.base_claims),
                        None)
            return Claim(id="share", role="share", refers_to=target, base=base, **common)
        return None
    if unit in ("个百分点",):
        return None
    for claim in spec.claims:
        if claim.context and not claim.context.search(sentence):
            continue
        if claim.needs_subject and not (claim.subject or subject):
            continue
        if (claim.before and claim.before.search(prefix)) or (claim.after and claim.after.search(suffix)):
            return Claim(id=claim.id, role="count", subject=claim.subject or subject, **common)
    for item, pattern in spec.item_counts.items():
        if pattern.search(prefix):
            return Claim(id=f"item.{item}", role="count", **common)
    named = [item for item, labels in rules.items if any(label in prefix for label in labels)]
    words = [field for field, ws in rules.fields if any(w in prefix for w in ws)]
    if len(named) == 1 and len(words) == 1:
        return Claim(id=join_key("active", named[0], words[0]), role="count", **common)
    return None


def _latest(mine: list[Claim], first: int, ids: set[str]) -> int | None:
    return next((first + i for i in range(len(mine) - 1, -1, -1) if mine[i].id in ids), None)


# ------------------------------------------------------------------ what a claim refers to

def subjects(rules: ClaimRules) -> dict[str, list[str]]:
    """Subject name → the table-4 blocks it names (review → [review], litigation → both)."""
    return {name: s.blocks for name, s in rules.spec.subjects.items()}


def claim_alternatives(claim: Claim, rules: ClaimRules) -> list[list[str]]:
    """The table expressions a count claim may equal (each a list of terms summed)."""
    if claim.id.startswith("active."):
        of = Key.parse(claim.id)
        item, field = of.row, of.column
        return [[claim.id], *([join_key("active", item, other)]
                              for other in rules.counterparts.get(field, []))]
    if claim.id.startswith("item."):
        item = claim.id.split(".", 1)[1]
        return [[join_key("active", item, "prior_items"), join_key("active", item, "change")]]
    return next((c.values for c in rules.spec.claims if c.id == claim.id), [])


def claim_agrees(claim: Claim, values: dict[str, int], rules: ClaimRules,
                 group_rows: dict[str, list[str]] | None = None) -> bool | None:
    """Whether a count claim equals some alternative computed from `values` (canonical key →
    number); None when no alternative can be computed from them. A wildcard stands for the
    rows `group_rows` gives for its pattern (the template's, in the report's format), and
    every one of them must be in `values`; {subject} expands to the claim's table-4 blocks."""
    if claim.role != "count":
        return None
    verdict = None
    for alternative in claim_alternatives(claim, rules):
        total = 0
        for term in alternative:
            sign = -1 if term.startswith("-") else 1
            term = term.lstrip("-")
            if "{subject}" in term:
                blocks = rules.spec.subjects.get(claim.subject or "")
                keys = [f"review_litigation.{term.replace('{subject}', b)}"
                        for b in (blocks.blocks if blocks else [])]
            elif "*" in term:
                keys = (group_rows or {}).get(term, [])
            else:
                keys = [term]
            if not keys or any(k not in values for k in keys):
                break
            total += sign * sum(values[k] for k in keys)
        else:
            if total == claim.value:
                return True
            verdict = False
    return verdict
