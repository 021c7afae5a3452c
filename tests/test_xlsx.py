"""Spreadsheets: `extract -f xlsx`, `export -f xlsx`, CSV with a BOM, exact integers.

Workbooks are read back with openpyxl and compared with the truth files: every printed value of
every report, under the printed labels of patterns/tables.yaml.
"""

from __future__ import annotations

import csv
import io
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import coordinate_from_string

from extractor.knowledge import Knowledge

from .conftest import CORPUS, NIANBAO, canon, truth

FILES = {"huaian_city_2024": CORPUS / "huaian_city_2024.pdf",
         "seed_shanghai_2020": CORPUS / "seed_shanghai_2020.txt",
         "sanming_city_2019": CORPUS / "sanming_city_2019.txt",
         "pingtan_gonganju_2021": CORPUS / "pingtan_gonganju_2021.txt"}
LEGACY = CORPUS / "legacy" / "sanming_city_2014.txt"
ID = ["file", "body", "agency", "year", "format"]
TABLES = Knowledge.default().patterns.tables


def run(*args):
    return subprocess.run([*NIANBAO, *map(str, args)], capture_output=True, text=True,
                          timeout=300, check=False)


def legacy_truth() -> dict:
    import json

    return json.loads((CORPUS / "legacy" / "truth" / "sanming_city_2014.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    out = tmp_path_factory.mktemp("xlsx") / "reports.xlsx"
    done = run("extract", *FILES.values(), LEGACY, "-f", "xlsx", "-o", out)
    assert done.returncode == 0, done.stderr
    return openpyxl.load_workbook(out)


def headed(sheet) -> tuple[list[tuple[str, ...]], list[list]]:
    """A sheet's column headings (each column's path through the merged heading cells, top
    down) and its data rows."""
    depth = coordinate_from_string(sheet.freeze_panes)[1] - 1
    grid = [[cell.value for cell in row] for row in sheet.iter_rows()]
    for merged in sheet.merged_cells.ranges:
        value = grid[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                grid[r - 1][c - 1] = value
    paths = []
    for column in range(len(grid[0])):
        texts = [grid[r][column] for r in range(depth) if grid[r][column] is not None]
        paths.append(tuple(dict.fromkeys(texts)))  # a cell merged down counts once
    return paths, grid[depth:]


def exact(cell, expected) -> bool:
    """A cell holds what the truth says: the same number, a count as an int (never 29130.0),
    and nothing or a no-value mark where the truth has null."""
    if expected is None:
        return cell is None or isinstance(cell, str)
    if isinstance(expected, int):
        return type(cell) is int and cell == expected
    return isinstance(cell, (int, float)) and Decimal(str(cell)) == Decimal(str(expected))


def test_sheets_are_the_tables_as_printed(workbook):
    titles = [f"{o}、{getattr(TABLES, name).title}" for o, name in
              zip("二三四", ("active", "applications", "review_litigation"))]
    legacy = Knowledge.default().layouts.legacy_spec.title
    assert workbook.sheetnames == ["reports", *titles, legacy, "findings"]


def test_table_three_sheet_labels_and_every_value(workbook):
    paths, rows = headed(workbook["三、收到和处理政府信息公开申请情况"])
    columns = TABLES.applications.columns
    assert paths[:5] == [(name,) for name in ID]
    assert paths[-7:] == [(*c.under, c.labels[0]) for c in columns]
    rows_by_label = {f"{r.number}{r.labels[0]}": r.key for r in TABLES.applications.rows}
    checked = {}
    for row in rows:
        stem = Path(row[0]).stem
        assert all(row[:5]) and stem in FILES, row[:5]
        key = rows_by_label[row[-8]]
        for column, cell in zip(columns, row[-7:]):
            expected = truth(stem)["values"][f"applications.{key}.{column.key}"]
            assert exact(cell, expected), (stem, key, column.key, cell, expected)
            checked[stem] = checked.get(stem, 0) + 1
    # 25 rows in 2021, 23 in 2019, 7 columns each: every cell of table 3 of every report.
    assert checked == {"huaian_city_2024": 175, "seed_shanghai_2020": 161,
                       "sanming_city_2019": 161, "pingtan_gonganju_2021": 175}
    huaian = next(r for r in rows if r[0].endswith("huaian_city_2024.pdf")
                  and r[-8] == "一、本年新收政府信息公开申请数量")
    assert huaian[:5] == [str(FILES["huaian_city_2024"]), "淮安市人民政府", "淮安市人民政府",
                          2024, "2021"]
    assert huaian[-1] == 3119 and type(huaian[-1]) is int


def test_table_two_and_four_sheets(workbook):
    paths, rows = headed(workbook["二、主动公开政府信息情况"])
    fields = {spec.labels[0]: name for name, spec in TABLES.active.fields.items()}
    items = {spec.labels[0]: name for name, spec in TABLES.active.items.items()}
    blocks = {spec.labels[0] for spec in TABLES.active.blocks.values()}
    n = 0
    for row in rows:
        values = truth(Path(row[0]).stem)["values"]
        assert row[5] in blocks
        for path, cell in zip(paths[7:], row[7:]):
            key = f"active.{items[row[6]]}.{fields[path[-1]]}"
            if key in values:
                assert exact(cell, values[key]), (row[0], key, cell)
                n += 1
            else:
                assert cell is None  # another block's or format's column
    assert n == sum(sum(k.startswith("active.") for k in truth(s)["values"]) for s in FILES)

    paths, rows = headed(workbook["四、政府信息公开行政复议、行政诉讼情况"])
    spec = TABLES.review_litigation
    expected_paths = [(*b.under, b.labels[0], f.labels[0]) for b in spec.blocks
                      for f in spec.fields]
    assert paths[5:] == expected_paths
    for row in rows:
        values = truth(Path(row[0]).stem)["values"]
        keys = [f"review_litigation.{b.key}.{f.key}" for b in spec.blocks for f in spec.fields]
        assert all(exact(c, values[k]) for c, k in zip(row[5:], keys)), row


def test_legacy_sheet_and_the_wide_sheet(workbook):
    spec = Knowledge.default().layouts.legacy_spec
    paths, rows = headed(workbook[spec.title])
    assert paths[5:] == [(spec.header[0],), (spec.columns.year[0],),
                         (spec.columns.cumulative[0],)]
    values = legacy_truth()["values"]
    label_of = {labels[0]: key for key, labels in spec.rows.items()}
    for row in rows:
        key = "legacy." + label_of.get(row[5], row[5])
        for cell, suffix in zip(row[6:], ("", ".cumulative")):
            if key + suffix in values:
                assert exact(cell, values[key + suffix]), (key + suffix, cell)
    wide = workbook["reports"]
    labels, keys = [c.value for c in wide[1]], [c.value for c in wide[2]]
    assert labels[:5] == ID
    column = keys.index("applications.new_received.total")
    assert labels[column] == "一、本年新收政府信息公开申请数量 · 总计"
    for row in wide.iter_rows(min_row=3, values_only=True):
        stem = Path(row[0]).stem
        expected = legacy_truth() if stem == LEGACY.stem else truth(stem)
        for key, cell in zip(keys[5:], row[5:]):
            if key in expected["values"]:
                assert exact(cell, expected["values"][key]), (stem, key, cell)
    assert wide.max_row == 2 + len(FILES) + 1


def test_findings_sheet(workbook):
    sheet = workbook["findings"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ID and "message_zh" in header
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    shanghai = [r for r in rows if r["file"].endswith("seed_shanghai_2020.txt")]
    row_sum = next(r for r in shanghai if r["rule"] == "row_sum")
    assert (row_sum["expected"], row_sum["actual"], row_sum["body"], row_sum["year"]) == \
        (29126, 29130, "上海市人民政府", 2020)
    # 1 row sum and 5 of 7 columns breaking the identity, as DOMAIN.md describes the seed.
    assert sum(r["rule"] == "carry_identity" for r in shanghai) >= 5


def test_xlsx_needs_an_output_file():
    done = run("extract", FILES["huaian_city_2024"], "-f", "xlsx")
    assert done.returncode == 2 and done.stderr.strip() == \
        "nianbao: extract -f xlsx needs -o FILE.xlsx (a workbook is not terminal text)"


def test_csv_with_bom_read_back_by_pandas(tmp_path):
    out = tmp_path / "values.csv"
    done = run("extract", FILES["huaian_city_2024"], FILES["seed_shanghai_2020"], "-f", "csv",
               "--bom", "-o", out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns[:5]) == ID
    for stem in ("huaian_city_2024", "seed_shanghai_2020"):
        mine = frame[frame["file"].str.endswith(FILES[stem].name)]
        got = dict(zip(mine["key"], mine["value"]))
        for key, value in truth(stem)["values"].items():
            if value is None:
                assert got[key] == "", (stem, key)
            else:  # the text as the store holds it: 3119, never 3119.0
                assert "." not in got[key] or isinstance(value, float), (stem, key, got[key])
                assert canon(got[key]) == canon(value), (stem, key)
    plain = run("extract", FILES["huaian_city_2024"], "-f", "csv")
    assert not plain.stdout.startswith("\ufeff")


def test_export_from_the_store(corpus_store, tmp_path):
    done = run("export", corpus_store, "--to", tmp_path / "csv", "-f", "csv", "--bom")
    assert done.returncode == 0, done.stderr
    raw = (tmp_path / "csv" / "values.csv").read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    values = pd.read_csv(tmp_path / "csv" / "values.csv", encoding="utf-8-sig", dtype=str)
    assert list(values.columns[:5]) == ID
    huaian = values[values["file"].str.endswith("huaian_city_2024.pdf")]
    got = dict(zip(huaian["key"], huaian["value"]))
    assert got["applications.new_received.total"] == "3119"  # not 3119.0
    assert got["active.fees.amount_10k_yuan"] == "96171.6"
    assert set(huaian["body"]) == {"淮安市人民政府"} and set(huaian["year"]) == {"2024"}
    findings = list(csv.DictReader(io.StringIO(
        (tmp_path / "csv" / "findings.csv").read_text("utf-8-sig"))))
    assert list(findings[0])[:5] == ID and all(f["file"] and f["format"] for f in findings)

    done = run("export", corpus_store, "--to", tmp_path / "x", "-f", "xlsx")
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(tmp_path / "x" / "results.xlsx")
    wide = book["reports"]
    keys = [c.value for c in wide[2]]
    rows = {Path(r[0]).stem: r for r in wide.iter_rows(min_row=3, values_only=True)}
    assert rows["huaian_city_2024"][keys.index("applications.new_received.total")] == 3119
    assert book["findings"].max_row - 1 == len(findings)


def test_history_csv_with_bom_writes_counts_as_integers(corpus_store, tmp_path):
    done = run("history", corpus_store, "--body", "三明市人民政府", "-f", "csv", "--bom",
               "--to", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "series.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    series = pd.read_csv(tmp_path / "series.csv", encoding="utf-8-sig", dtype=str)
    received = series[series["series"] == "applications_received"].set_index("year")["value"]
    assert received.to_dict() == {"2014": "75", "2019": "110", "2021": "162", "2023": "302"}
