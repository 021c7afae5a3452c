"""terminal: what the commands print on a terminal — a report's tables as the report prints them
(fitting the terminal), an audit's findings, eval's scores, a body's history.

The tables come from printed.py (labels, numbering, group headings from patterns/), so a
terminal shows what the paper shows: a row's printed label, its group headings as rows of
their own, the columns' printed headings. No key column: the keys are in `-f json`/`-f csv`.
Numbers are never cut or folded; labels and headings fold instead, and a table still wider
than the terminal (table 三 at 80 columns) is printed in column groups, each with the labels.
A low-confidence cell is marked with a trailing `?` (not only a colour, which a pipe or a
colour-blind reader loses), explained by a legend under the tables.
"""

from __future__ import annotations

import sys
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


def render_findings(results, console) -> None:
    """Each audit result as a table of its findings, or how much was checked."""
    from rich.table import Table

    for result in results:
        title = f"{result.file} · {result.agency or '?'} · {result.year or '?'}"
        if result.previous:
            title += f" (with {result.previous})"
        if not result.findings:
            console.print(f"[bold]{title}[/bold]: ", end="")
            console.print(_no_findings(result), markup=False)
            continue
        table = Table(title=title, title_justify="left", show_lines=False)
        for column in ("severity", "rule", "expected", "printed", "cause"):
            table.add_column(column, no_wrap=True)
        # Chinese has no spaces to wrap at: fold the message rather than cut it with "…".
        table.add_column("message", overflow="fold", ratio=1)
        colours = {"error": "red", "warning": "yellow", "info": "blue"}
        for f in result.findings:
            table.add_row(f"[{colours[f.severity]}]{f.severity}[/]", f.rule, str(f.expected),
                          str(f.actual), f.likely_cause, f.message_zh)
        console.print(table)


def _no_findings(result) -> str:
    """How much was checked: "no findings" after no check at all says nothing."""
    checked = sum(t.checked for t in result.rules)
    skipped = sum(t.skipped for t in result.rules)
    rules = sum(1 for t in result.rules if t.checked)
    if not checked:
        return f"no findings, but no check could run ({skipped} skipped: no values to check)"
    return f"no findings: {checked} checks of {rules} rules held ({skipped} skipped)"


def render_evaluation(result, console) -> None:
    """eval's scores per document, the wrong and missing cells, and the totals."""
    from rich.table import Table

    table = Table(title="extraction and audit against truth", title_justify="left")
    # The file name must stay whole to be found again; the short counts fold if they must.
    table.add_column("document", overflow="fold")
    for column in ("exact", "missing", "wrong", "extra", "findings", "unexpected errors"):
        table.add_column(column, overflow="fold")
    for d in result.documents:
        if d.error:
            table.add_row(d.file, f"[red]{d.error}[/red]", "", "", "", "", "")
            continue
        colour = "green" if d.exact == d.cells else "yellow"
        table.add_row(d.file, f"[{colour}]{d.exact}/{d.cells}[/]", str(len(d.missing)),
                      str(len(d.wrong)), str(len(d.extra)),
                      f"{d.findings_matched}/{d.findings_expected} (found {d.findings_found})",
                      str(len(d.unexpected_errors)))
    console.print(table)
    for d in result.documents:
        for w in d.wrong[:10]:
            console.print(f"  {d.file}: {w.key} expected {w.expected} got {w.got} "
                          f"(confidence {w.confidence:g}{'' if w.flagged else ', not flagged'})")
        for key in d.missing[:10]:
            console.print(f"  {d.file}: {key} missing")
        for message in d.unexpected_errors + d.missed_findings:
            console.print(f"  {d.file}: finding {message}")
    precision = "—" if result.findings_precision is None else f"{result.findings_precision:.1%}"
    recall = "—" if result.findings_recall is None else f"{result.findings_recall:.1%}"
    wrong = (f"{result.wrong} wrong, {result.wrong - result.wrong_unflagged} of them flagged "
             f"(confidence < {RELIABLE:g}); ") if result.wrong else ""
    console.print(f"[bold]cells {result.exact}/{result.cells} exact ({result.exact_rate:.2%}); "
                  f"{wrong}findings precision {precision}, recall {recall}[/bold]")


