"""The map stage alone: tables/read.py on constructed grids (rows aligned to the template by
their labels, a row's cells put into columns by its header), tables/runs.py on token streams.

The grids are Huaian 2024's tables as it prints them (labels, merged cells and values copied
from fixtures/corpus/huaian_city_2024.pdf); the streams are verbatim stretches of Pingtan
2024's one-line page and Sanming 2021's one-cell-per-line crawler text. Every value read is
compared with the report's truth file.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor.document import Cell, Grid, TextLine
from extractor.knowledge import Knowledge
from extractor.segment import TextRegion
from extractor.tables.locate import LocatedTable, grid_rows
from extractor.tables.model import ReadContext
from extractor.tables.read import PLACED_BY_ORDER, read_active, read_applications
from extractor.tables.read_review import read_review
from extractor.tables.runs import read_applications_stream, read_review_stream

from .conftest import CORPUS, truth

RESULTS = "三、本年度办理结果"
DENIED, UNAVAILABLE = "（三）不予公开", "（四）无法提供"
NOT_PROCESSED, OTHER = "（五）不予处理", "（六）其他处理"
# (label path, values) of each row of Huaian 2024's table 三, as printed.
TABLE3 = [
    (("一、本年新收政府信息公开申请数量",), "3001 53 0 0 61 4 3119"),
    (("二、上年结转政府信息公开申请数量",), "34 0 0 0 0 0 34"),
    ((RESULTS, "（一）予以公开"), "1288 21 0 0 50 3 1362"),
    ((RESULTS, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"), "447 7 0 0 0 0 454"),
    ((RESULTS, DENIED, "1.属于国家秘密"), "2 0 0 0 0 0 2"),
    ((RESULTS, DENIED, "2.其他法律行政法规禁止公开"), "30 1 0 0 0 0 31"),
    ((RESULTS, DENIED, "3.危及“三安全一稳定”"), "5 0 0 0 0 0 5"),
    ((RESULTS, DENIED, "4.保护第三方合法权益"), "6 0 0 0 0 0 6"),
    ((RESULTS, DENIED, "5.属于三类内部事务信息"), "7 1 0 0 0 0 8"),
    ((RESULTS, DENIED, "6.属于四类过程性信息"), "12 0 0 0 0 0 12"),
    ((RESULTS, DENIED, "7.属于行政执法案卷"), "9 0 0 0 0 0 9"),
    ((RESULTS, DENIED, "8.属于行政查询事项"), "105 0 0 0 0 0 105"),
    ((RESULTS, UNAVAILABLE, "1.本机关不掌握相关政府信息"), "746 12 0 0 10 1 769"),
    ((RESULTS, UNAVAILABLE, "2.没有现成信息需要另行制作"), "11 0 0 0 0 0 11"),
    ((RESULTS, UNAVAILABLE, "3.补正后申请内容仍不明确"), "1 0 0 0 0 0 1"),
    ((RESULTS, NOT_PROCESSED, "1.信访举报投诉类申请"), "56 6 0 0 0 0 62"),
    ((RESULTS, NOT_PROCESSED, "2.重复申请"), "25 0 0 0 0 0 25"),
    ((RESULTS, NOT_PROCESSED, "3.要求提供公开出版物"), "0 0 0 0 0 0 0"),
    ((RESULTS, NOT_PROCESSED, "4.无正当理由大量反复申请"), "0 0 0 0 0 0 0"),
    ((RESULTS, NOT_PROCESSED, "5.要求行政机关确认或重新出具已获取信息"), "1 0 0 0 0 0 1"),
    ((RESULTS, OTHER, "1、申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
     "67 3 0 0 1 0 71"),
    ((RESULTS, OTHER, "2、申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
     "6 0 0 0 0 0 6"),
    ((RESULTS, OTHER, "3、其他"), "108 2 0 0 0 0 110"),
    ((RESULTS, "（七）总计"), "2932 53 0 0 61 4 3050"),
    (("四、结转下年度继续办理",), "103 0 0 0 0 0 103"),
]
TABLE3_HEADER = [
    Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 0, 0, rowspan=3,
         colspan=3),
    Cell("申请人情况", 0, 3, colspan=7),
    Cell("自然人", 1, 3, rowspan=2), Cell("法人或其他组织", 1, 4, colspan=5),
    Cell("总计", 1, 9, rowspan=2),
    *[Cell(text, 2, 4 + i) for i, text in enumerate(["商业企业", "科研机构", "社会公益组织",
                                                      "法律服务机构", "其他"])],
]


@pytest.fixture(scope="module")
def knowledge():
    return Knowledge.default()


def table3(rows=TABLE3, header: bool = True) -> Grid:
    """The grid: three label columns (a group's cell merged down over its rows, a row without
    sub-levels merged across), then the seven applicant columns."""
    top = 3 if header else 0
    cells = list(TABLE3_HEADER) if header else []
    for level in range(3):
        r = 0
        while r < len(rows):
            path = rows[r][0]
            if len(path) <= level:
                r += 1
                continue
            end = r
            leaf = level == len(path) - 1
            group = path[:level + 1]
            while not leaf and end + 1 < len(rows) and rows[end + 1][0][:level + 1] == group:
                end += 1
            cells.append(Cell(path[level], top + r, level, rowspan=end - r + 1,
                              colspan=3 - level if leaf else 1))
            r = end + 1
    for r, (_, values) in enumerate(rows):
        cells += [Cell(v, top + r, 3 + c) for c, v in enumerate(values.split())]
    return Grid(cells, top + len(rows), 10, page=4, source="html")


def located(name: str, grid: Grid, knowledge) -> LocatedTable:
    return LocatedTable(name, rows=grid_rows(grid, knowledge.templates.is_value), grids=[grid])


def values(reading) -> dict[str, int | Decimal]:
    return {c.key: Decimal(c.cell.text) if "." in c.cell.text else int(c.cell.text)
            for c in reading.cells}


def expected(stem: str, table: str) -> dict:
    return {k: Decimal(str(v)) if isinstance(v, float) else v
            for k, v in truth(stem)["values"].items() if k.startswith(table + ".")}


def codes(reading) -> list[str]:
    return [code for code, _, _ in reading.warnings]


# ------------------------------------------------------------------ grids: tables/read.py

def test_table3_rows_by_label_and_cells_by_header_column(knowledge):
    reading = read_applications(located("applications", table3(), knowledge), knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "applications")
    assert reading.format == "2021"  # its （六） has three sub-rows
    assert (reading.rows_matched, reading.rows_expected) == (25, 25)
    assert {c.confidence for c in reading.cells} == {1.0} and reading.warnings == []


def without_label(label: str, blank: tuple[str, ...]) -> list:
    return [(blank, v) if path[-1] == label else (path, v) for path, v in TABLE3]


def test_a_row_whose_label_is_lost_is_placed_by_its_neighbours(knowledge):
    """二、上年结转… printed without its label: the rows before and after it leave one
    template row open, so that is where it goes, with less confidence."""
    rows = without_label("二、上年结转政府信息公开申请数量", ("",))
    reading = read_applications(located("applications", table3(rows), knowledge),
                                knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "applications")
    placed = {c.key: c.confidence for c in reading.cells if c.confidence < 1}
    assert placed == {k: PLACED_BY_ORDER for k in expected("huaian_city_2024", "applications")
                      if k.startswith("applications.carried_over.")}
    assert codes(reading) == ["row_inferred"]


@pytest.mark.xfail(strict=True, reason="a sub-row whose own label is blank takes its group's "
                   "merged label as its leaf (RowRecord.leaf), so align_rows does not treat it "
                   "as unlabelled: it is dropped (rows_missing) instead of placed by order")
def test_a_sub_row_whose_label_is_lost_is_placed_by_its_neighbours(knowledge):
    rows = without_label("2.其他法律行政法规禁止公开", (RESULTS, DENIED, ""))
    reading = read_applications(located("applications", table3(rows), knowledge),
                                knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "applications")
    assert codes(reading) == ["row_inferred"]


def test_a_garbled_label_is_matched_fuzzily(knowledge):
    """An OCR'd 属于国家秘蜜 (蜜 for 密) still names its row, with the score as confidence."""
    rows = without_label("1.属于国家秘密", (RESULTS, DENIED, "1.属于国家秘蜜"))
    reading = read_applications(located("applications", table3(rows), knowledge),
                                knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "applications")
    fuzzy = {c.confidence for c in reading.cells
             if c.key.startswith("applications.denied.state_secret.")}
    assert len(fuzzy) == 1 and 0.75 < fuzzy.pop() < 1
    assert reading.warnings == []


