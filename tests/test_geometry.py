"""geometry.py alone: grids from ruling segments and positioned words, text lines, reading order.

The table below is the top-left of Huaian 2024's table 三 (fixtures/corpus/huaian_city_2024.pdf)
drawn with rulings at round coordinates: merged header cells, a two-line header cell
("商业企" / "业"), the vertical merged "三、本年度办理结果" printed one character per line, and
the real values of its rows.
"""

from __future__ import annotations

from extractor.document import Grid, TextLine
from extractor.geometry import (
    GridSettings,
    Segments,
    Word,
    cell_text,
    grids_from_rulings,
    lines_from_words,
    merged_cells,
    order_blocks,
    turn_box,
    unturn_box,
)

# Columns at x = 50, 200, 250, 300, 350, 400: label | 自然人 | 商业企业 | 科研机构 | 总计;
# rows every 20 pt from y = 100 to 200.
SETTINGS = GridSettings()


def ruled() -> Segments:
    """Rulings of the table: no ruling where a cell is merged across it."""
    segments = Segments()
    full = (50, 400)
    for y, (x0, x1) in [(100, full), (120, (250, 350)), (140, full), (160, full),
                        (180, (200, 400)), (200, full)]:
        segments.horizontal.append((y, x0, x1))
    for x, (y0, y1) in [(50, (100, 200)), (200, (100, 200)), (250, (100, 200)),
                        (300, (120, 200)), (350, (100, 200)), (400, (100, 200))]:
        segments.vertical.append((x, y0, y1))
    return segments


def word(text: str, x0: float, y0: float, width: float | None = None, height: float = 8.0) -> Word:
    return Word(text, (x0, y0, x0 + (width if width is not None else 8.0 * len(text)), y0 + height))


def words() -> list[Word]:
    vertical = [word(ch, 55, 161 + 4 * i, height=3.5) for i, ch in enumerate(["三、", "本", "年",
                                                                             "度", "办", "理",
                                                                             "结", "果"])]
    return [
        word("自然人", 205, 116),  # centred on the merged two-row cell, across the ruling-less line
        word("法人或其他组织", 255, 106, width=90),
        word("商业企", 252, 121, height=6), word("业", 252, 131, height=6),
        word("科研机", 302, 121, height=6), word("构", 302, 131, height=6),
        word("总计", 355, 116),
        word("一、本年新收政府信息公开申请数量", 52, 146, width=140),
        word("3001", 205, 146), word("53", 255, 146), word("0", 305, 146), word("3119", 355, 146),
        *vertical,
        word("1288", 205, 166), word("21", 255, 166), word("0", 305, 166), word("1362", 355, 166),
        word("447", 205, 186), word("7", 255, 186), word("0", 305, 186), word("454", 355, 186),
        # Outside the table: a row of table 二 printed without rulings, and the heading above.
        word("行政许可", 60, 230, width=40), word("447228", 160, 230, width=36),
        word("三、收到和处理政府信息公开申请情况", 60, 60, width=200),
    ]


def cell_at(grid: Grid, row: int, col: int):
    return next(c for c in grid.cells if c.row <= row < c.row + c.rowspan
                and c.col <= col < c.col + c.colspan)


def test_merged_cells_keep_their_spans_and_their_text():
    (grid,), outside = grids_from_rulings(ruled(), words(), page=4)
    assert (grid.n_rows, grid.n_cols, grid.source, grid.page) == (5, 5, "ruling", 4)
    people = cell_at(grid, 1, 1)
    assert (people.text, people.row, people.rowspan, people.colspan) == ("自然人", 0, 2, 1)
    legal = cell_at(grid, 0, 3)
    assert (legal.text, legal.col, legal.colspan, legal.rowspan) == ("法人或其他组织", 2, 2, 1)
    # Lines of one cell are joined without spaces between CJK characters.
    assert cell_at(grid, 1, 2).text == "商业企业" and cell_at(grid, 1, 3).text == "科研机构"
    results = cell_at(grid, 4, 0)
    assert (results.text, results.row, results.rowspan) == ("三、本年度办理结果", 3, 2)
    assert results.bbox == (50, 160, 200, 200)
    assert [c.text for c in grid.rows()[2]] == ["一、本年新收政府信息公开申请数量", "3001", "53",
                                                "0", "3119"]
    assert [w.text for w in outside] == ["行政许可", "447228", "三、收到和处理政府信息公开申请情况"]


