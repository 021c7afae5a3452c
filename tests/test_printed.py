"""printed.py: the tables laid out as reports print them, from patterns/tables.yaml."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor import extract
from extractor.errors import PatternsError
from extractor.knowledge import Knowledge
from extractor.printed import Part, Row, shown
from extractor.schema import Value

from .conftest import CORPUS, FIXTURES

TABLES = Knowledge.default().patterns.tables


def test_table_three_headings_and_rows_as_printed():
    table = Knowledge.default().layouts.applications("2021")
    (part,) = table.parts
    assert table.title == "三、" + TABLES.applications.title
    grid = [[(c.text, c.rowspan, c.colspan) if c else None for c in row]
            for row in part.header_grid()]
    # 申请人情况 over all seven; 自然人 and 总计 reach down beside 法人或其他组织's five.
    first, second, third = grid
    assert first[0] == (TABLES.applications.column_groups[0], 1, 7) and first[1:] == [None] * 6
    assert second[0][1:] == (2, 1) and second[1] == (TABLES.applications.column_groups[1], 1, 5)
    assert [c[0] for c in third[1:6]] == [c.labels[0] for c in TABLES.applications.columns[1:6]]
    rows = [r for r in TABLES.applications.rows if r.formats is None or "2021" in r.formats]
    assert [r.path[-1] for r in part.rows] == [f"{r.number}{r.labels[0]}" for r in rows]
    stubs = part.stub_grid()
    results = TABLES.applications.groups["results"]
    # 三、本年度办理结果 spans every outcome row, （三）不予公开 its eight reasons inside it.
    granted = next(i for i, r in enumerate(part.rows) if r.key == "granted")
    assert stubs[granted][0].text == f"{results.number}{results.labels[0]}"
    assert stubs[granted][0].rowspan == sum(1 for r in rows if r.key not in (
        "new_received", "carried_over", "carried_forward"))
    denied = next(i for i, r in enumerate(part.rows) if r.key.startswith("denied."))
    assert (stubs[denied][1].rowspan, stubs[denied][0]) == (8, None)
    first_row = stubs[0][0]
    assert (first_row.colspan, part.rows[0].keys[-1]) == (3, "applications.new_received.total")
    assert len(Knowledge.default().layouts.applications("2019").parts[0].rows) == 23


def test_each_table_in_the_format_its_cells_say():
    """A hybrid report (table 2 of one format, table 3 of the other) is shown as it prints."""
    report = extract(FIXTURES / "generated" / "gen_s104_000_docx_hybrid.docx")
    held = {v.key for v in report.values}
    active, applications, _ = Knowledge.default().layouts.for_report(report)
    assert report.meta.format == "hybrid"
    assert (active.fmt, applications.fmt) == ("2021", "2019")
    assert held & set(active.cell_keys()) == {k for k in held if k.startswith("active.")}
    assert {k for k in held if k.startswith("applications.")} <= set(applications.cell_keys())


def test_a_legacy_report_shows_its_table_rows_then_its_prose_figures():
    report = extract(CORPUS / "legacy" / "sanming_city_2014.txt")
    (table,) = Knowledge.default().layouts.for_report(report)
    spec = Knowledge.default().layouts.legacy_spec
    (part,) = table.parts
    assert table.title == spec.title and part.stub == spec.header[0]
    labels = [r.path[-1] for r in part.rows]
    listed = [k for k in spec.rows if any(v.key.startswith(f"legacy.{k}") for v in report.values)]
    assert labels[:len(listed)] == [spec.rows[k][0] for k in listed]
    assert all(k.startswith("legacy.") for k in table.cell_keys())
    assert set(table.cell_keys()) >= {v.key for v in report.values}


def test_shown_keeps_no_value_marks_apart_from_zero():
    def value(v, raw, reason=None):
        return Value(key="applications.granted.total", table="applications", value=v, raw=raw,
                     null_reason=reason, confidence=1.0)

    assert shown(value(0, "0")) == 0
    assert shown(value(None, "—", "dash")) == "—"
    assert shown(value(None, "无", "none")) == "无"
    assert shown(value(None, "", "blank")) is None
    assert shown(None) is None


paths = st.lists(st.lists(st.sampled_from("ABC"), min_size=0, max_size=2), min_size=1,
                 max_size=8).map(lambda heads: [(*h, f"leaf{i}") for i, h in enumerate(heads)])


@given(paths)
def test_merged_headings_cover_every_cell_once(column_paths):
    """Whatever the headings, each heading row × column is covered by exactly one cell, and
    a group heading spans only columns under it."""
    part = Part(None, None, tuple(_column(p) for p in column_paths), ())
    grid = part.header_grid()
    covered = [[0] * len(column_paths) for _ in grid]
    for level, cells in enumerate(grid):
        for index, cell in enumerate(cells):
            if cell is None:
                continue
            for r in range(level, level + cell.rowspan):
                for c in range(index, index + cell.colspan):
                    covered[r][c] += 1
                    assert column_paths[c][min(level, len(column_paths[c]) - 1)] == cell.text
    assert all(n == 1 for row in covered for n in row)
    stubs = Part(None, None, (), tuple(Row(str(i), p, ()) for i, p in enumerate(column_paths)))
    assert len(stubs.stub_grid()) == len(column_paths)


def _column(path):
    from extractor.printed import Column

    return Column(path[-1], path)


def test_a_heading_above_a_column_must_be_one_of_the_groups(tmp_path):
    (tmp_path / "tables.yaml").write_text(
        "applications:\n  columns:\n    - key: research\n      under: [申请人]\n"
        "      labels: [科研机构]\n", encoding="utf-8")
    with pytest.raises(PatternsError, match="`under` names 申请人, not one of column_groups"):
        Knowledge.load((str(tmp_path),))
