"""xlsx: reports, their values and findings as one Excel workbook (openpyxl).

Sheets, in order:
    reports     one row per report: file, body, agency, year, format, then every value in
                printed order under two heading rows (the printed labels, the canonical keys);
    a sheet per table as printed (二、主动公开政府信息情况, 三、…, 四、…, the legacy 统计表):
                the table's headings merged as the report prints them, then each report's rows
                with their printed labels, every row starting with file, body, agency, year
                and format so it can be filtered and sorted on its own;
    findings    one row per finding of the single-report audit.
Counts are Excel integers and amounts numbers; a blank cell stays empty while "—", "/" and "无"
are written as printed (they are not 0); a value read with confidence below schema.RELIABLE is
shaded, with its confidence and printed text in a comment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .audit.model import Finding
from .export import ID_COLUMNS, identity
from .printed import Column, Layouts, Part, PrintedTable, shown
from .schema import RELIABLE, Report, Value

FINDING_COLUMNS = ["rule", "rule_number", "severity", "likely_cause", "expected", "actual",
                   "difference", "tolerance", "keys", "message_zh", "message_en", "claim"]
_DOUBT = PatternFill("solid", start_color="FFF2A8")
_HEADING = Font(bold=True)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_EXCEL_SHEET_NAME = 31  # characters
_FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass
class Entry:
    """One report for the workbook, with the findings of its audit and, when a store or a
    manifest settled them, its identity (file, body, agency, year, format)."""

    report: Report
    findings: list[Finding] = field(default_factory=list)
    ident: list | None = None

    @property
    def row_id(self) -> list:
        return self.ident if self.ident is not None else identity(self.report)


def write_xlsx(target: Path | IO[bytes], entries: Iterable[Entry], layouts: Layouts) -> None:
    entries = list(entries)
    tables = [(e, layouts.for_report(e.report)) for e in entries]
    book = Workbook()
    _wide_sheet(book.active, tables)
    for name in dict.fromkeys(t.name for _, printed in tables for t in printed):
        chosen = [(e, next(t for t in printed if t.name == name)) for e, printed in tables
                  if any(t.name == name for t in printed)]
        title = chosen[0][1].title
        _table_sheet(book.create_sheet(_sheet_name(title)), chosen)
    _findings_sheet(book.create_sheet("findings"), entries)
    book.save(target)


def _sheet_name(title: str) -> str:
    return title.translate(_FORBIDDEN_IN_SHEET_NAMES)[:_EXCEL_SHEET_NAME]


def _put(sheet, row: int, column: int, value: Value | None) -> None:
    """A value as printed: a number, a no-value mark, or nothing; doubtful ones shaded."""
    cell = sheet.cell(row=row, column=column, value=_excel(shown(value)))
    if value is not None and value.confidence < RELIABLE:
        cell.fill = _DOUBT
        cell.comment = Comment(f"confidence {value.confidence:g}; printed {value.raw!r}",
                               "nianbao")


def _excel(value):
    """Excel holds numbers as doubles: an amount goes as a float, a count as an int."""
    return float(value) if isinstance(value, Decimal) else value


def _heading_rows(sheet, first: int, texts: list[str], depth: int) -> None:
    """Headings of the identity (or stub) columns starting at `first`, each merged down over
    the `depth` heading rows."""
    for offset, text in enumerate(texts):
        column = first + offset
        sheet.cell(row=1, column=column, value=text).font = _HEADING
        if depth > 1:
            sheet.merge_cells(start_row=1, start_column=column, end_row=depth,
                              end_column=column)


# -- reports: one row per report --------------------------------------------------------------

def _wide_sheet(sheet, tables: list[tuple[Entry, list[PrintedTable]]]) -> None:
    sheet.title = "reports"
    labels: dict[str, str] = {}
    for _, printed in tables:
        for table in printed:
            for part in table.parts:
                for row in part.rows:
                    for column, key in zip(part.columns, row.keys):
                        labels.setdefault(key, _cell_label(row.path, column))
    for entry, _ in tables:  # values no layout shows (a hybrid's other-format cells)
        for v in entry.report.values:
            labels.setdefault(v.key, v.key)
    keys = list(labels)
    sheet.append(ID_COLUMNS + [labels[k] for k in keys])
    sheet.append([""] * len(ID_COLUMNS) + keys)
    for cell in (*sheet[1], *sheet[2]):
        cell.font = _HEADING
    for number, (entry, _) in enumerate(tables, start=3):
        for column, value in enumerate(entry.row_id, start=1):
            sheet.cell(row=number, column=column, value=value)
        for column, key in enumerate(keys, start=len(ID_COLUMNS) + 1):
            held = entry.report.get(key)
            if held is not None and not held.derived:
                _put(sheet, number, column, held)
    sheet.freeze_panes = sheet.cell(row=3, column=len(ID_COLUMNS) + 1)
    _widths(sheet, {1: 28, 2: 18, 3: 18})


def _cell_label(path: tuple[str, ...], column: Column) -> str:
    """A cell named by what the report prints: its row's label and its column's heading, or
    all the column's headings in a table printed as one row (table 四)."""
    return " · ".join([path[-1], column.path[-1]] if path else column.path)


