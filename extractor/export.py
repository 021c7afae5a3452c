"""export: a `Report` as JSON, CSV (the tidy table) or a rich terminal rendering."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from .keys import join_key
from .knowledge import Knowledge
from .schema import RELIABLE, Report, dumps

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


def _shown(report: Report, key: str) -> str:
    v = report.get(key)
    if v is None:
        return ""
    if v.value is None:
        return {"blank": "", "dash": "—", "slash": "/", "none": "无"}.get(v.null_reason or "", "?")
    return _plain(v.value)


def _cell(report: Report, key: str) -> str:
    v = report.get(key)
    if v is not None and v.confidence < RELIABLE:
        return f"[yellow]{_shown(report, key)}[/yellow]"
    return _shown(report, key)


def render(report: Report, console, knowledge: Knowledge) -> None:
    """Print a report as rich tables (printed labels beside the canonical keys), then its
    warnings."""
    from rich.table import Table

    tpl = knowledge.templates

    def value_column(shown: Table, header: str, keys: list[str]) -> None:
        # Never narrower than its longest number; the printed label column is what gets cut.
        width = max((len(_shown(report, k)) for k in keys), default=1)
        shown.add_column(header, justify="right", min_width=width)

    def table(name: str, stub: str) -> Table:
        title = getattr(tpl.tables, name).title
        shown = Table(title=f"{knowledge.section_ordinal(name)}、{title}",
                      title_justify="left")
        shown.add_column(stub, no_wrap=True)
        shown.add_column("", max_width=18, overflow="ellipsis", no_wrap=True)
        return shown

    m = report.meta
    console.print(f"[bold]{m.title or m.source}[/bold]  {m.agency or '?'} · {m.year or '?'} · "
                  f"format {m.format} · {m.kind}, {m.page_count} page(s)")
    if m.format == "legacy":
        _print_wide(console, _legacy_table(report))
        for w in report.warnings:
            console.print(f"[yellow]warning[/yellow] {w.code}: ", end="")
            console.print(w.message, markup=False)
        return
    specs = tpl.tables.active
    active = table("active", "item")
    fields = [f for f in tpl.active_field_specs
              if any(v.key.endswith("." + f) and v.table == "active" for v in report.values)]
    for f in fields:
        value_column(active, f"{specs.fields[f].labels[0]}\n{f}",
                     [join_key("active", item, f) for item in specs.items])
    for item, spec in specs.items.items():
        if any(v.key.startswith(f"active.{item}.") for v in report.values):
            active.add_row(item, spec.labels[0],
                           *[_cell(report, join_key("active", item, f)) for f in fields])
    apps = table("applications", "row")
    for column, name in zip(tpl.app_column_order, tpl.app_column_names):
        value_column(apps, f"{name}\n{column}",
                     [join_key("applications", row.key, column)
                      for row in tpl.tables.applications.rows])
    for row in tpl.tables.applications.rows:
        if (report.get(join_key("applications", row.key, "total"))
                or report.get(join_key("applications", row.key, "natural_person"))):
            apps.add_row(row.key, row.labels[0],
                         *[_cell(report, join_key("applications", row.key, c))
                           for c in tpl.app_column_order])
    review = table("review_litigation", "block")
    for f, name in zip(tpl.review_field_order, tpl.review_field_names):
        value_column(review, f"{name}\n{f}",
                     [join_key("review_litigation", block, f) for block in tpl.review_block_order])
    for block, name in zip(tpl.review_block_order, tpl.review_block_names):
        review.add_row(block, name, *[_cell(report, join_key("review_litigation", block, f))
                                      for f in tpl.review_field_order])
    for table in (active, apps, review):
        if table.row_count:
            _print_wide(console, table)
    for w in report.warnings:
        console.print(f"[yellow]warning[/yellow] {w.code}: {w.message}")


def _print_wide(console, table) -> None:
    """Narrower than the table's numbers need (a small terminal, a pipe's 80 columns): longer
    lines rather than a lost column."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update_width(10_000), table).minimum
    width = console.width
    console.width = max(width, needed)
    try:
        console.print(table, crop=False)
    finally:
        console.width = width


_LEGACY_SUFFIX = ".cumulative"


def _legacy_table(report: Report):
    """A legacy report's values: one row per indicator, 本年度 and 历年累计 side by side, and
    where each was read (统计表 or prose)."""
    from rich.table import Table
    from rich.text import Text

    shown = Table(title="政府信息公开情况统计表 / 正文 (legacy)", title_justify="left")
    shown.add_column("key", no_wrap=True)
    shown.add_column("本年度\nyear", justify="right")
    shown.add_column("历年累计\ncumulative", justify="right")
    shown.add_column("from")
    indicators = list(dict.fromkeys(v.key.removesuffix(_LEGACY_SUFFIX) for v in report.values))
    for key in indicators:
        cells = [_cell(report, key), _cell(report, key + _LEGACY_SUFFIX)]
        found = [v for v in (report.get(key), report.get(key + _LEGACY_SUFFIX)) if v]
        where = " / ".join(dict.fromkeys("统计表" if v.table == "legacy" else "正文"
                                         for v in found))
        shown.add_row(Text(key), *(Text.from_markup(c) for c in cells), Text(where))
    return shown
