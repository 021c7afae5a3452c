"""tables/digits.py: the mathematics of reading cells back from digits, tested on its own."""

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.tables.digits import (
    HARD,
    NONE,
    SOFT,
    Digits,
    arrangements,
    best_readings,
    block_splits,
    plain_splits,
    reading_of,
    sum_splits,
)

from .conftest import NO_DOCGEN


def lines(*tokens: str) -> Digits:
    """Tokens one per line, as a crawler keeps a table's cells."""
    text = "".join(tokens)
    gaps, at = [], 0
    for token in tokens:
        gaps += [SOFT if at else HARD] + [NONE] * (len(token) - 1)
        at += len(token)
    return Digits(text, tuple(gaps))


def brute_force(text: str, n: int) -> set[tuple[int, ...]]:
    """Every split of text into n numbers without leading zeros whose last is the sum."""
    out = set()
    for cuts in combinations(range(1, len(text)), n - 1):
        pieces = [text[a:b] for a, b in zip((0, *cuts), (*cuts, len(text)))]
        if any(len(p) > 1 and p[0] == "0" for p in pieces):
            continue
        values = tuple(int(p) for p in pieces)
        if sum(values[:-1]) == values[-1]:
            out.add(values)
    return out


rows = st.lists(st.integers(0, 120), min_size=6, max_size=6).map(lambda xs: [*xs, sum(xs)])


@settings(max_examples=300, deadline=None)
@given(rows)
def test_sum_splits_are_exactly_the_splits_that_add_up(row):
    text = "".join(map(str, row))
    found = sum_splits(Digits.plain(text), 7)
    assert set(found) == brute_force(text, 7)
    assert tuple(row) in found
    assert all("".join(map(str, split)) == text for split in found)


def test_sum_splits_agree_with_the_generators_independent_counter():
    count_splits = pytest.importorskip("docgen.digits", reason=NO_DOCGEN).count_splits

    @settings(max_examples=200, deadline=None)
    @given(rows)
    def agree(row):
        texts = [str(x) for x in row]
        counted = count_splits(texts, 7)
        assert min(len(sum_splits(Digits.plain("".join(texts)), 7)), 1000) == counted

    agree()


@settings(max_examples=200, deadline=None)
@given(rows, st.data())
def test_separators_are_always_cell_boundaries(row, data):
    texts = [str(x) for x in row]
    starts = [sum(len(t) for t in texts[:i]) for i in range(1, 7)]
    hard = frozenset(data.draw(st.sets(st.sampled_from(starts))))
    found = sum_splits(Digits.plain("".join(texts), hard), 7)
    assert tuple(row) in found
    for split in found:
        bounds = {sum(len(str(v)) for v in split[:i]) for i in range(1, 7)}
        assert hard <= bounds


@settings(max_examples=100, deadline=None)
@given(st.lists(rows, min_size=3, max_size=3).map(lambda rs: [x for r in rs for x in r[:5]]))
def test_block_splits_satisfy_every_block(cells):
    blocks = [cells[i:i + 5] for i in (0, 5, 10)]
    cells = [x for b in blocks for x in (*b[:4], sum(b[:4]))]
    found = block_splits(Digits.plain("".join(map(str, cells))), 3, 5)
    assert tuple(cells) in found
    assert all(sum(s[i:i + 4]) == s[i + 4] for s in found for i in (0, 5, 10))


def test_plain_splits_count_all_compositions():
    assert len(plain_splits(Digits.plain("12345"), 3)) == 6  # C(4, 2)
    assert plain_splits(Digits.plain("105"), 2) == [(10, 5)]  # "05" is never printed


def test_one_token_per_line_is_read_as_printed():
    readings, exact = best_readings(lines("102", "4", "0", "1", "2", "1", "110"), 1, 7,
                                    separated=True)
    assert exact and [r.values for r in readings] == [(102, 4, 0, 1, 2, 1, 110)]
    assert readings[0].cost(separated=True) == 0


def test_a_number_broken_over_two_lines_is_joined_by_the_row_sum():
    """Sanming 2021: 一、本年新收 printed 160 / 0 / 0 / 2 / 0 / 0 / 1 / 62 (总计 162)."""
    readings, exact = best_readings(lines("160", "0", "0", "2", "0", "0", "1", "62"), 1, 7,
                                    separated=True)
    assert exact and [r.values for r in readings] == [(160, 0, 0, 2, 0, 0, 162)]
    assert readings[0].joins == 1


def test_cells_run_together_are_cut_where_the_sum_says():
    readings, _ = best_readings(Digits.plain("21710000218"), 1, 7, separated=False)
    assert [r.values for r in readings] == [(217, 1, 0, 0, 0, 0, 218)]


def test_blanks_only_where_too_little_was_printed():
    readings, exact = best_readings(lines("12", "12"), 1, 7, separated=True)
    assert exact and len(readings) == 6  # 12 in any one applicant column, 总计 12
    assert all(r.values[-1] == 12 and r.blanks == 5 for r in readings)
    # A full row that adds up no way is a misprint, not a row with blanks.
    readings, exact = best_readings(lines("5", "0", "0", "0", "0", "0", "6"), 1, 7,
                                    separated=True)
    assert not exact and [r.values for r in readings] == [(5, 0, 0, 0, 0, 0, 6)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=4))
def test_arrangements_lay_every_digit_and_satisfy_the_sum(printed):
    tokens = [str(x) for x in printed]
    digits = lines(*tokens)
    for reading in arrangements(digits, 1, 7, separated=True, max_cost=7):
        assert sum(v or 0 for v in reading.values[:-1]) == (reading.values[-1] or 0)
        laid = [p for i, p in enumerate(reading.pieces) if p and i not in reading.repeated]
        assert "".join(digits.text[a:b] for a, b in laid) == digits.text
        assert reading.blanks + reading.repeats > 0


def test_reading_of_counts_departures():
    digits = lines("1", "62", "0")
    reading = reading_of(digits, (162, 0))
    assert (reading.joins, reading.inside) == (1, 0)
    assert reading_of(Digits.plain("1620"), (16, 20)).inside == 1