# -- a table as printed -----------------------------------------------------------------------

def _table_sheet(sheet, chosen: list[tuple[Entry, PrintedTable]]) -> None:
    """The headings of the table (the union of its layouts' columns: a 2019 and a 2021 table
    2 side by side), then every report's rows."""
    columns: list[Column] = []
    for _, table in chosen:
        for part in table.parts:
            columns += [c for c in part.columns if c not in columns]
    with_heading = any(p.heading for _, t in chosen for p in t.parts)
    stub_width = max(p.stub_width for _, t in chosen for p in t.parts)
    stub = next((p.stub for _, t in chosen for p in t.parts if p.stub), None)
    grid = Part(None, None, tuple(columns), ()).header_grid()
    depth = max(len(grid), 1)
    first_value = len(ID_COLUMNS) + with_heading + stub_width + 1
    _heading_rows(sheet, 1, ID_COLUMNS, depth)
    stub_texts = [""] * with_heading + [stub or ""] + [""] * (stub_width - 1)
    _heading_rows(sheet, len(ID_COLUMNS) + 1, stub_texts[:with_heading + stub_width], depth)
    for level, cells in enumerate(grid, start=1):
        for offset, cell in enumerate(cells):
            if cell is None:
                continue
            column = first_value + offset
            written = sheet.cell(row=level, column=column, value=cell.text)
            written.font, written.alignment = _HEADING, _CENTRE
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(start_row=level, start_column=column,
                                  end_row=level + cell.rowspan - 1,
                                  end_column=column + cell.colspan - 1)
    number = depth + 1
    for entry, table in chosen:
        for part in table.parts:
            for row in part.rows:
                labels = ([part.heading or ""] if with_heading else []) + _padded(row.path,
                                                                                   stub_width)
                for offset, value in enumerate(entry.row_id + labels, start=1):
                    sheet.cell(row=number, column=offset, value=value)
                for column, key in zip(part.columns, row.keys):
                    _put(sheet, number, first_value + columns.index(column),
                         entry.report.get(key))
                number += 1
    sheet.freeze_panes = sheet.cell(row=depth + 1, column=first_value)
    _widths(sheet, {1: 28, 2: 18, 3: 18} | {len(ID_COLUMNS) + 1 + i: 24
                                             for i in range(with_heading + stub_width)})


def _padded(path: tuple[str, ...], width: int) -> list[str]:
    """A row's group headings and label in `width` stub columns, the label in the last."""
    if not width:
        return []
    groups = list(path[:-1]) if path else []
    return groups + [""] * (width - len(path)) + ([path[-1]] if path else [])


# -- findings ---------------------------------------------------------------------------------

def _findings_sheet(sheet, entries: list[Entry]) -> None:
    sheet.append(ID_COLUMNS + FINDING_COLUMNS)
    for cell in sheet[1]:
        cell.font = _HEADING
    for entry in entries:
        for f in entry.findings:
            sheet.append(entry.row_id + [
                f.rule, f.rule_number, f.severity, f.likely_cause, _excel(f.expected),
                _excel(f.actual), _excel(f.difference), f.tolerance,
                ", ".join(c.key for c in f.cells), f.message_zh, f.message_en, f.claim])
    sheet.freeze_panes = "A2"
    _widths(sheet, {1: 28, 2: 18, 3: 18, 6: 22, 15: 60, 16: 40})


def _widths(sheet, widths: dict[int, int]) -> None:
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width


def store_entries(store) -> list[Entry]:
    """Every report of a `store.Store` with its stored findings and the identity the store
    settled on (a manifest's agency and year over the title's)."""
    rows = store.con.execute(
        "SELECT sha256, extractor_version, path, body, agency, year, format FROM reports "
        "ORDER BY body NULLS LAST, year, path, extractor_version").fetchall()
    return [Entry(store.report(sha, version), store.findings(sha, version), list(ident))
            for sha, version, *ident in rows]


def write_frames(target: Path | IO[bytes], sheets: dict[str, pd.DataFrame]) -> None:
    """Data frames as sheets of one workbook, a heading row each; missing values empty and
    whole numbers integers (a pandas column with gaps holds floats: 29130.0 is 29130)."""
    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        sheet = book.create_sheet(_sheet_name(name))
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = _HEADING
        for row in frame.itertuples(index=False):
            sheet.append([_frame_value(v) for v in row])
        sheet.freeze_panes = "A2"
    book.save(target)


def _frame_value(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _excel(value)
