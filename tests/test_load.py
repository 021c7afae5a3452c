"""Loaders: chosen by content, each producing the same Document shape."""

import shutil

import pytest

from extractor.document import Grid
from extractor.errors import UnsupportedInput
from extractor.load import load, sniff
from extractor.pipeline import extract

from .conftest import CORPUS


def grids(document) -> list[Grid]:
    return [g for page in document.pages for g in page.grids]


def cell_at(grid: Grid, row: int, col: int):
    return next(c for c in grid.covering(row) if c.col <= col < c.col + c.colspan)


def test_kind_is_sniffed_from_content_not_extension(tmp_path):
    for name, kind in [("huaian_city_2024.pdf", "pdf"), ("shuyang_county_fgj_2023.html", "html"),
                       ("seed_shanghai_2020.txt", "text"), ("template_2021_blank.docx", "docx")]:
        renamed = tmp_path / (name + ".dat")
        shutil.copy(CORPUS / name, renamed)
        assert load(renamed).kind == kind
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    with pytest.raises(UnsupportedInput):
        sniff(bytes(range(256)) * 4)


def test_pdf_ruled_grids_with_merged_cells():
    document = load(CORPUS / "huaian_city_2024.pdf")
    page4 = document.pages[3]
    table3 = page4.grids[-1]
    assert table3.source == "ruling"
    vertical = cell_at(table3, 5, 0)
    assert vertical.text == "三、本年度办理结果" and vertical.rowspan == 11
    assert cell_at(table3, 1, 4).text == "法人或其他组织" and cell_at(table3, 1, 4).colspan == 5
    # Wrapped header cells are joined without a space: "商业企/业" → "商业企业".
    assert [c.text for c in table3.rows()[2]] == ["商业企业", "科研机构", "社会公益组织",
                                                  "法律服务机构", "其他"]
    # Words inside tables are not repeated as text lines.
    assert not any("3119" in line.text for line in page4.lines)


def test_html_rowspan_colspan_and_split_spans():
    document = load(CORPUS / "shuyang_county_fgj_2023.html")
    table3 = next(g for g in grids(document) if g.n_rows > 20)
    results = cell_at(table3, 5, 0)
    assert results.text == "三、本年度办理结果" and results.rowspan == 22
    assert cell_at(table3, 0, 0).colspan == 3 and cell_at(table3, 0, 0).rowspan == 3
    assert document.text[results.span[0]:results.span[1]] == results.text
    assert "沭阳县发展和改革局2023年政府信息公开年度报告" in document.title


def test_utf16_html_with_a_bom(tmp_path):
    """Windows tools save "Unicode" files as UTF-16 with a BOM; the markup must still be seen."""
    source = (CORPUS / "shuyang_county_fgj_2023.html").read_text(encoding="utf-8")
    utf16 = tmp_path / "page.html"
    utf16.write_bytes(source.encode("utf-16"))
    assert sniff(utf16.read_bytes()) == "html"
    assert extract(utf16).as_dict() == extract(CORPUS / "shuyang_county_fgj_2023.html").as_dict()


def test_html_gbk_encoding(tmp_path):
    source = (CORPUS / "shuyang_county_fgj_2023.html").read_text(encoding="utf-8")
    gbk = tmp_path / "page.html"
    gbk.write_bytes(source.replace('charset="utf-8"', 'charset="gbk"')
                    .replace("charset=utf-8", "charset=gbk").encode("gb18030"))
    assert extract(gbk).as_dict() == extract(CORPUS / "shuyang_county_fgj_2023.html").as_dict()


def test_text_tab_and_markdown_grids():
    seed = load(CORPUS / "seed_shanghai_2020.txt")
    tsv = grids(seed)
    assert {g.source for g in tsv} == {"tsv"} and not any(g.columns_reliable for g in tsv)
    md = load(CORPUS / "shuyang_county_2025_ocr.txt")
    pipes = grids(md)
    assert pipes and {g.source for g in pipes} == {"markdown"}
    first = pipes[0].rows()
    assert [c.text for c in first[0]] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    # The separator row |---| is not a row.
    assert [c.text for c in first[1]] == ["规章", "0", "0", "0"]


