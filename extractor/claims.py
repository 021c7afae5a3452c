"""Narrative claims: the counts, shares, rates and year-on-year changes stated in the prose.

Run during extraction (claims are part of the `Report`, with provenance, so a stored report can
be audited without its source). What a number counts is read from the words around it, as
patterns/claims.yaml declares; a number no pattern explains is not a claim. The audit
(extractor/audit/prose.py) evaluates the claims against the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fnmatch import fnmatchcase
from functools import lru_cache

import regex

from .document import Document
from .numbers import parse_chinese_numeral
from .patterns import load_patterns
from .schema import Claim
from .segment import Segmentation
from .tables.locate import TextRegion, section_text
from .textnorm import nfkc

_PROSE_SECTIONS = (1, 3, 4)
_SENTENCE = regex.compile(r"[。！？!?]")  # a semicolon joins clauses of one sentence
_TOKEN = regex.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?(?P<unit>个百分点|百分点|%|件|项|条|个|宗|起|人次)"
    r"|(?P<cn>[零一二两三四五六七八九十百千万]+)(?P<cnunit>件|项|个)"
)
_COUNT_UNITS = {"件", "项", "条", "个", "宗", "起", "人次"}


@dataclass(frozen=True)
class _ClaimSpec:
    id: str
    before: object
    after: object
    subject: str | None
    context: object


@dataclass(frozen=True)
class _Rules:
    claims: tuple[_ClaimSpec, ...]
    subjects: tuple[tuple[str, object], ...]
    item_counts: tuple[tuple[str, object], ...]
    share: object
    rates: tuple[tuple[str, object, str, tuple[str, ...]], ...]
    change: object
    up: frozenset[str]
    items: tuple[tuple[str, tuple[str, ...]], ...]  # table-2 item → its labels
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # table-2 field → its prose words


def _any(patterns) -> object:
    """One regex for alternatives, NFKC-normalized like the text it runs on (，→, （→( …)."""
    if isinstance(patterns, str):
        patterns = [patterns]
    return regex.compile("|".join(f"(?:{nfkc(p)})" for p in patterns)) if patterns else None


@lru_cache(maxsize=8)
def claim_rules(extra_dirs: tuple[str, ...] = ()) -> _Rules:
    patterns = load_patterns(extra_dirs)
    data = patterns.extra.get("claims", {})
    active = patterns.tables.active
    return _Rules(
        claims=tuple(_ClaimSpec(c["id"], _any(c.get("before", [])), _any(c.get("after", [])),
                                c.get("subject"), _any(c.get("context", [])))
                     for c in data.get("claims", [])),
        subjects=tuple((name, _any(s["phrases"])) for name, s in data.get("subjects", {}).items()),
        item_counts=tuple((item, _any(p)) for item, p in data.get("item_counts", {}).items()),
        share=_any(data.get("share", {}).get("before", [])),
        rates=tuple((r["id"], _any(r["before"]), r["numerator"], tuple(r["denominators"]))
                    for r in data.get("rates", [])),
        change=_any(data.get("change", {}).get("before", [])),
        up=frozenset(data.get("change", {}).get("up", [])),
        items=tuple((k, tuple(nfkc(x) for x in v.labels)) for k, v in active.items.items()),
        fields=tuple((k, tuple(v.prose)) for k, v in active.fields.items() if v.prose),
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


def extract_claims(document: Document, seg: Segmentation,
                   patterns_dirs: tuple[str, ...] = ()) -> list[Claim]:
    rules = claim_rules(patterns_dirs)
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


def _sentence(text: _Compact, start: int, end: int, section: int, rules: _Rules,
              claims: list[Claim]) -> None:
    sentence = text.text[start:end]
    first = len(claims)
    previous_end = 0
    for token in _TOKEN.finditer(sentence):
        prefix = sentence[previous_end:token.start()]
        following = _TOKEN.search(sentence, token.end())
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
    unit = "个百分点" if token["unit"] == "百分点" else token["unit"]
    if token["frac"]:
        return Decimal(f"{digits}.{token['frac']}"), unit, len(token["frac"])
    return int(digits), unit, 0


def _subject(before: str, rules: _Rules) -> str | None:
    """The last review/litigation subject named before this point of the sentence."""
    best, at = None, -1
    for name, pattern in rules.subjects:
        for m in pattern.finditer(before):
            if m.start() > at:
                best, at = name, m.start()
    return best


def _last(mine: list[Claim], first: int, roles: set[str]) -> int | None:
    for i in range(len(mine) - 1, -1, -1):
        if mine[i].role in roles:
            return first + i
    return None


def _classify(prefix: str, suffix: str, unit: str, subject: str | None, mine: list[Claim],
              first: int, rules: _Rules, common: dict) -> Claim | None:
    sentence = common["sentence"]
    change = rules.change.search(prefix) if rules.change else None
    if change:
        target = _last(mine, first, {"count", "share", "rate"})
        if target is None:
            return None
        year = regex.match(r"\d{4}", change.group("year") or "")
        return Claim(id="change", role="change", refers_to=target,
                     compared_year=int(year.group()) if year else None,
                     direction=1 if change.group("direction") in rules.up else -1, **common)
    if unit == "%":
        for rate_id, pattern, numerator, denominators in rules.rates:
            if pattern.search(prefix):
                num = next((first + i for i in range(len(mine) - 1, -1, -1)
                            if mine[i].id == numerator), None)
                den = next((first + i for i in range(len(mine) - 1, -1, -1)
                            if mine[i].id in denominators), None)
                return Claim(id=rate_id, role="rate", numerator=num, base=den,
                             subject=subject, **common)
        target = _last(mine, first, {"count"})
        if target is not None and rules.share and rules.share.search(prefix):
            base = next((first + i for i, c in enumerate(mine) if c.id in ("handled", "received")),
                        None)
            return Claim(id="share", role="share", refers_to=target, base=base, **common)
        return None
    if unit not in _COUNT_UNITS:
        return None
    for spec in rules.claims:
        if spec.context and not spec.context.search(sentence):
            continue
        if (spec.before and spec.before.search(prefix)) or (spec.after and spec.after.search(suffix)):
            return Claim(id=spec.id, role="count", subject=spec.subject or subject, **common)
    for item, pattern in rules.item_counts:
        if pattern.search(prefix):
            return Claim(id=f"item.{item}", role="count", **common)
    named = [item for item, labels in rules.items if any(label in prefix for label in labels)]
    words = [field for field, ws in rules.fields if any(w in prefix for w in ws)]
    if len(named) == 1 and len(words) == 1:
        return Claim(id=f"active.{named[0]}.{words[0]}", role="count", **common)
    return None


# ------------------------------------------------------------------ what a claim refers to

@lru_cache(maxsize=8)
def claim_specs(patterns_dirs: tuple[str, ...]) -> dict:
    """patterns/claims.yaml as lookups: claim id → table expressions, share bases, subjects."""
    data = load_patterns(patterns_dirs).extra.get("claims", {})
    patterns = load_patterns(patterns_dirs)
    return {
        "counterparts": {k: f.counterparts for k, f in patterns.tables.active.fields.items()},
        "values": {c["id"]: c["values"] for c in data.get("claims", [])},
        "share_of": data.get("share", {}).get("of", []),
        "subjects": {name: s["blocks"] for name, s in data.get("subjects", {}).items()},
    }


def subjects(patterns_dirs: tuple[str, ...] = ()) -> dict[str, list[str]]:
    return claim_specs(patterns_dirs)["subjects"]


def claim_alternatives(claim: Claim, specs: dict) -> list[list[str]]:
    if claim.id.startswith("active."):
        _, item, field = claim.id.split(".")
        return [[claim.id], *([f"active.{item}.{other}"] for other in specs["counterparts"].get(field, []))]
    if claim.id.startswith("item."):
        item = claim.id.split(".", 1)[1]
        return [[f"active.{item}.prior_items", f"active.{item}.change"]]
    return specs["values"].get(claim.id, [])


def claim_agrees(claim: Claim, values: dict[str, int], specs: dict) -> bool | None:
    """Whether a count claim equals some alternative computed from `values` (canonical key →
    number); None when no alternative can be computed from them. Wildcards match the keys
    given; {subject} expands to the claim's table-4 blocks."""
    if claim.role != "count":
        return None
    verdict = None
    for alternative in claim_alternatives(claim, specs):
        total = 0
        for term in alternative:
            sign = -1 if term.startswith("-") else 1
            term = term.lstrip("-")
            if "{subject}" in term:
                blocks = specs["subjects"].get(claim.subject or "", [])
                keys = [f"review_litigation.{term.replace('{subject}', b)}" for b in blocks]
            elif "*" in term:
                keys = [k for k in values if fnmatchcase(k, term)]
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
