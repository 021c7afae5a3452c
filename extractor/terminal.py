"""terminal: a `Report` as text tables that fit the terminal, laid out as the report prints them.

The tables come from printed.py (labels, numbering, group headings from patterns/), so a
terminal shows what the paper shows: a row's printed label, its group headings as rows of
their own, the columns' printed headings. No key column: the keys are in `-f json`/`-f csv`.
Numbers are never cut or folded; labels and headings fold instead, and a table still wider
than the terminal (table 三 at 80 columns) is printed in column groups, each with the labels.
A low-confidence cell is marked with a trailing `?` (not only a colour, which a pipe or a
colour-blind reader loses), explained by a legend under the tables.
"""

from __future__ import annotations

from decimal import Decimal

from .knowledge import Knowledge
from .printed import Part, PrintedTable, shown
from .schema import RELIABLE, Report

LOW = "?"  # after a cell read with a confidence below RELIABLE
LEGEND = (f"{LOW} read with low confidence (< {RELIABLE:g}): check it against the document; "
          "— / 无 printed as such, blank: not printed")
INDENT = "  "
HEADING_WIDTH = 6  # terminal cells a folded column heading keeps: three Chinese characters


def render(report: Report, console, knowledge: Knowledge, *, warnings: bool = True) -> None:
    """Print the report's heading line, its tables as printed, the legend when a cell is
    marked, and (with `warnings`) its warnings."""
    m = report.meta
    console.print(f"{m.title or m.source}  {m.agency or '?'} · {m.year or '?'} · format "
                  f"{m.format} · {m.kind}, {m.page_count} page(s)", markup=False, style="bold")
    marked = False
    for table in knowledge.layouts.for_report(report):
        parts = [p for p in table.parts
                 if any(report.get(k) is not None for row in p.rows for k in row.keys)]
        for index, part in enumerate(parts):
            title = table.title if index == 0 else None
            marked |= _print_part(console, report, table, part, title)
    if marked:
        console.print(LEGEND, markup=False)
    if warnings:
        for w in report.warnings:
            console.print(f"[yellow]warning[/yellow] {w.code}: ", end="")
            console.print(w.message, markup=False)


def _text(report: Report, key: str) -> tuple[str, bool]:
    """A cell as printed and whether it is marked as read with low confidence."""
    value = report.get(key)
    text = shown(value)
    if text is None:
        return "", False
    if isinstance(text, Decimal):
        text = format(text.normalize(), "f")
    low = value.confidence < RELIABLE
    return f"{text}{LOW}" if low else str(text), low


def _grid(part: Part) -> tuple[list[str], list[tuple[str, list[str] | None]]]:
    """(column headings, rows): rows are (label, cell keys), a group heading a row of its own
    (keys None) where its group begins, each label indented by its depth. A part of one row
    whose columns come in groups (table 四: 行政复议 · 结果维持 …) is turned: a row per group."""
    if len(part.rows) == 1 and all(len(c.path) > 1 for c in part.columns):
        groups: dict[tuple[str, ...], list[str]] = {}
        headings: list[str] = []
        for column, key in zip(part.columns, part.rows[0].keys):
            groups.setdefault(column.path[:-1], []).append(key)
            if column.path[-1] not in headings:
                headings.append(column.path[-1])
        return headings, [(path[-1], keys) for path, keys in groups.items()]
    rows: list[tuple[str, list[str] | None]] = []
    previous: tuple[str, ...] = ()
    for row in part.rows:
        groups_of_row = row.path[:-1]
        shared = 0
        while (shared < min(len(previous), len(groups_of_row))
               and previous[shared] == groups_of_row[shared]):
            shared += 1
        for depth in range(shared, len(groups_of_row)):
            rows.append((INDENT * depth + groups_of_row[depth], None))
        rows.append((INDENT * len(groups_of_row) + row.path[-1], list(row.keys)))
        previous = groups_of_row
    return [c.path[-1] for c in part.columns], rows


def _print_part(console, report: Report, table: PrintedTable, part: Part,
                title: str | None) -> bool:
    from rich.measure import Measurement

    headings, rows = _grid(part)
    cells = [[_text(report, k) for k in keys] if keys else None for _, keys in rows]
    marked = any(low for line in cells if line for _, low in line)
    columns = list(range(len(headings)))

    def fits(table) -> bool:
        return Measurement.get(console, console.options, table).minimum <= console.width

    # Headings whole when everything fits unfolded; else headings fold; column groups when
    # the table is still wider than the terminal, as many columns each as fit beside the labels.
    whole = _table(title, part, headings, rows, cells, columns, fold=False)
    fold = Measurement.get(console, console.options, whole).maximum > console.width
    groups: list[list[int]] = []
    while columns:
        take = len(columns)
        while take > 1 and not fits(_table(title, part, headings, rows, cells, columns[:take],
                                           fold)):
            take -= 1
        groups.append(columns[:take])
        columns = columns[take:]
    for number, group in enumerate(groups):
        heading = title if number == 0 else None
        if len(groups) > 1:
            heading = f"{heading or table.title} ({number + 1}/{len(groups)})"
        console.print(_table(heading, part, headings, rows, cells, group, fold), crop=False)
    return marked


def _table(title: str | None, part: Part, headings: list[str], rows, cells, columns: list[int],
           fold: bool):
    from rich.table import Table
    from rich.text import Text

    heading = "\n".join(t for t in (title, part.heading) if t) or None
    shown_table = Table(title=heading, title_justify="left")
    shown_table.add_column(part.stub or "", overflow="fold", min_width=8)
    for index in columns:
        width = max((len(line[index][0]) for line in cells if line), default=1)
        # Numbers never fold: a column is as wide as its widest number; its heading folds
        # (when the table must) to HEADING_WIDTH so that the labels keep the room.
        shown_table.add_column(headings[index], justify="right", overflow="fold",
                               min_width=max(width, 2),
                               max_width=max(width, HEADING_WIDTH) if fold else None)
    for (label, keys), line in zip(rows, cells):
        if line is None:
            shown_table.add_row(Text(label, style="bold"), *([""] * len(columns)))
            continue
        shown_table.add_row(Text(label), *(Text(line[i][0], style="yellow" if line[i][1] else "")
                                           for i in columns))
    return shown_table
