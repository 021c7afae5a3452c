"""Legacy reports (2008–2018): the 统计表 in each layout, whole reports against their truth, and
which documents are legacy at all (extractor/legacy/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor import extract
from extractor.knowledge import Knowledge
from extractor.legacy import read_legacy
from extractor.load import load
from extractor.schema import RELIABLE

from .conftest import CORPUS, FIXTURES, canon

LEGACY = CORPUS / "legacy"
REPORTS = sorted(p.name for p in LEGACY.glob("*.txt"))


def legacy_truth(name: str) -> dict:
    return json.loads((LEGACY / "truth" / f"{Path(name).stem}.json").read_text(encoding="utf-8"))


def excerpt(name: str, start: str, end: str | None = None) -> str:
    """The text of a corpus legacy report from `start` up to (not including) `end`."""
    text = (LEGACY / name).read_bytes().decode("utf-8")  # CRLF kept
    lo = text.index(start)
    return text[lo: text.index(end, lo) if end else len(text)]


def read(tmp_path: Path, text: str, name: str = "excerpt.txt"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return extract(path)


def values(report) -> dict:
    return {v.key: v.value for v in report.values}


# -- every legacy report of the corpus, whole --------------------------------------------------

@pytest.mark.parametrize("name", REPORTS)
def test_every_legacy_truth_value_exact(name):
    truth = legacy_truth(name)
    report = extract(LEGACY / name)
    assert report.meta.format == "legacy" and report.meta.year == truth["year"]
    got = values(report)
    unsure = set(truth["uncertain"])
    wrong = {k: (v, got.get(k, "missing")) for k, v in truth["values"].items()
             if k not in unsure and (canon(got.get(k)) != canon(v) or (k not in got and v is not None))}
    assert wrong == {}
    # A cell whose column the dump cannot prove is never confident.
    for key in unsure:
        found = report.get(key)
        assert found is None or found.confidence < RELIABLE, key


@pytest.mark.parametrize("name", REPORTS)
def test_legacy_values_point_at_their_text(name):
    report = extract(LEGACY / name)
    source = (LEGACY / name).read_bytes().decode("utf-8")
    for v in report.values:
        if v.span:
            assert source[v.span[0]:v.span[1]] == v.raw, v.key
    assert all(v.page == 1 for v in report.values if v.span)


def test_figures_found_only_in_the_prose_say_so():
    report = extract(LEGACY / "sanming_city_2014.txt")
    fax = report.get("legacy.applications.fax")  # "传真提交3条": no such row in the 统计表
    assert (fax.value, fax.table, fax.raw) == (3, "prose", "3条")
    assert fax.note.startswith("stated only in the prose") and "传真提交3条" in fax.note
    assert fax.confidence < RELIABLE  # read from its wording, not a labelled cell: flagged
    assert report.get("legacy.applications.in_person").table == "legacy"
    visits = report.get("legacy.platform.column_visits")
    assert (visits.value, visits.raw) == (2646000, "264.6万人次")


# -- the layouts of the 统计表 -------------------------------------------------------------------

def test_space_separated_cells(tmp_path):
    table = excerpt("pingtan_shiyanqu_2013.txt", "平潭综合实验区政府信息公开情况统计表")
    got = read(tmp_path, table)
    v = values(got)
    assert (v["legacy.active.total"], v["legacy.active.total.cumulative"]) == (72804, 76424)
    assert v["legacy.responses.denied"] == 0  # 3、否决公开答复数
    assert got.tables[0].strategy == "cells" and got.tables[0].rows_matched == 16
    # "2、政府公报公开 条 0": one value for two columns, which one cannot be proven.
    gazette = got.get("legacy.active.gazette")
    assert gazette.value == 0 and gazette.confidence < RELIABLE
    assert got.get("legacy.active.gazette.cumulative").value is None
    assert "legacy.active.gazette" in [k for w in got.warnings if w.code == "column_unproven"
                                       for k in w.keys]


def test_cells_run_together_are_split_by_the_prose(tmp_path):
    prose = excerpt("pingtan_shiyanqu_2016.txt", "（一）主动公开政府信息的数量", "其中，")
    table = excerpt("pingtan_shiyanqu_2016.txt", "七、平潭综合实验区政府信息公开情况统计表")
    got = read(tmp_path, prose + "\n" + table)
    total = got.get("legacy.active.total")
    assert (total.value, total.raw) == (3460, "3460")  # "346085376" = 3460 | 85376
    assert got.value("legacy.active.total.cumulative") == 85376
    assert total.confidence >= RELIABLE and "3460|85376" in total.note
    # 网站 ≤ 主动 (L1) and 历年累计 ≥ 本年度 (L3) split the website row the same way.
    assert (got.value("legacy.active.website"), got.value("legacy.active.website.cumulative")) \
        == (3460, 85376)
    # "3460853762、政府公报公开数": the 2 is the next row's numbering.
    assert (got.value("legacy.active.gazette"), got.value("legacy.active.gazette.cumulative")) \
        == (0, 0)
    assert got.tables[0].strategy == "run-together"


def test_cells_run_together_without_the_prose_are_never_a_confident_guess(tmp_path):
    table = excerpt("pingtan_shiyanqu_2016.txt", "七、平潭综合实验区政府信息公开情况统计表")
    got = read(tmp_path, table)
    total = got.get("legacy.active.total")
    assert total.confidence < RELIABLE
    assert any(w.code == "ambiguous_digits" and "legacy.active.total" in w.keys
               for w in got.warnings)
    assert got.value("legacy.applications.received") == 0  # "00" splits one way only


def test_one_cell_per_line_with_empty_cells_dropped(tmp_path):
    table = excerpt("putian_tongjiju_2012.txt", "（二）附表", "附件下载")
    got = read(tmp_path, table)
    v = values(got)
    assert (v["legacy.responses.granted"], v["legacy.responses.granted.cumulative"]) == (1, 9)
    # "4.其他类型答复数 条 1": 1 + 0 + 1 + 1 = 3 this year, but 9 + 6 + 1 = 16 in 历年累计
    # as well: the table alone cannot tell which column the 1 is in.
    other = got.get("legacy.responses.other")
    assert other.value == 1 and other.confidence < RELIABLE
    assert got.value("legacy.responses.other.cumulative") is None
    assert got.get("legacy.applications.letter").confidence < RELIABLE  # a lone 0


def test_a_dropped_cell_stated_in_the_prose_is_taken_from_it():
    report = extract(LEGACY / "putian_tongjiju_2012.txt")
    filled = report.get("legacy.responses.other.cumulative")  # "其他类型答复1条" (历年)
    assert filled.value == 1 and filled.table == "legacy"
    assert filled.note.startswith("the 统计表 cell is not in the text; stated in the prose")
    # With the running total stated, only 本年度 is left for the printed 1: now it is proven.
    other = report.get("legacy.responses.other")
    assert other.value == 1 and other.confidence >= RELIABLE


def test_rows_in_any_order_and_crlf(tmp_path):
    table = excerpt("sanming_city_2014.txt", "指标名称", "三明市政府信息公开工作领导小组")
    assert "\r\n" in table
    got = read(tmp_path, table)
    v = values(got)
    # 2014 prints 接受行政申诉、举报数 before 行政复议数.
    assert v["legacy.review_litigation.complaints.cumulative"] == 1
    assert v["legacy.review_litigation.review.cumulative"] == 0
    assert (v["legacy.responses.other"], v["legacy.responses.other.cumulative"]) == (5, 50)


def test_renamed_row_is_read_with_a_warning(tmp_path):
    # The Pingtan 2014 table with 受理依申请公开信息总数 renamed 受理依申请公开信息数量.
    table = excerpt("pingtan_shiyanqu_2014.txt", "六、平潭综合实验区政府信息公开情况统计表")
    got = read(tmp_path, table.replace("受理依申请公开信息总数", "受理依申请公开信息数量"))
    received = got.get("legacy.applications.received")
    assert received.value == 1 and received.confidence < RELIABLE
    assert any(w.code == "row_inferred" for w in got.warnings)


def test_a_grid_keeps_its_blank_cells(tmp_path):
    rows = [("指标名称", "计量单位", "2012年度", "历年累计"), ("主动公开信息数", "条", "316", "2302"),
            ("2.政府公报公开", "条", "", "0"), ("受理依申请公开信息总数", "条", "3", "16"),
            ("其中:1.当面申请数", "条", "0", ""), ("对申请的答复总数", "条", "3", "16")]
    html = ("<html><body><p>莆田市统计局2012年政府信息公开工作年度报告</p><table>"
            + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
            + "</table></body></html>")
    got = read(tmp_path, html, "grid.html")
    gazette, cumulative = got.get("legacy.active.gazette"), got.get("legacy.active.gazette.cumulative")
    assert (gazette.value, gazette.null_reason, cumulative.value) == (None, "blank", 0)
    assert gazette.confidence == cumulative.confidence == 1.0  # a printed blank is certain
    assert got.value("legacy.applications.in_person") == 0


def test_a_partly_unreadable_table_gives_the_rest_with_warnings(tmp_path):
    table = excerpt("pingtan_shiyanqu_2013.txt", "平潭综合实验区政府信息公开情况统计表")
    got = read(tmp_path, table.replace("条 72804 76424 其中", "条 728O4 76424 其中"))
    total = got.get("legacy.active.total")
    assert (total.value, total.null_reason, total.confidence) == (None, "unreadable", 0.0)
    assert total.raw == "728O4 76424"
    assert any(w.code == "unreadable" and w.keys == ["legacy.active.total"] for w in got.warnings)
    assert got.value("legacy.active.website") == 72804


# -- legacy or not -------------------------------------------------------------------------------

# The shared corpus, when this checkout sits beside it, has modern reports the fixtures lack.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MODERN = sorted(p for folder in (CORPUS, FIXTURES / "generated", FIXTURES, SHARED)
                if folder.is_dir() for p in folder.iterdir()
                if p.is_file() and p.suffix in {".pdf", ".txt", ".md", ".html", ".docx"})
LEGACY_FILES = [LEGACY / name for name in REPORTS] + sorted((SHARED / "legacy").glob("*.txt"))


@pytest.mark.parametrize("path", MODERN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_modern_reports_are_never_read_as_legacy(path):
    assert read_legacy(load(path, ocr="never"), Knowledge.default().legacy) is None


@pytest.mark.parametrize("path", LEGACY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_legacy_reports_are_never_read_as_modern(path):
    report = extract(path)
    assert report.meta.format == "legacy"
    assert {v.table for v in report.values} <= {"legacy", "prose"}


def test_a_legacy_report_without_a_table_is_read_from_its_prose(tmp_path):
    text = excerpt("pingtan_shiyanqu_2014.txt", "标题", "六、平潭综合实验区政府信息公开情况统计表")
    got = read(tmp_path, text)
    assert got.meta.format == "legacy" and got.tables[0].found is False
    assert any(w.code == "table_missing" for w in got.warnings)
    assert values(got)["legacy.active.total"] == 2543
    assert {v.table for v in got.values} == {"prose"}


def test_a_row_variant_is_data(tmp_path):
    """A renamed row becomes a listed one with a pattern file of one's own."""
    patterns = tmp_path / "patterns"
    patterns.mkdir()
    (patterns / "legacy.yaml").write_text(
        "table:\n  rows:\n    applications.received: [受理依申请公开信息数量]\n", encoding="utf-8")
    table = excerpt("pingtan_shiyanqu_2014.txt", "六、平潭综合实验区政府信息公开情况统计表")
    path = tmp_path / "renamed.txt"
    path.write_text(table.replace("受理依申请公开信息总数", "受理依申请公开信息数量"), encoding="utf-8")
    received = extract(path, knowledge=Knowledge.load((str(patterns),))).get("legacy.applications.received")
    assert (received.value, received.confidence) == (1, 1.0)


def test_a_mistake_in_legacy_patterns_is_one_clear_error(tmp_path):
    from extractor.errors import PatternsError

    patterns = tmp_path / "patterns"
    patterns.mkdir()
    (patterns / "legacy.yaml").write_text(
        "prose:\n  figures:\n    - key: admin.units\n      phrasings:\n        - before: ['工作机构(']\n",
        encoding="utf-8")
    with pytest.raises(PatternsError, match=r"^invalid regular expression in patterns/legacy\.yaml"):
        Knowledge.load((str(patterns),))