def test_words_are_placed_by_their_centre():
    """A word whose box overhangs a row's border (a tall font box) belongs to the row that
    holds its centre; one across a column ruling is cut instead (below)."""
    overhanging = word("1288", 205, 155, height=14)  # 155–169 across y = 160: centre 162
    found = [w for w in words() if w.text != "1288"] + [overhanging]
    (grid,), _ = grids_from_rulings(ruled(), found, page=4)
    assert cell_at(grid, 3, 1).text == "1288"
    assert cell_at(grid, 3, 0).text == "三、本年度办理结果"


def test_a_word_across_a_column_ruling_is_cut_where_the_ruling_falls():
    """"件48": the wrapped 件 of one cell beside the 48 of the next, read as one word."""
    segments = Segments()
    for y in (0, 20):
        segments.horizontal.append((y, 100, 300))
    for x in (100, 200, 300):
        segments.vertical.append((x, 0, 20))
    (grid,), _ = grids_from_rulings(segments, [word("件48", 190, 6, width=25)], page=1)
    assert [c.text for c in grid.cells] == ["件", "48"]


def test_double_rules_and_filled_bars_are_single_rulings():
    """A double rule (two lines 1 pt apart) is one ruling; a thin filled bar is a ruling; an
    empty frame is no table."""
    segments = Segments()
    for y in (0, 1, 20):
        segments.add_line(100, y, 300, y, SETTINGS)
    segments.add_rect(99, 0, 101, 20, SETTINGS, stroked=False)
    segments.add_rect(199, 0, 201, 20, SETTINGS, stroked=False)
    segments.add_rect(299, 0, 301, 20, SETTINGS, stroked=False)
    (grid,), _ = grids_from_rulings(segments, [word("规章", 110, 6), word("1", 210, 6)], page=1)
    assert (grid.n_rows, grid.n_cols) == (1, 2)
    frame = Segments()
    frame.add_rect(10, 10, 500, 700, SETTINGS, stroked=True)
    assert grids_from_rulings(frame, [word("正文", 20, 800)], page=1)[0] == []


def test_lines_from_words_keep_a_ruling_less_row_on_one_line():
    """Words outside the tables become lines; a gap wider than a space separates cells."""
    lines = lines_from_words([word("447228", 160, 231, width=36), word("行政许可", 60, 230, width=40),
                              word("三、收到和处理政府信息公开申请情况", 60, 60, width=200)], page=3)
    assert [(line.text, line.page) for line in lines] == [
        ("三、收到和处理政府信息公开申请情况", 3), ("行政许可 447228", 3)]
    assert lines[1].bbox == (60, 230, 196, 239)
    # Fragments of one word-run with no gap are joined as printed.
    assert lines_from_words([word("政府信息", 10, 10, width=32), word("公开", 42, 10, width=16)],
                            page=1)[0].text == "政府信息公开"


def test_order_blocks_reads_top_to_bottom_then_left_to_right():
    (grid,), outside = grids_from_rulings(ruled(), words(), page=4)
    blocks = order_blocks([grid], lines_from_words(outside, 4))
    assert [b.text if isinstance(b, TextLine) else "grid" for b in blocks] == [
        "三、收到和处理政府信息公开申请情况", "grid", "行政许可 447228"]


def test_cell_text_joins_lines_top_to_bottom():
    assert cell_text([word("业", 252, 131, height=6), word("商业企", 252, 121, height=6)]) == "商业企业"
    assert cell_text([]) == ""


def test_a_quarter_turn_is_undone():
    box = (72.0, 100.0, 300.0, 118.0)
    for turn in ("cw", "ccw"):
        turned = turn_box(turn, 595, 842, box)
        assert unturn_box(turn, 595, 842, turned) == box
    assert turn_box("cw", 595, 842, box) == (724.0, 72.0, 742.0, 300.0)


def test_one_grid_builder_merges_bands_no_ruling_separates():
    """The PDF grid and the scan's grid (load/image.py) build their cells with merged_cells:
    table 3's header, where 三、本年度办理结果 spans two rows and 申请人情况 three columns."""
    # 3 rows × 4 columns; no ruling right of (0, 1) and (0, 2): 申请人情况 over three columns;
    # no ruling below (0, 0) or (1, 0): the stub spans every row.
    right = [[True, False, False], [True, True, True], [True, True, True]]
    below = [[False, True, True, True], [False, True, True, True]]
    cell_of, extents = merged_cells(right, below, 3, 4)
    assert sorted(extents.values()) == [(0, 0, 2, 0), (0, 1, 0, 3), (1, 1, 1, 1), (1, 2, 1, 2),
                                        (1, 3, 1, 3), (2, 1, 2, 1), (2, 2, 2, 2), (2, 3, 2, 3)]
    assert cell_of(0, 1) == cell_of(0, 3) != cell_of(1, 3)
    assert cell_of(0, 0) == cell_of(2, 0)