def test_without_a_header_cells_are_laid_out_in_the_templates_column_order(knowledge):
    reading = read_applications(located("applications", table3(header=False), knowledge),
                                knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "applications")
    assert {c.confidence for c in reading.cells} == {PLACED_BY_ORDER}
    assert codes(reading) == ["columns_inferred"]


def test_one_other_processing_row_is_the_2019_form(knowledge):
    """The 2019 form prints （六）其他处理 as one row (here Huaian's three sub-rows summed)."""
    rows = [r for r in TABLE3 if r[0][1:2] != (OTHER,)]
    at = next(i for i, r in enumerate(rows) if r[0][-1] == "（七）总计")
    rows.insert(at, ((RESULTS, OTHER), "181 5 0 0 1 0 187"))
    reading = read_applications(located("applications", table3(rows), knowledge),
                                knowledge.templates)
    assert reading.format == "2019"
    got = values(reading)
    assert [got[f"applications.other.total.{c}"] for c in knowledge.templates.app_column_order] == [
        181, 5, 0, 0, 1, 0, 187]
    assert not any(k.startswith("applications.other.overdue") for k in got)


FIELDS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
REVIEW_VALUES = "72 64 178 37 351 13 4 8 1 26 12 1 1 6 20"


def table4(header: bool = True) -> Grid:
    cells = []
    if header:
        cells += [Cell("行政复议", 0, 0, colspan=5), Cell("行政诉讼", 0, 5, colspan=10),
                  *[Cell(f, 1, i, rowspan=2) for i, f in enumerate(FIELDS)],
                  Cell("未经复议直接起诉", 1, 5, colspan=5), Cell("复议后起诉", 1, 10, colspan=5),
                  *[Cell(f, 2, 5 + i) for i, f in enumerate(FIELDS * 2)]]
    top = 3 if header else 0
    cells += [Cell(v, top, i) for i, v in enumerate(REVIEW_VALUES.split())]
    return Grid(cells, top + 1, 15, page=5, source="html")


