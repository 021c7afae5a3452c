"""patterns/legacy.yaml, validated and compiled once: what tells a legacy report apart, the rows
of its 统计表 and the phrasings of its prose figures.

Every function of extractor/legacy/ takes the compiled `LegacyKnowledge` as an argument;
`build_legacy_knowledge(patterns)` compiles it (the knowledge calls it once).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import regex
from pydantic import BaseModel, ConfigDict, Field

from ..arithmetic import Identities
from ..errors import PatternsError
from ..patterns import Patterns, validated
from ..textnorm import nfkc

PREFIX = "legacy."
CUMULATIVE = ".cumulative"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Detect(_Model):
    min_rows: int = Field(ge=1)
    min_markers: int = Field(ge=1)
    legacy_markers: list[str]
    modern_markers: list[str]


class Columns(_Model):
    year: list[str] = Field(min_length=1)
    cumulative: list[str] = Field(min_length=1)


class TableSpec(_Model):
    title: str | None = None
    header: list[str]
    columns: Columns
    units: list[str]
    numbering: str
    fuzzy_accept: float = Field(gt=0, le=1)
    rows: dict[str, list[str]]


class Phrasing(_Model):
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    context: str | None = None


class Figure(_Model):
    key: str
    phrasings: list[Phrasing] = Field(min_length=1)
    units: list[str] = Field(default_factory=list)
    traps: bool = True
    value: bool = True


class Zero(_Model):
    phrases: list[str] = Field(min_length=1)
    keys: list[str] = Field(default_factory=list)
    keys_by_word: dict[str, str] = Field(default_factory=dict)


class Partition(_Model):
    total: str
    parts: list[str] = Field(min_length=1)


class ProseSpec(_Model):
    count_units: list[str]
    approximate_before: list[str]
    approximate_after: list[str]
    cumulative_markers: list[str]
    year_markers: list[str]
    traps: list[str]
    continuation: str
    share: str
    figures: list[Figure]
    zeros: list[Zero] = Field(default_factory=list)
    partitions: list[Partition] = Field(default_factory=list)


class LegacySpec(_Model):
    detect: Detect
    table: TableSpec
    amounts: dict[str, str] = Field(default_factory=dict)
    prose: ProseSpec


def _re(pattern: str | list[str] | None) -> regex.Pattern | None:
    """One pattern for alternatives, NFKC-normalized like the text it runs on."""
    if not pattern:
        return None
    parts = [pattern] if isinstance(pattern, str) else pattern
    return regex.compile("|".join(f"(?:{nfkc(p)})" for p in parts))


@dataclass(frozen=True)
class CompiledPhrasing:
    before: regex.Pattern | None
    after: regex.Pattern | None
    context: regex.Pattern | None


@dataclass(frozen=True)
class CompiledFigure:
    key: str
    phrasings: tuple[CompiledPhrasing, ...]
    units: frozenset[str]
    traps: bool
    value: bool


@dataclass(frozen=True)
class LegacyKnowledge:
    """The compiled patterns. Keys are written without the `legacy.` prefix."""

    spec: LegacySpec
    legacy_markers: regex.Pattern
    modern_markers: regex.Pattern
    header: regex.Pattern
    year_header: regex.Pattern
    cumulative_header: regex.Pattern
    table_units: tuple[str, ...]  # longest first
    numbering: regex.Pattern  # numbering at the end of a text (before a row label)
    numbering_start: regex.Pattern  # the same, anywhere (may match empty)
    row_labels: regex.Pattern  # every row label variant, longest first
    row_of_label: dict[str, str]  # label (punctuation dropped) → key
    label_keys: dict[str, tuple[str, ...]]  # key → its labels (for fuzzy matching)
    amounts: dict[str, str]  # key → canonical unit
    amount_factors: dict[str, Decimal]  # printed amount unit → its value in 元 (numbers.yaml)
    null_marks: tuple[tuple[str, str], ...]  # no-value marks (numbers.yaml), longest first
    figures: tuple[CompiledFigure, ...]
    token: regex.Pattern  # a prose figure: number, 万, unit
    cumulative_markers: regex.Pattern
    year_markers: regex.Pattern
    traps: regex.Pattern | None
    continuation: regex.Pattern
    share: regex.Pattern
    zeros: tuple[tuple[regex.Pattern, tuple[str, ...], tuple[tuple[str, str], ...]], ...]
    totals_of: dict[str, tuple[str, ...]]  # part key → keys it is a part of
    identities: Identities  # the table identities (identities.yaml) settle readings
    blank_skipping: frozenset[str]  # identities whose audit rules skip a blank

    def is_amount(self, key: str) -> bool:
        return base_key(key) in self.amounts


_PUNCT = regex.compile(r"[\p{P}\p{S}]")


def label_form(text: str) -> str:
    """A row label as compared: NFKC, punctuation dropped."""
    return _PUNCT.sub("", nfkc(text))


def base_key(key: str) -> str:
    """The key without the `.cumulative` column."""
    return key.removesuffix(CUMULATIVE)


def _label_pattern(label: str) -> str:
    # Punctuation inside a label is optional: dumps drop or change it (信函、传真 / 信函传真).
    return "".join(r"\p{P}?" if _PUNCT.fullmatch(ch) else regex.escape(ch) for ch in nfkc(label))


def build_legacy_knowledge(patterns: Patterns, identities: Identities,
                           blank_skipping: frozenset[str]) -> LegacyKnowledge:
    """legacy.yaml, validated and compiled, with numbers.yaml's units and marks and the
    identities that settle a 统计表's reading."""
    raw: Any = patterns.extra.get("legacy")
    if raw is None:
        raise PatternsError("pattern file missing: legacy")
    spec = validated(LegacySpec, raw, "legacy")
    numbers = patterns.numbers
    factors = {nfkc(k): Decimal(str(v)) for k, v in numbers.units.get("amount", {}).items()}
    marks = sorted(((nfkc(m).strip(), reason) for reason, listed in
                    numbers.null_markers.items() for m in listed), key=lambda x: -len(x[0]))
    try:
        return _compile(spec, factors, tuple(m for m in marks if m[0]), identities,
                        blank_skipping)
    except regex.error as exc:
        raise PatternsError(f"invalid regular expression in patterns/legacy.yaml: {exc}") from None


