"""export: a `Report` as JSON or CSV (the tidy table); terminal.py prints it as tables."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from .schema import Report, dumps

# What every exported row starts with: which report it is, not only its sha256.
ID_COLUMNS = ["file", "body", "agency", "year", "format"]
TIDY_COLUMNS = ID_COLUMNS + ["key", "value", "raw", "page", "confidence"]
BOM = "\ufeff"  # UTF-8 with a byte-order mark: what Excel on Chinese Windows needs to read CSV


def report_json(report: Report) -> str:
    """One line of JSON: meta, values (printed), derived, sections, tables, warnings."""
    data = report.to_json_dict()
    data["values"] = [_value_json(v) for v in data["values"]]
    data["derived"] = [_value_json(v) for v in data["derived"]]
    return dumps(data)


def _value_json(v: dict[str, Any]) -> dict[str, Any]:
    order = ["key", "value", "raw", "page", "bbox", "span", "confidence", "null_reason", "unit",
             "table", "derived", "note"]
    return {k: v[k] for k in order if k in v}


def tidy_csv(reports: list[Report], header: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(TIDY_COLUMNS)
    for report in reports:
        for v in report.values:
            writer.writerow(identity(report) + [v.key, _plain(v.value), v.raw, v.page or "",
                                                v.confidence])
    return out.getvalue()


def identity(report: Report) -> list:
    """The ID_COLUMNS of a report: the file as given, its body, agency, year and format."""
    m = report.meta
    return [m.path, m.body, m.agency, m.year, m.format]


def _plain(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
