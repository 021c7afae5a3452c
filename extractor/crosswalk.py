"""crosswalk: legacy, 2019 and 2021 keys → one harmonized series per body (patterns/crosswalk.yaml).

A series (applications received, granted, reviews …) takes its value in each year from the
keys the year's report prints in its format, summed, and says how exactly those keys match the
series (`exact`, `close`, `approximate`) and why. `series_rows` works on the rows of a history
panel, so a value reconstructed from another year's report is harmonized like a printed one
and keeps its status.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .patterns import Patterns, validated
from .schema import FormatName

SERIES_COLUMNS = ["body", "year", "series", "label", "value", "value_exact", "low", "high",
                  "format", "exactness", "reason", "keys", "status", "source", "confidence",
                  "note"]
Exactness = Literal["exact", "close", "approximate"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Label(_Model):
    zh: str
    en: str


class Mapping(_Model):
    formats: list[FormatName] = Field(min_length=1)
    keys: list[str] = Field(min_length=1)
    exactness: Exactness
    reason: str


class Series(_Model):
    label: Label
    from_: list[Mapping] = Field(alias="from", min_length=1)


class Crosswalk(_Model):
    series: dict[str, Series]


def build_crosswalk(patterns: Patterns) -> Crosswalk:
    """crosswalk.yaml, validated."""
    return validated(Crosswalk, patterns.extra.get("crosswalk", {}), "crosswalk")


def series_rows(body: str, year: int, rows: list[dict], fmt: str | None, cw: Crosswalk
                ) -> list[dict]:
    """The harmonized series of one body-year from its panel `rows` (printed and derived rows
    of the year's report, or reconstructed ones). `fmt` is the report's format; None for a
    year without a report, where any mapping whose keys were reconstructed applies."""
    by_key: dict[str, dict] = {}
    for row in rows:  # a printed or derived value wins over a reconstructed one
        held = by_key.get(row["key"])
        if held is None or (held["status"] == "reconstructed"
                            and row["status"] != "reconstructed"):
            by_key[row["key"]] = row
    out = []
    for name, series in cw.series.items():
        for mapping in series.from_:
            if fmt is not None and fmt not in mapping.formats:
                continue
            parts = [by_key.get(key) for key in mapping.keys]
            if any(part is None for part in parts):
                continue
            out.append(_row(body, year, name, series, mapping, parts, fmt))
            break
    return out


def _row(body: str, year: int, name: str, series: Series, mapping: Mapping, parts: list[dict],
         fmt: str | None) -> dict:
    exact = [p["value_exact"] for p in parts]
    value = low = high = None
    if all(e is not None for e in exact):
        value = sum((Decimal(e) for e in exact), Decimal(0))
    elif len(parts) == 1 and parts[0]["low"] is not None:
        low, high = parts[0]["low"], parts[0]["high"]
    statuses = {p["status"] for p in parts}
    status = ("reconstructed" if "reconstructed" in statuses
              else "prose" if any(p.get("table") == "prose" for p in parts)
              else "derived" if "derived" in statuses else "printed")
    notes = [p["method"] or p["note"] for p in parts if p["method"] or p["note"]]
    confidences = [p["confidence"] for p in parts if p["confidence"] is not None]
    return {
        "body": body, "year": year, "series": name, "label": series.label.zh,
        "value": None if value is None else float(value),
        "value_exact": None if value is None else _text(value), "low": low, "high": high,
        "format": fmt, "exactness": mapping.exactness, "reason": mapping.reason,
        "keys": "+".join(mapping.keys), "status": status,
        "source": ", ".join(dict.fromkeys(p["source"] for p in parts)),
        "confidence": min(confidences) if confidences else None,
        "note": "; ".join(dict.fromkeys(str(n) for n in notes)) or None}


def _text(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
