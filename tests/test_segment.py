"""segment.py alone: headings found (whole lines, broken over lines, inside run-together text),
a preface or a table of contents that names them skipped, and page furniture removed.

The documents are small, built from verbatim lines of the corpus (fixtures/corpus): Sanming
2019/2021/2023 crawler text, Shanghai 2020's contents list, Pingtan public security 2021's
one-line page, and Huaian 2024's PDF lines with their positions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.document import Document, Page, TextLine
from extractor.knowledge import Knowledge
from extractor.load.text import load_text
from extractor.segment import Segmentation, section_text, segment

from .conftest import CORPUS

KEYS = ["overview", "active", "applications", "review_litigation", "problems", "other"]


@pytest.fixture(scope="module")
def headings():
    return Knowledge.default().headings


def dump(*lines: str) -> Document:
    """A text dump, one line per line (CRLF as the crawler kept it)."""
    return load_text(Path("dump.txt"), "\r\n".join(lines), "0" * 64)


def found(seg: Segmentation) -> list[tuple[int, str, str]]:
    return [(s.number, s.key, s.heading) for s in seg.sections]


def line_of(seg: Segmentation, position: tuple[int, int]) -> str:
    return seg.flow[position[0]][1].text


# Sanming 2021's preface names every section in prose, the titles on lines of their own.
PREFACE = ["根据新修订的《中华人民共和国政府信息公开条例》规定，现公布", "三明", "市人民政府20", "21",
           "年政府信息公开工作年度报告。本报告由总体情况", "、", "主动公开政府信息情况", "、",
           "收到和处理政府信息公开申请情况", "、", "政府信息公开行政复议", "和", "行政诉讼情况", "、",
           "存在的主要问题及改进情况", "、", "其他需要报告的事项六部分组成，内容涵盖"]
BODY = "市政务公开领导小组协调作用有待进一步提升；基层政府政务公开标准化规范化工作有待进一步深化；"


def test_headings_broken_over_lines_and_a_preface_that_names_them(headings):
    document = dump(*PREFACE,
                    "一、", "总体情况",  # Sanming 2019: numbering and title on two lines
                    "政府信息公开是三明市政府建设“服务政府、开明政府、法治政府、廉洁政府”的一项重要工作。",
                    "二、主动公开政府信息情况", BODY,
                    "三、收到和处理政府信息公开申请情况", BODY,
                    "四、政府信息公开行政复议、行政诉讼情况", BODY,
                    "五、存在的主要问题及改进情况", BODY,
                    "六、", "其他需要报告的事项", "无。本年度未收取信息处理费。")  # Sanming 2023
    seg = segment(document, headings)
    assert found(seg) == [(1, "overview", "一、总体情况"), (2, "active", "二、主动公开政府信息情况"),
                          (3, "applications", "三、收到和处理政府信息公开申请情况"),
                          (4, "review_litigation", "四、政府信息公开行政复议、行政诉讼情况"),
                          (5, "problems", "五、存在的主要问题及改进情况"),
                          (6, "other", "六、其他需要报告的事项")]
    # Every section starts after the preface; a broken heading's body starts after its pieces.
    assert all(s.start[0] >= len(PREFACE) for s in seg.sections)
    last = seg.sections[-1]
    assert line_of(seg, last.start) == "六、" and last.body_start[0] == last.start[0] + 2
    region = section_text(seg, 6)
    assert region.text == "无。本年度未收取信息处理费。"
    page, span, bbox = region.where(0, 2)
    assert page == 1 and bbox is None and document.text[span[0]:span[1]] == "无。"


def test_inline_headings_in_one_run_together_line(headings):
    """Pingtan public security 2021: the whole report on one line, headings inside it."""
    text = (CORPUS / "pingtan_gonganju_2021.txt").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("根据《中华人民共和国政府信息公开条例》"))
    seg = segment(dump(line), headings)
    assert [s.key for s in seg.sections] == KEYS
    assert [s.heading for s in seg.sections][:3] == [
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"]
    assert {s.start[0] for s in seg.sections} == {0}  # all in the one line
    assert [line[s.start[1]:s.body_start[1]] for s in seg.sections] == [
        s.heading for s in seg.sections]
    assert section_text(seg, 1).text.startswith("2021年，我局政府信息公开工作在区管委会办公室")


def test_a_contents_entry_is_not_the_section(headings):
    """Shanghai 2020's contents list ends with "六、其他需要报告的事项" a few lines before the
    report starts; the real section 六 is at the end."""
    contents = ["总体情况", "", "- 一、主动公开方面", " - 二、依申请公开方面", " - 三、政府信息管理方面",
                " - 四、平台建设方面", " - 五、监督保障方面", " - 六、其他需要报告的事项", "-", "", "2020",
                "", "总体情况", "",
                "2020年,上海市坚持以习近平新时代中国特色社会主义思想为指导,全面贯彻落实党的十九大"]
    document = dump(*contents,
                    "02. 主动公开政府信息情况", BODY,
                    "03. 收到和处理政府信息公开申请情况", BODY,
                    "04. 政府信息公开行政复议、行政诉讼情况", BODY,
                    "05. 政府信息公开工作存在的主要问题及改进情况", BODY,
                    "六、其他需要报告的事项", "2020年,本市各级行政机关政府信息公开工作未收取任何费用。")
    seg = segment(document, headings)
    assert [s.key for s in seg.sections] == KEYS
    assert line_of(seg, seg.sections[-1].start) == "六、其他需要报告的事项"
    assert seg.sections[-1].start[0] == len(seg.flow) - 2
    assert seg.sections[1].heading == "02. 主动公开政府信息情况"


def test_a_table_of_contents_of_whole_headings_is_skipped(headings):
    titles = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
              "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
              "六、其他需要报告的事项"]
    document = dump("目录", *titles, *[x for title in titles for x in (title, BODY)])
    seg = segment(document, headings)
    assert [s.heading for s in seg.sections] == titles
    assert [s.start[0] for s in seg.sections] == [7, 9, 11, 13, 15, 17]


def pdf(pages: list[list[tuple[str, tuple[float, float, float, float]]]]) -> Document:
    return Document(path="report.pdf", kind="pdf", sha256="0" * 64, pages=[
        Page(number=n, width=595.0, height=842.0,
             blocks=[TextLine(text, page=n, bbox=bbox) for text, bbox in lines])
        for n, lines in enumerate(pages, start=5)])


HEADER = ("淮安市人民政府2024年政府信息公开工作年度报告", (200.0, 30.0, 400.0, 45.0))


def test_page_furniture_in_a_pdfs_margins(headings):
    """Huaian 2024's pages 5 and 6 (their lines and positions), with a running header added:
    page numbers ("-5-"), a header repeated in the top margin of several pages, and a bare
    number alone in the foot margin are furniture; numbers side by side at the foot of a page
    are a table row printed below the last ruling."""
    document = pdf([
        [HEADER,
         ("四、政府信息公开行政复议、行政诉讼情况", (98.3, 484.1, 403.3, 500.3)),
         ("12", (120.0, 790.0, 132.0, 804.0)), ("0", (300.0, 790.0, 306.0, 804.0)),
         ("五、存在的主要问题及改进情况", (106.3, 728.5, 330.2, 744.7)),
         ("对照上级新要求和公众新期待，还有一些需要加强和改进的", (106.3, 756.0, 518.5, 773.9)),
         ("-5-", (496.9, 789.0, 518.5, 806.5))],
        [HEADER,
         ("地方。主要表现在：一是政策解读质量仍需提升，个别单位政策", (74.3, 88.0, 518.5, 105.9)),
         ("六、其他需要报告的事项", (106.3, 368.4, 282.2, 384.6)),
         ("2024年，市政府严格落实《政府信息公开信息处理费管理", (112.2, 396.0, 518.5, 413.9)),
         ("办法》，全年收取政府信息公开信息处理费3940元。", (80.3, 424.0, 456.1, 441.9)),
         ("6", (74.3, 789.0, 80.0, 806.5))],
    ])
    seg = segment(document, headings)
    texts = [block.text for _, block in seg.flow]
    assert sorted(texts[i] for i in seg.furniture) == sorted([HEADER[0], HEADER[0], "-5-", "6"])
    assert [(s.number, s.page_start, s.page_end) for s in seg.sections] == [
        (4, 5, 5), (5, 5, 6), (6, 6, 6)]
    region = section_text(seg, 6)
    assert region.text == ("2024年，市政府严格落实《政府信息公开信息处理费管理\n"
                           "办法》，全年收取政府信息公开信息处理费3940元。")
    page, span, bbox = region.where(region.text.index("3940"), region.text.index("元。"))
    assert (page, span, bbox) == (6, None, (80.3, 424.0, 456.1, 441.9))


def test_running_headers_of_a_text_dump_but_not_repeated_table_labels(headings):
    """Shanghai 2020's running header comes back page after page; Sanming 2021's table 四
    prints 结果维持 under each block, a few lines apart: that is data."""
    running = "2020年上海市政府信息公开工作年度报告"
    page_of_text = [BODY] * 8  # well over a page's worth of characters between headers
    document = dump(running, "一、总体情况", *page_of_text, running, *page_of_text,
                    "四、政府信息公开行政复议、行政诉讼情况", "行政复议", "行政诉讼", "结果维持", "结果",
                    "纠正", "未经复议直接起诉", "复议后起诉", "结果维持", "结果", "纠正", "结果维持",
                    *page_of_text, running, "六、其他需要报告的事项", "无。")
    seg = segment(document, headings)
    texts = [block.text for _, block in seg.flow]
    assert [texts[i] for i in sorted(seg.furniture)] == [running] * 3
    assert [s.number for s in seg.sections] == [1, 4, 6]
