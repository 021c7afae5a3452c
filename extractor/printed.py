"""printed: the standard tables laid out as a report prints them, for people to read.

The viewer and the spreadsheets show a report's tables the way it prints them: table 二 block
by block (第二十条第（一）项, its column headings, its items), table 三 under its applicant
headings with the outcome groups beside their rows (三、本年度办理结果 · （三）不予公开 ·
1.属于国家秘密), table 四 as one row under its three-level heading, and a legacy report's
统计表 (本年度, 历年累计). Every text comes from patterns/tables.yaml and legacy.yaml (the first,
official, label of each list, with its printed numbering); which layout a report gets follows
from the keys it holds, so a hybrid report shows each table in its own format.

`Layouts` is built once from loaded patterns (the knowledge's `layouts`, the one place that
loads them) and passed to whatever renders: HTML in extractor/view/, XLSX in extractor/xlsx.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from .keys import Key, join_key
from .legacy.knowledge import CUMULATIVE, PREFIX, LegacyKnowledge, TableSpec
from .patterns import ApplicationRow, Patterns, TablePatterns
from .schema import Report, Value
from .textnorm import chinese_ordinal

STANDARD = ("active", "applications", "review_litigation")


@dataclass(frozen=True)
class Column:
    key: str  # what the column is in canonical keys (natural_person, made, review.upheld)
    path: tuple[str, ...]  # printed headings, outermost first; the last is the column's own


@dataclass(frozen=True)
class Row:
    key: str  # what the row is in canonical keys (new_received, regulations, review …)
    path: tuple[str, ...]  # printed group headings, outermost first, then the row's own label
    keys: tuple[str, ...]  # the canonical key of each column's cell


@dataclass(frozen=True)
class Cell:
    """A printed heading cell, merged over `rowspan` rows and `colspan` columns."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Part:
    """One ruled block of a table: a heading line (table 二's article), column headings, rows."""

    heading: str | None
    stub: str | None  # the heading of the label column(s); None when the table prints none
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def header_grid(self) -> list[list[Cell | None]]:
        """The column headings as rows of cells (None where a merged cell covers)."""
        depth, spans = _spans([c.path for c in self.columns])
        grid: list[list[Cell | None]] = [[None] * len(self.columns) for _ in range(depth)]
        for level, index, text, along, across in spans:
            grid[level][index] = Cell(text, rowspan=across, colspan=along)
        return grid

    def stub_grid(self) -> list[list[Cell | None]]:
        """The row labels as, per row, its stub cells left to right (None where merged)."""
        depth, spans = _spans([r.path for r in self.rows])
        grid: list[list[Cell | None]] = [[None] * depth for _ in self.rows]
        for level, index, text, along, across in spans:
            grid[index][level] = Cell(text, rowspan=along, colspan=across)
        return grid

    @property
    def stub_width(self) -> int:
        return max((len(r.path) for r in self.rows), default=0)


@dataclass(frozen=True)
class PrintedTable:
    name: str  # active, applications, review_litigation or legacy
    title: str  # as printed: 三、收到和处理政府信息公开申请情况
    fmt: str | None  # the layout's format (2021, 2019, 2019-variant), None for legacy
    parts: tuple[Part, ...]

    def cell_keys(self) -> list[str]:
        return [k for part in self.parts for row in part.rows for k in row.keys]


def _spans(paths: list[tuple[str, ...]]) -> tuple[int, list[tuple[int, int, str, int, int]]]:
    """Merged heading cells for items (columns, or rows) each with a path of headings:
    (level, first item, text, span along the items, span across the levels). A group heading
    spans the neighbouring items under the same headings; an item's own label fills the
    levels its path lacks (自然人 reaches down beside 法人或其他组织 · 商业企业)."""
    depth = max((len(p) for p in paths), default=0)
    spans = []
    for level in range(depth):
        index = 0
        while index < len(paths):
            path = paths[index]
            if level >= len(path):
                index += 1
                continue
            if level == len(path) - 1:
                spans.append((level, index, path[level], 1, depth - level))
                index += 1
                continue
            along = 1
            while (index + along < len(paths) and len(paths[index + along]) - 1 > level
                   and paths[index + along][:level + 1] == path[:level + 1]):
                along += 1
            spans.append((level, index, path[level], along, 1))
            index += along
    return depth, spans