def test_form_feeds_are_pages(tmp_path):
    source = (CORPUS / "seed_shanghai_2020.txt").read_text(encoding="utf-8")
    marker = "03. 收到和处理政府信息公开申请情况"
    paged = tmp_path / "paged.txt"
    paged.write_text(source.replace(marker, "\f" + marker), encoding="utf-8")
    report = extract(paged)
    assert report.meta.page_count == 2
    assert report.get("applications.new_received.total").page == 2
    assert report.get("active.regulations.new_made").page == 1


def test_docx_template_merged_cells():
    document = load(CORPUS / "template_2021_blank.docx")
    table2, table3, table4 = grids(document)
    assert cell_at(table3, 0, 0).rowspan == 3 and cell_at(table3, 0, 0).colspan == 3
    assert cell_at(table3, 3, 0).text.startswith("一、本年新收")
    results = cell_at(table3, 5, 0)
    assert results.text == "三、本年度办理结果" and results.rowspan == 22
    assert cell_at(table4, 0, 5).text == "行政诉讼" and cell_at(table4, 0, 5).colspan == 10
    assert cell_at(table2, 0, 0).colspan == 4


def test_docx_tab_and_line_break_separate_words(tmp_path):
    import docx

    made = docx.Document()
    run = made.add_paragraph().add_run("主动公开政府信息")
    run.add_tab()
    run.add_text("12条")
    run.add_break()
    run.add_text("政策解读")
    path = tmp_path / "tabs.docx"
    made.save(path)
    texts = [b.text for page in load(path).pages for b in page.blocks]
    assert "主动公开政府信息 12条 政策解读" in texts


def sideways_copy(tmp_path, turn: int):
    """The Huai'an report with every page's content turned a quarter on a landscape sheet, as
    a landscape table printed onto portrait paper and scanned back lies."""
    import pymupdf

    source = pymupdf.open(CORPUS / "huaian_city_2024.pdf")
    out = pymupdf.open()
    for page in source:
        sheet = out.new_page(width=page.rect.height, height=page.rect.width)
        sheet.show_pdf_page(sheet.rect, source, page.number, rotate=turn)
    path = tmp_path / f"sideways_{turn}.pdf"
    out.save(path)
    return path


@pytest.mark.parametrize("turn", [90, 270])
def test_text_set_sideways_is_read_upright_and_located_where_it_lies(tmp_path, turn):
    import pymupdf

    upright = extract(CORPUS / "huaian_city_2024.pdf").as_dict()
    path = sideways_copy(tmp_path, turn)
    report = extract(path)
    assert report.as_dict() == upright and len(upright) == 200
    assert report.meta.agency == "淮安市人民政府" and report.meta.year == 2024
    total = report.get("applications.new_received.total")
    page = pymupdf.open(path)[total.page - 1]
    assert page.get_textbox(pymupdf.Rect(total.bbox) + (-1, -1, 1, 1)).strip() == "3119"


def test_rotated_page_reads_like_the_upright_one(tmp_path):
    import pymupdf

    pdf = pymupdf.open(CORPUS / "huaian_city_2024.pdf")
    for page in pdf:
        page.set_rotation(90)
    pdf.save(tmp_path / "rotated.pdf")
    upright = extract(CORPUS / "huaian_city_2024.pdf").as_dict()
    assert extract(tmp_path / "rotated.pdf").as_dict() == upright


def test_html_comments_outside_the_page_are_ignored(tmp_path):
    """Saved pages start with "<!-- saved from url=… -->"; CMSs append build stamps after </html>."""
    source = (CORPUS / "shuyang_county_fgj_2023.html").read_bytes()
    saved = tmp_path / "saved.html"
    saved.write_bytes(b"<!-- saved from url=(0014)about:internet -->\n" + source
                      + b"\n<!-- published 2024-01-31 -->\n")
    assert extract(saved).as_dict() == extract(CORPUS / "shuyang_county_fgj_2023.html").as_dict()


def test_xhtml_with_an_xml_declaration(tmp_path):
    source = (CORPUS / "shuyang_county_fgj_2023.html").read_bytes()
    xhtml = tmp_path / "page.xhtml"
    xhtml.write_bytes(b'<?xml version="1.0" encoding="utf-8"?>\n' + source)
    assert extract(xhtml).as_dict() == extract(CORPUS / "shuyang_county_fgj_2023.html").as_dict()