def _compile(spec: LegacySpec, factors: dict[str, Decimal],
             marks: tuple[tuple[str, str], ...], identities: Identities,
             blank_skipping: frozenset[str]) -> LegacyKnowledge:
    table, prose = spec.table, spec.prose
    row_of_label: dict[str, str] = {}
    for key, labels in table.rows.items():
        for label in labels:
            form = label_form(label)
            if row_of_label.setdefault(form, key) != key:
                raise PatternsError(f"patterns/legacy.yaml: row label {label!r} is listed under "
                                    f"both {row_of_label[form]} and {key}")
    labels = sorted({nfkc(label) for labels in table.rows.values() for label in labels},
                    key=len, reverse=True)
    known = set(table.rows) | {f.key for f in prose.figures} | set(spec.amounts)
    for zero in prose.zeros:
        known |= set(zero.keys) | set(zero.keys_by_word.values())
    for partition in prose.partitions:
        unknown = [k for k in [partition.total, *partition.parts] if k not in known]
        if unknown:
            raise PatternsError(f"patterns/legacy.yaml: partition names unknown key(s) "
                                f"{', '.join(unknown)}")
    totals_of: dict[str, list[str]] = {}
    for partition in prose.partitions:
        for part in partition.parts:
            totals_of.setdefault(part, []).append(partition.total)
    count_units = sorted(map(nfkc, prose.count_units), key=len, reverse=True)
    amount_units = sorted(factors, key=len, reverse=True)
    units = "|".join(regex.escape(u) for u in ["%", *amount_units, *count_units])
    approx_before = "|".join(map(regex.escape, map(nfkc, prose.approximate_before))) or "$^"
    approx_after = "|".join(map(regex.escape, map(nfkc, prose.approximate_after))) or "$^"
    token = regex.compile(
        rf"(?P<approx>{approx_before})?"
        rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+)"
        rf"(?P<wan>万)?(?P<more>{approx_after})?(?P<unit>{units})")
    return LegacyKnowledge(
        spec=spec,
        legacy_markers=_re(spec.detect.legacy_markers),
        modern_markers=_re(spec.detect.modern_markers),
        header=_re(table.header),
        year_header=_re(table.columns.year),
        cumulative_header=_re(table.columns.cumulative),
        table_units=tuple(sorted(map(nfkc, table.units), key=len, reverse=True)),
        numbering=regex.compile(f"(?:{nfkc(table.numbering)})$"),
        numbering_start=regex.compile(nfkc(table.numbering)),
        row_labels=regex.compile("|".join(_label_pattern(label) for label in labels)),
        row_of_label=row_of_label,
        label_keys={k: tuple(label_form(x) for x in v) for k, v in table.rows.items()},
        amounts=dict(spec.amounts),
        amount_factors=factors,
        null_marks=marks,
        figures=tuple(CompiledFigure(
            key=f.key, phrasings=tuple(CompiledPhrasing(_re(p.before), _re(p.after),
                                                        _re(p.context)) for p in f.phrasings),
            units=frozenset(map(nfkc, f.units)), traps=f.traps, value=f.value)
            for f in prose.figures),
        token=token,
        cumulative_markers=_re(prose.cumulative_markers),
        year_markers=_re(prose.year_markers),
        traps=_re(prose.traps),
        continuation=_re(prose.continuation),
        share=_re(prose.share),
        zeros=tuple((_re(z.phrases), tuple(z.keys), tuple(z.keys_by_word.items()))
                    for z in prose.zeros),
        totals_of={k: tuple(v) for k, v in totals_of.items()},
        identities=identities,
        blank_skipping=blank_skipping,
    )
