"""export: a `Report` as JSON, CSV (the tidy table) or a rich terminal rendering."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from .labels import templates
from .schema import Report, dumps

TIDY_COLUMNS = ["file", "key", "value", "raw", "page", "confidence"]


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
            writer.writerow([report.meta.source, v.key, _plain(v.value), v.raw, v.page or "",
                             v.confidence])
    return out.getvalue()


def _plain(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _cell(report: Report, key: str) -> str:
    v = report.get(key)
    if v is None:
        return ""
    if v.value is None:
        shown = {"blank": "", "dash": "—", "slash": "/", "none": "无"}.get(v.null_reason or "", "?")
    else:
        shown = _plain(v.value)
    if v.confidence < 0.9:
        return f"[yellow]{shown}[/yellow]"
    return shown


def render(report: Report, console) -> None:
    """Print a report as rich tables: a header, the three tables, warnings."""
    from rich.table import Table

    tpl = templates()
    m = report.meta
    console.print(f"[bold]{m.title or m.source}[/bold]  {m.agency or '?'} · {m.year or '?'} · "
                  f"format {m.format} · {m.kind}, {m.page_count} page(s)")
    active = Table(title="二、主动公开政府信息情况", title_justify="left")
    active.add_column("item")
    fields = [f for f in tpl.active_field_specs
              if any(v.key.endswith("." + f) and v.table == "active" for v in report.values)]
    for f in fields:
        active.add_column(f, justify="right")
    for item in tpl.active_items:
        if any(v.key.startswith(f"active.{item}.") for v in report.values):
            active.add_row(item, *[_cell(report, f"active.{item}.{f}") for f in fields])
    apps = Table(title="三、收到和处理政府信息公开申请情况", title_justify="left")
    apps.add_column("row")
    for column in tpl.app_column_order:
        apps.add_column(column, justify="right")
    for row in tpl.app_rows:
        if report.get(f"applications.{row.key}.total") or report.get(f"applications.{row.key}.natural_person"):
            apps.add_row(row.key, *[_cell(report, f"applications.{row.key}.{c}")
                                    for c in tpl.app_column_order])
    review = Table(title="四、政府信息公开行政复议、行政诉讼情况", title_justify="left")
    review.add_column("block")
    for f in tpl.review_field_order:
        review.add_column(f, justify="right")
    for block in tpl.review_block_order:
        review.add_row(block, *[_cell(report, f"review_litigation.{block}.{f}")
                                for f in tpl.review_field_order])
    for table in (active, apps, review):
        if table.row_count:
            console.print(table)
    for w in report.warnings:
        console.print(f"[yellow]warning[/yellow] {w.code}: {w.message}")
