"""Locating the standard tables: classification, stitching across pages, label re-joining."""

from extractor.knowledge import Knowledge
from extractor.load import load
from extractor.segment import segment
from extractor.tables.locate import locate

from .conftest import CORPUS


def located(name):
    document = load(CORPUS / name)
    return locate(segment(document, Knowledge.default().headings), Knowledge.default().templates)


def test_table_split_across_pages_is_stitched_and_cut_label_rejoined():
    tables = located("huaian_city_2024.pdf")
    apps = tables["applications"]
    assert len(apps.grids) == 1 and apps.pages == [4, 5]
    grid = apps.grids[0]
    cut = next(c for c in grid.cells if c.text.startswith("（四）"))
    assert cut.text == "（四）无法提供" and cut.pieces == ("（四）无", "法提供")
    assert cut.rowspan == 3
    # The row after the break carries the group label and the vertical 三、本年度办理结果.
    row = next(r for r in apps.rows if r.leaf.startswith("2.没有现成信息"))
    assert row.context == ["三、本年度办理结果", "（四）无法提供"]
    assert [c.text for c in row.values] == ["11", "0", "0", "0", "0", "0", "11"]
    assert {c.page for c in row.values} == {5}


def test_distractor_table_is_not_a_standard_table():
    tables = located("seed_shanghai_2020.txt")
    all_text = " ".join(c.text for t in tables.values() for g in t.grids for c in g.cells)
    assert "缴费基数" not in all_text
    # Table 3 is printed as two blocks with different headers; both are found.
    assert len(tables["applications"].grids) == 2
    assert len(tables["active"].grids) == 5


def test_table_four_single_row_of_fifteen():
    tables = located("huaian_city_2024.pdf")
    rows = [r for r in tables["review_litigation"].rows if r.has_values]
    assert len(rows) == 1 and len(rows[0].values) == 15


def test_extraction_leaves_the_document_as_loaded():
    """Stitching a table split across pages works on copies: the same Document extracts the
    same way twice (a notebook or a batch may hold it)."""
    from extractor.pipeline import extract_document

    document = load(CORPUS / "huaian_city_2024.pdf")
    first, second = extract_document(document), extract_document(document)
    assert len(first.values) == 200
    assert [(v.key, v.value, v.bbox) for v in first.values] == \
        [(v.key, v.value, v.bbox) for v in second.values]
