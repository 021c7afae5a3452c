"""What each page shows, as plain data: the templates lay it out, the downloads write it.

Every page builder returns a `Page`: the template's context and the frames behind what is on
screen, which the page's CSV and XLSX downloads write (a report's download is the workbook of
extractor/xlsx.py instead: its tables as printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from markupsafe import Markup

from ..audit.html import Evidence
from ..export import ID_COLUMNS
from ..schema import RELIABLE
from .charts import Point, bar_chart
from .data import PAGE_ROWS, Catalog, FindingFilter, counts_by_rule

# The series charted on a body's page (ids of patterns/crosswalk.yaml; labels come from there).
CHARTED = ("applications_received", "granted", "denied", "reviews", "lawsuits")
EXACTNESS_MARK = {"close": "≈", "approximate": "~"}


@dataclass
class Page:
    template: str
    context: dict
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    name: str = "nianbao"  # the downloads' file name


def bodies_page(catalog: Catalog, query: str, level: str, region: str) -> Page:
    bodies = catalog.bodies(query, level, region)
    reports = catalog.reports()
    unnamed = reports[reports["body"].isna()]
    return Page("bodies.html", {
        "bodies": bodies, "unnamed": unnamed, "facets": catalog.facets(),
        "query": query, "level": level, "region": region, "total": reports["body"].nunique()},
        {"bodies": bodies.drop(columns=["by_year"])}, "bodies")


def report_page(catalog: Catalog, sha256: str) -> Page | None:
    row = catalog.report_row(sha256)
    if row is None:
        return None
    report = catalog.report(sha256)
    findings = catalog.evidence_findings(sha256)
    with catalog.exclusive():
        evidence = Evidence(report)
        try:  # Evidence escapes what it quotes: its HTML goes in as it is
            shown = [(f, Markup(evidence.for_finding(f))) for f in findings]
        finally:
            evidence.close()
    ident = [row["path"], row["body"], row["agency"], _plain(row["year"]), row["format"]]
    frame = pd.DataFrame(
        [ident + [v.table, v.key, _exact(v.value), v.raw, v.null_reason, v.page, v.confidence]
         for v in report.values],
        columns=ID_COLUMNS + ["table", "key", "value", "raw", "null_reason", "page",
                              "confidence"])
    return Page("report.html", {
        "row": row, "ident": ident, "report": report, "tables": catalog.layouts.for_report(report),
        "findings": shown, "reliable": RELIABLE,
        "has_file": catalog.source_path(report.meta.path, sha256) is not None},
        {"values": frame}, f"{row['body'] or row['source']}-{_plain(row['year']) or ''}")


def body_page(catalog: Catalog, body: str) -> Page | None:
    history = catalog.history(body)
    series = history.series[history.series["body"] == body]
    if series.empty and history.panel[history.panel["body"] == body].empty:
        return None
    years = list(range(int(history.panel["year"].min()), int(history.panel["year"].max()) + 1))
    reports = catalog.reports()
    reports = reports[reports["body"] == body]
    changes = _with_changes(series, catalog.series_order)
    rows = []
    for name, group in changes.groupby("series", sort=False):
        cells = {int(r.year): r for r in group.itertuples()}
        rows.append({"series": name, "label": group["label"].iloc[0], "cells": cells})
    # The table leaves out years nobody printed or reconstructed anything for (the charts
    # keep them, as gaps).
    shown_years = [y for y in years if any(y in row["cells"] for row in rows)]
    charted = [row for name in CHARTED for row in rows if row["series"] == name]
    # bar_chart escapes every text it writes into its SVG
    charts = [(row["label"], Markup(bar_chart(row["label"], _points(row["cells"]), years)))
              for row in charted]
    findings = history.findings[history.findings["body"] == body]
    checks = history.checks[history.checks["body"] == body]
    return Page("body.html", {
        "body": body, "years": shown_years, "span": (years[0], years[-1]),
        "left_out": [y for y in years if y not in shown_years], "rows": rows,
        "charts": charts,
        "reports": reports, "findings": findings, "checks": checks,
        "formats": {int(r.year): r.format for r in reports.itertuples() if not pd.isna(r.year)},
        "marks": EXACTNESS_MARK},
        {"series": changes,
         "panel": history.panel[history.panel["body"] == body].assign(
             value=lambda f: f["value_exact"]),
         "checks": checks, "findings": findings.assign(keys=findings["keys"].map(", ".join))},
        body)


def findings_page(catalog: Catalog, chosen: FindingFilter) -> Page:
    findings = catalog.findings(chosen)
    counts = counts_by_rule(findings)
    return Page("findings.html", {
        "findings": findings.head(PAGE_ROWS), "total": len(findings), "counts": counts,
        "chosen": chosen, "choices": catalog.finding_choices(), "facets": catalog.facets(),
        "limit": PAGE_ROWS},
        {"findings": _identified(findings.rename(columns={"path": "file"})),
         "counts_by_rule": counts},
        "findings")


def _identified(frame: pd.DataFrame) -> pd.DataFrame:
    """The identity columns (file, body, agency, year, format) first, as in every export."""
    return frame[ID_COLUMNS + [c for c in frame.columns if c not in ID_COLUMNS]]


def _with_changes(series: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The series (in crosswalk order) with each year's change from the series' previous
    figure: the year before, or an earlier year (`change_since`) across years without one."""
    rank = {name: i for i, name in enumerate(order)}
    out = series.sort_values(["series", "year"], key=lambda c: c.map(rank) if c.name == "series"
                             else c, kind="stable", ignore_index=True)
    changes = []
    last: dict[str, tuple[int, Decimal]] = {}
    for name, year, now in out[["series", "year", "value_exact"]].itertuples(index=False):
        before = last.get(name)
        if _blank(now):
            changes.append((None, None, None))
            continue
        now = Decimal(now)
        last[name] = (int(year), now)
        if before is None:
            changes.append((None, None, None))
            continue
        delta = now - before[1]
        changes.append((_signed(delta),
                        None if before[1] == 0 else f"{delta / before[1] * 100:+.1f}%",
                        None if before[0] == year - 1 else before[0]))
    change, percent, since = zip(*changes) if changes else ((), (), ())
    return out.assign(change=list(change), change_percent=list(percent),
                      change_since=list(since))


def _points(cells: dict) -> list[Point]:
    return [Point(year, None if _blank(r.value_exact) else float(r.value_exact), r.status,
                  None if _blank(r.low) else r.low, None if _blank(r.high) else r.high,
                  cell_text(r)) for year, r in cells.items()]


def cell_text(r) -> str:
    """A series value as the body's table shows it: the figure or its interval."""
    if not _blank(r.value_exact):
        return r.value_exact
    return "" if _blank(r.low) else f"[{r.low:g}, {r.high:g}]"


def _signed(delta: Decimal) -> str:
    text = format(delta.normalize(), "f") if delta != delta.to_integral_value() else str(int(delta))
    return text if delta < 0 else f"+{text}"


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _plain(value):
    return None if _blank(value) else int(value)


def _exact(value: int | Decimal | None) -> str | None:
    if value is None:
        return None
    return str(value) if isinstance(value, int) else format(value.normalize(), "f")