def render_history(result, keys: bool = False) -> None:
    """Per body: the harmonized series × years (the crosswalk's exactness and how each value
    was obtained marked on it), with `keys` every key × years, then the cross-year rule
    tallies and findings."""
    from rich.console import Console

    console = Console(file=sys.stdout)
    for name in result.bodies:
        console.print(_series_table(result.series[result.series["body"] == name], name))
        if keys:
            console.print(_key_table(result.panel[result.panel["body"] == name], name))
        checks = result.checks[result.checks["body"] == name]
        for row in checks.itertuples():
            console.print(f"{row.year} with {row.previous_year}: {row.rule} — {row.checked} "
                          f"checked, {row.failed} failed, {row.skipped} skipped", markup=False)
        for row in result.findings[result.findings["body"] == name].itertuples():
            colour = "red" if row.severity == "error" else "yellow"
            console.print(f"[{colour}]{row.severity}[/] {row.year}: ", end="")
            console.print(row.message_zh, markup=False)
    console.print("≈ close, ~ approximate: how the keys match the series (unmarked: exact); "
                  "(…) reconstructed from another year's report; [low, high] an interval; "
                  "ᵖ stated only in the prose; (d) derived from printed values", markup=False)


def _series_table(series, name: str):
    from rich.table import Table
    from rich.text import Text

    years = sorted(series["year"].unique())
    formats = {row.year: row.format for row in series.itertuples() if not _blank(row.format)}
    table = Table(title=f"{name} — harmonized series", title_justify="left")
    table.add_column("series", overflow="fold")
    for year in years:
        table.add_column(f"{year}\n{formats.get(year) or 'no report'}", justify="right")
    cells: dict[tuple[str, int], str] = {}
    labels: dict[str, str] = {}
    for row in series.itertuples():
        cells[(row.series, row.year)] = _series_cell(row)
        labels[row.series] = row.label  # the key is in -f csv and --keys, not in the way
    changes = {name: _change(group) for name, group in series.groupby("series", sort=False)}
    shown = [c for c in changes.values() if c]
    spans = {span for span, _ in shown}
    if shown:
        header = f"{min(spans)[0]}→{max(spans)[1]}" if len(spans) == 1 else "last change"
        table.add_column(f"year on year\n{header}", justify="right")
    for key in dict.fromkeys(series["series"]):
        change = changes.get(key)
        tail = [Text(change[1] if change else "")] if shown else []
        table.add_row(Text(labels[key]), *(Text(cells.get((key, y), "")) for y in years), *tail)
    return table


def _change(group) -> tuple[tuple[int, int], str] | None:
    """The change of a series between its last two years with an exact figure, as ((from, to),
    "+140 (+86.4%)"); None when it has no two."""
    from decimal import Decimal

    known = [(int(r.year), Decimal(r.value_exact)) for r in group.sort_values("year").itertuples()
             if not _blank(r.value_exact)]
    if len(known) < 2:
        return None
    (before, old), (after, new) = known[-2], known[-1]
    percent = f" ({(new - old) / old:+.1%})" if old else ""
    return (before, after), f"{new - old:+}{percent}"


def _series_cell(row) -> str:
    if _blank(row.value_exact):
        text = "" if _blank(row.low) else f"[{row.low:g}, {row.high:g}]"
    else:
        text = row.value_exact
    text += {"close": "≈", "approximate": "~"}.get(row.exactness, "")
    if row.status == "prose":
        text += "ᵖ"
    return f"({text})" if row.status == "reconstructed" and text else text


def _key_table(panel, name: str):
    from rich.table import Table
    from rich.text import Text

    years = sorted(panel["year"].unique())
    table = Table(title=name, title_justify="left")
    table.add_column("key")
    for year in years:
        table.add_column(str(year), justify="right")
    cells: dict[tuple[str, int], str] = {}
    for row in panel.itertuples():
        cells.setdefault((row.key, row.year), _cell(row))
    for key in sorted(panel["key"].unique()):
        table.add_row(key, *(Text(cells.get((key, y), "")) for y in years))
    return table


def _blank(value) -> bool:
    """None or NaN: a pandas column of numbers and None holds NaN for the missing ones."""
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _cell(row) -> str:
    if row.status == "printed":
        return "" if _blank(row.value_exact) else row.value_exact
    if row.status == "derived":
        return f"{row.value_exact} (d)"
    if not _blank(row.value_exact):
        return f"~{row.value_exact}"
    return f"[{row.low:g}, {row.high:g}]"
