"""tables/stream.py: runs of numbers and labels found in a table's text."""

from extractor.document import Cell, Grid
from extractor.tables.digits import HARD, NONE, SOFT
from extractor.tables.locate import LocatedTable, grid_rows
from extractor.tables.stream import BLANK_MARK, find, run_at, serialized


def test_one_cell_per_line_keeps_line_breaks_as_soft_gaps():
    text = "一、本年新收\r\n160\r\n0\r\n1\r\n62\r\n二、上年结转"
    run = run_at(text, text.index("160"), text.index("二"))
    assert run.text == "1600162"
    assert run.digits.gaps == (HARD, NONE, NONE, SOFT, SOFT, SOFT, NONE)
    assert text[slice(*run.piece(4, 7))] == "1\r\n62"


def test_spaces_and_marks_are_hard_gaps_and_marks_print_back():
    text = "10 0—01"
    run = run_at(text, 0, len(text))
    assert run.text == "100001"
    assert run.digits.gaps == (HARD, NONE, HARD, HARD, HARD, NONE)
    assert run.printed(3, 4) == "—"


def test_count_units_separate_cells():
    run = run_at("1件0件12件", 0, 8, units=("件",))
    assert run.text == "1012" and run.digits.gaps == (HARD, HARD, HARD, NONE)


def test_the_next_rows_numbering_is_not_a_value():
    """Pingtan public security 2021: "…0 0 002.其他法律…" is seven zeros, then row 2."""
    text = "0000 0 002.其他法律行政法规禁止公开"
    run = run_at(text, 0, len(text), numbering=2)
    assert run.text == "0000000"
    # A lone number before "." is the next row's numbering: no run at all ("3.其他").
    assert run_at("3.其他", 0, 4) is None


def test_labels_are_not_found_inside_longer_labels():
    text = "（六）其他处理\t3.其他\t∅\t∅"
    assert find(text, ("其他",), 0) == (3, 5)
    assert find(text, ("其他",), 0, longer=("其他处理", "其他")) == (10, 12)


def test_a_grid_serialized_keeps_blank_cells_and_separates_rows():
    cells = [Cell("予以公开", 0, 0), Cell("5", 0, 1), Cell("", 0, 2), Cell("5", 0, 3),
             Cell("部分公开", 1, 0), Cell("1", 1, 1), Cell("0", 1, 2), Cell("1", 1, 3)]
    grid = Grid(cells, 2, 4, page=1, source="html")
    table = LocatedTable("applications", rows=grid_rows(grid, lambda t: t.strip().isdigit()),
                         grids=[grid])
    region = serialized(table)
    assert region.text == f"予以公开\t5\t{BLANK_MARK}\t5\t\n部分公开\t1\t0\t1"
    run = run_at(region.text, region.text.index("5"), region.text.index("部"))
    assert run.printed(1, 2) == ""  # the blank cell, printed back blank
    assert run.digits.gaps[-1] == HARD
