"""schema: the canonical `Report`, the contract between extraction, audit and export.

Every value carries its canonical key (docs/DOMAIN.md), the printed text, where it was printed
(page and bbox for PDFs, a character span into the source text otherwise) and a confidence.
Values the report does not print but that follow from printed ones (group totals) are kept
apart in `derived`, never mixed with printed values.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .codes import Code
from .keys import Key

# legacy: the 统计表 of a pre-2019 report; prose: a legacy figure stated only in the narrative.
TableName = Literal["active", "applications", "review_litigation", "legacy", "prose"]
# "2019-variant": a 2019-format report whose table 2 is the city-level variant (docs/DOMAIN.md).
FormatName = Literal["2019", "2019-variant", "2021", "hybrid", "legacy"]
NullReason = Literal["blank", "dash", "slash", "none", "not_applicable", "unreadable"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provenance(_Model):
    page: int | None = None
    bbox: list[float] | None = Field(default=None, description="x0, y0, x1, y1 in PDF points")
    span: list[int] | None = Field(default=None, description="start, end offsets in the source text")


# A value read with less confidence than this is flagged: shown highlighted, blamed on
# extraction rather than the publisher when a rule fails, counted apart by eval.
RELIABLE = 0.9


class Value(Provenance):
    key: str = Field(description="canonical key, e.g. applications.new_received.total")
    table: TableName
    value: int | Decimal | None
    raw: str = Field(description="the cell text exactly as printed")
    null_reason: NullReason | None = None
    unit: str | None = Field(default=None, description="canonical unit of an amount")
    confidence: float = Field(ge=0.0, le=1.0)
    derived: bool = False
    note: str | None = None


class Claim(Provenance):
    """A number stated in the prose, with what it counts (patterns/claims.yaml)."""

    id: str = Field(description="what the number counts: received, handled, denied, share, "
                                "correction_rate, change, active.<item>.<field>, item.<item> …")
    role: Literal["count", "share", "rate", "change"]
    value: int | Decimal
    unit: str = Field(description="件, 项, %, 个百分点 …")
    decimals: int = 0
    raw: str = Field(description="the number and unit as printed")
    sentence: str
    section: int | None = None
    subject: str | None = Field(default=None, description="review or litigation, for outcome claims")
    refers_to: int | None = Field(default=None, description="index of the claim a share or change is about")
    base: int | None = Field(default=None, description="index of the claim giving a share or rate its base in the same sentence")
    numerator: int | None = Field(default=None, description="index of a rate's numerator claim")
    compared_year: int | None = None
    direction: Literal[1, -1] | None = None


class Section(_Model):
    number: int = Field(ge=1, le=6)
    key: str
    heading: str = Field(description="the heading as printed")
    page_start: int | None = None
    page_end: int | None = None


class Warning(_Model):
    code: Code = Field(description="what the warning says (extractor/codes.py, docs/schema.md)")
    message: str
    keys: list[str] = Field(default_factory=list)
    page: int | None = None


class ReadingReport(_Model):
    """One reader's reading of a table and its score (the parsing report of camelot)."""

    strategy: str = Field(description="the reader: the grid's source (ruling, html, docx, tsv, markdown, alignment, ocr) or token-stream")
    chosen: bool
    score: float = Field(description="rows matched share × (share of the table's identities held)² × (½ + ½ · confidence)")
    rows_matched: int
    rows_expected: int
    identities_checked: int
    identities_held: int
    confidence: float


class TableReport(_Model):
    """How one standard table was found and read: a quality report, as Camelot gives."""

    table: TableName
    found: bool
    strategy: str | None = Field(default=None, description="the chosen reading's reader: ruling, html, docx, tsv, markdown, alignment, ocr, token-stream")
    pages: list[int] = Field(default_factory=list)
    rows_matched: int = 0
    rows_expected: int = 0
    confidence: float = 0.0
    readings: list[ReadingReport] = Field(default_factory=list, description="every reading tried, the chosen one first")


class Meta(_Model):
    source: str = Field(description="file name of the source document")
    path: str
    sha256: str
    kind: Literal["pdf", "html", "docx", "text"]
    page_count: int
    title: str | None = None
    agency: str | None = Field(default=None, description="the agency as the title prints it")
    body: str | None = Field(default=None, description="canonical name of the body, the same every year (丰乐市 → 丰乐市人民政府)")
    level: str | None = Field(default=None, description="national, province, city, county, township or zone")
    region: str | None = Field(default=None, description="the places in the body's name, e.g. 安化县柳溪镇")
    year: int | None = None
    format: FormatName
    extractor_version: str
    patterns_fingerprint: str | None = Field(default=None, description="digest of the pattern and rule files the report was read with (knowledge.py): a store never reuses a result made with other patterns")


class Report(_Model):
    meta: Meta
    sections: list[Section] = Field(default_factory=list)
    tables: list[TableReport] = Field(default_factory=list)
    values: list[Value] = Field(default_factory=list)
    derived: list[Value] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)

    def value(self, key: str) -> int | Decimal | None:
        """The printed (or, failing that, derived) value of `key`; None when the cell is
        blank or carries no number ("—", "/", "无"), or when this report does not print it.
        KeyError when `key` is not a canonical key at all (a typo must not read as a blank)."""
        found = self.get(key)
        if found is not None:
            return found.value
        try:
            Key.parse(key)
        except ValueError:
            raise KeyError(key) from None
        return None

    def get(self, key: str) -> Value | None:
        for v in self.values:
            if v.key == key:
                return v
        for v in self.derived:
            if v.key == key:
                return v
        return None

    def as_dict(self) -> dict[str, int | Decimal | None]:
        """Printed values by canonical key."""
        return {v.key: v.value for v in self.values}

    def to_frame(self, include_derived: bool = False):
        """The tidy table: one row per value with its provenance (pandas DataFrame)."""
        import pandas as pd

        rows = [
            {
                "source": self.meta.source,
                "year": self.meta.year,
                "agency": self.meta.agency,
                "format": self.meta.format,
                **v.model_dump(),
            }
            for v in (self.values + self.derived if include_derived else self.values)
        ]
        columns = ["source", "year", "agency", "format", "table", "key", "value", "raw",
                   "null_reason", "unit", "page", "bbox", "span", "confidence", "derived", "note"]
        return pd.DataFrame(rows, columns=columns)

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (Decimals as exact JSON numbers via `dumps`)."""
        return self.model_dump(mode="python")

    def to_json(self, indent: int | None = None) -> str:
        return dumps(self.to_json_dict(), indent=indent)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        if obj == obj.to_integral_value():
            return int(obj)
        # A float whose shortest repr is the decimal itself is exact in JSON; otherwise keep
        # the digits as a string rather than round them.
        as_float = float(obj)
        return as_float if repr(as_float) == format(obj.normalize(), "f") else format(obj, "f")
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def dumps(obj: Any, indent: int | None = None) -> str:
    """JSON with Decimals written as exact numbers and CJK kept readable."""
    return json.dumps(_jsonable(obj), ensure_ascii=False, indent=indent)


def json_schema() -> dict[str, Any]:
    return Report.model_json_schema()