def test_table4_one_row_split_into_three_blocks_of_five(knowledge):
    reading = read_review(located("review_litigation", table4(), knowledge), knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "review_litigation")
    assert reading.warnings == [] and {c.confidence for c in reading.cells} == {1.0}


def test_table4_without_its_header_is_placed_in_the_templates_order(knowledge):
    reading = read_review(located("review_litigation", table4(header=False), knowledge),
                          knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "review_litigation")
    assert codes(reading) == ["placed_by_order"]
    assert {c.confidence for c in reading.cells} == {PLACED_BY_ORDER}


def test_table2_blocks_headers_items_and_a_unit_from_the_header(knowledge):
    rows = [["第二十条第（一）项"], ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            ["规章", "1", "0", "11"], ["行政规范性文件", "8", "26", "66"],
            ["第二十条第（五）项"], ["信息内容", "本年处理决定数量"], ["行政许可", "447228"],
            ["第二十条第（六）项"], ["信息内容", "本年处理决定数量"], ["行政处罚", "3985758"],
            ["行政强制", "88283"],
            ["第二十条第（八）项"], ["信息内容", "本年收费金额（单位：万元）"],
            ["行政事业性收费", "96171.6"]]
    cells = [Cell(text, r, c, colspan=4 if len(row) == 1 else 1)
             for r, row in enumerate(rows) for c, text in enumerate(row)]
    reading = read_active(located("active", Grid(cells, len(rows), 4, page=3, source="html"),
                                  knowledge), knowledge.templates)
    assert values(reading) == expected("huaian_city_2024", "active")
    assert reading.format == "2021" and reading.warnings == []
    fees = next(c for c in reading.cells if c.key == "active.fees.amount_10k_yuan")
    assert (fees.kind, fees.printed_unit) == ("amount", "万元")


# ------------------------------------------------------------------ token streams: runs.py

def context(knowledge) -> ReadContext:
    return ReadContext(knowledge.templates, knowledge.identities, [], knowledge.claims)


def region_between(stem: str, start: str, end: str, *, per_line: bool) -> tuple[TextRegion, str]:
    """The source's text from heading `start` to heading `end`, as the lines a loader gives:
    one line, or one per line (CRLF dropped), each with its span in the source."""
    source = (CORPUS / f"{stem}.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    first = source.index(start) + len(start)
    stretch = source[first:source.index(end, first)]
    pieces, parts, offset, at = [], [], 0, first
    for text in stretch.split("\n") if per_line else [stretch]:
        pieces.append((offset, TextLine(text, page=1, span=(at, at + len(text))), 0))
        parts.append(text)
        offset += len(text) + 1
        at += len(text) + 1
    return TextRegion("\n".join(parts), pieces), source


def test_digit_runs_of_a_one_line_page_split_by_the_arithmetic(knowledge):
    """Pingtan 2024: every row's cells run together ("21710000218" is 217 1 0 0 0 0 218)."""
    region, source = region_between("pingtan_2024_page", "三、收到和处理政府信息公开申请情况",
                                    "四、政府信息公开行政复议", per_line=False)
    reading = read_applications_stream(region, context(knowledge))
    assert values(reading) == expected("pingtan_2024_page", "applications")
    assert reading.format == "2021" and reading.strategy == "token-stream"
    total = next(c for c in reading.cells if c.key == "applications.new_received.total")
    assert source[slice(*total.cell.span)] == "218"


def test_table4_digit_run_split_into_blocks_that_each_add_up(knowledge):
    region, _ = region_between("pingtan_2024_page", "四、政府信息公开行政复议、行政诉讼情况",
                               "五、存在的主要问题", per_line=False)
    reading = read_review_stream(region, context(knowledge))
    assert values(reading) == expected("pingtan_2024_page", "review_litigation")


def test_one_cell_per_line_and_numbers_broken_over_lines(knowledge):
    """Sanming 2021: a cell (or an HTML span) per line, 162 printed as "1" / "62"."""
    region, source = region_between("sanming_city_2021", "三、收到和处理政府信息公开申请情况",
                                    "四、政府信息公开行政复议", per_line=True)
    reading = read_applications_stream(region, context(knowledge))
    assert values(reading) == expected("sanming_city_2021", "applications")
    joined = [c for c in reading.cells if "\n" in source[slice(*c.cell.span)]]
    assert joined and all(c.confidence < 1 for c in joined)