class Layouts:
    """The printed layouts of the standard tables and the legacy 统计表."""

    def __init__(self, tables: TablePatterns, ordinals: dict[str, str],
                 legacy: TableSpec | None = None) -> None:
        self.tables = tables
        self.ordinals = ordinals
        self.legacy_spec = legacy

    def title(self, name: str) -> str:
        return f"{self.ordinals[name]}、{getattr(self.tables, name).title}"

    def for_report(self, report: Report) -> list[PrintedTable]:
        held = {v.key for v in report.values}
        if report.meta.format == "legacy":
            return [self.legacy(held)] if held else []
        return [self.active(self.active_format(held, report.meta.format)),
                self.applications(self.applications_format(held, report.meta.format)),
                self.review()]

    # -- labels of keys, for messages -------------------------------------------------------

    def part_label(self, table: str, name: str) -> str:
        """The printed label of a row, column, block or item `name` of `table` (tried first:
        a rule's placeholder may name a part of another table), or of a legacy key; `name`
        itself when nothing prints it."""
        parts = self._parts
        for where in (table, *(t for t in parts if t != table)):
            if name in parts[where]:
                return parts[where][name]
        base = name.removesuffix(CUMULATIVE)
        if base != name and base in parts["legacy"]:  # a legacy running total
            return f"{parts['legacy'][base]}（{self.legacy_spec.columns.cumulative[0]}）"
        return name

    def cell_label(self, key: str) -> str:
        """A cell as a reader finds it in the report: 表三「一、本年新收政府信息公开申请数量」行
        「自然人」列, 表四「行政复议」「结果纠正」, 政府信息公开情况统计表「…」（历年累计）."""
        parsed = Key.parse(key)
        if parsed.table == "legacy":
            spec = self.legacy_spec
            label = self.part_label("legacy", key.removesuffix(CUMULATIVE))
            if spec is None:
                return f"「{label}」"
            column = spec.columns.cumulative if key.endswith(CUMULATIVE) else spec.columns.year
            return f"{spec.title or ''}「{label}」（{column[0]}）"
        row = self.part_label(parsed.table, parsed.row)
        column = self.part_label(parsed.table, parsed.column)
        table = f"表{self.ordinals[parsed.table]}"
        if parsed.table == "applications":
            return f"{table}「{row}」行「{column}」列"
        return f"{table}「{row}」「{column}」"

    @cached_property
    def _parts(self) -> dict[str, dict[str, str]]:
        apps, review, active = (self.tables.applications, self.tables.review_litigation,
                                self.tables.active)
        spec = self.legacy_spec
        return {
            "applications": {**{r.key: self._row_label(r) for r in apps.rows},
                             **{c.key: c.labels[0] for c in apps.columns}},
            "review_litigation": {**{b.key: b.labels[0] for b in review.blocks},
                                  **{f.key: f.labels[0] for f in review.fields}},
            "active": {**{k: v.labels[0] for k, v in active.items.items()},
                       **{k: v.labels[0] for k, v in active.fields.items()}},
            "legacy": {PREFIX + k: labels[0] for k, labels in spec.rows.items()} if spec else {},
        }

    def _row_label(self, row: ApplicationRow) -> str:
        """A table-3 row's label, under its group's: （三）不予公开·1.属于国家秘密."""
        own = _numbered(row.number, row.labels[0])
        head, dot, _ = row.key.partition(".")  # the group a sub-row's key names
        group = self.tables.applications.groups.get(head) if dot else None
        heading = _numbered(group.number, group.labels[0]) if group else own
        return own if heading == own else f"{heading}·{own}"

    # -- table 二 -------------------------------------------------------------------------

    def active_format(self, held: set[str], fmt: str) -> str:
        """The table-2 layout whose cells the report holds most of (its own format on a tie)."""
        formats = self.tables.active.formats
        return max(formats, key=lambda f: (len(held & set(self.active(f).cell_keys())),
                                           f == fmt, f))

    def active(self, fmt: str) -> PrintedTable:
        spec = self.tables.active
        stub = spec.stub_labels[0] if spec.stub_labels else None
        parts = []
        for block in spec.formats[fmt]:
            columns = tuple(Column(f, (spec.fields[f].labels[0],)) for f in block.fields)
            rows = tuple(Row(item, (spec.items[item].labels[0],),
                             tuple(join_key("active", item, f) for f in block.fields))
                         for item in block.items)
            parts.append(Part(spec.blocks[block.block].labels[0], stub, columns, rows))
        return PrintedTable("active", self.title("active"), fmt, tuple(parts))

    # -- table 三 -------------------------------------------------------------------------

    def applications_format(self, held: set[str], fmt: str) -> str:
        """The table-3 form whose own rows (those limited to some formats) the report holds;
        else its format's family, else the newest."""
        spec = self.tables.applications
        votes: dict[str, int] = {}
        for row in spec.rows:
            if row.formats and any(k.startswith(f"applications.{row.key}.") for k in held):
                for f in row.formats:
                    votes[f] = votes.get(f, 0) + 1
        known = sorted({f for row in spec.rows for f in row.formats or ()})
        if votes:
            return max(votes, key=lambda f: (votes[f], f))
        family = fmt.partition("-")[0]
        return family if family in known else known[-1]

    def applications(self, fmt: str) -> PrintedTable:
        spec = self.tables.applications
        rows = [r for r in spec.rows if r.formats is None or fmt in r.formats]
        columns = tuple(Column(c.key, (*c.under, c.labels[0])) for c in spec.columns)
        extent: dict[str, tuple[int, int]] = {}
        for i, row in enumerate(rows):
            if row.group:
                first, _ = extent.get(row.group, (i, i))
                extent[row.group] = (first, i)
        printed = tuple(
            Row(row.key, (*self._groups(row, i, extent), _numbered(row.number, row.labels[0])),
                tuple(join_key("applications", row.key, c.key) for c in spec.columns))
            for i, row in enumerate(rows))
        return PrintedTable("applications", self.title("applications"), fmt,
                            (Part(None, None, columns, printed),))

    def _groups(self, row: ApplicationRow, index: int, extent: dict[str, tuple[int, int]]
                ) -> tuple[str, ...]:
        """The group headings printed beside a row: its own group, inside every group whose
        rows come before and after it (（三）不予公开 lies inside 三、本年度办理结果)."""
        if row.group is None:
            return ()
        around = [g for g, (first, last) in extent.items()
                  if g != row.group and first < index < last]
        around.sort(key=lambda g: extent[g][0] - extent[g][1])
        groups = self.tables.applications.groups
        return tuple(_numbered(groups[g].number, groups[g].labels[0])
                     for g in (*around, row.group))

    # -- table 四 -------------------------------------------------------------------------

    def review(self) -> PrintedTable:
        spec = self.tables.review_litigation
        columns = tuple(Column(f"{b.key}.{f.key}", (*b.under, b.labels[0], f.labels[0]))
                        for b in spec.blocks for f in spec.fields)
        row = Row("", (), tuple(join_key("review_litigation", b.key, f.key)
                                for b in spec.blocks for f in spec.fields))
        return PrintedTable("review_litigation", self.title("review_litigation"), None,
                            (Part(None, None, columns, (row,)),))

    # -- legacy 统计表 -----------------------------------------------------------------------

    def legacy(self, held: set[str]) -> PrintedTable:
        """The 统计表 rows the report holds (in the table's order), then figures read from its
        prose only, each under its key."""
        spec = self.legacy_spec
        bases = list(dict.fromkeys(k.removeprefix(PREFIX).removesuffix(CUMULATIVE)
                                   for k in sorted(held) if k.startswith(PREFIX)))
        listed = list(spec.rows) if spec else []
        order = [k for k in listed if k in bases] + [k for k in bases if k not in listed]
        columns = ((Column("year", (spec.columns.year[0],)),
                    Column("cumulative", (spec.columns.cumulative[0],))) if spec else ())
        rows = tuple(Row(k, (spec.rows[k][0] if spec and k in spec.rows else k,),
                         (PREFIX + k, PREFIX + k + CUMULATIVE)) for k in order)
        stub = spec.header[0] if spec and spec.header else None
        title = spec.title if spec and spec.title else "legacy"
        return PrintedTable("legacy", title, None, (Part(None, stub, columns, rows),))


def shown(value: Value | None) -> int | Decimal | str | None:
    """A cell as the report prints it: its number, its no-value mark ("—", "/", "无": not 0),
    or None for a blank or absent cell."""
    if value is None:
        return None
    if value.value is not None:
        return value.value
    return None if value.null_reason in (None, "blank") else value.raw.strip() or None


def _numbered(number: str | None, label: str) -> str:
    return f"{number}{label}" if number else label


def build_layouts(patterns: Patterns, legacy: LegacyKnowledge) -> Layouts:
    """The tables as printed, from tables.yaml, headings.yaml and legacy.yaml."""
    numbers = {s.key: s.number for s in patterns.headings.sections}
    ordinals = {name: chinese_ordinal(numbers[name]) for name in STANDARD}
    return Layouts(patterns.tables, ordinals, legacy.spec.table)
