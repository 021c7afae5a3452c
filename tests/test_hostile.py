"""Hostile inputs (issue 15): a result or one clear line, bounded memory, the report still read.

Each input is rebuilt from the corpus by tests/hostile_inputs.py. The command-line cases run
in a child process that reports its own peak resident memory, which must stay under 500 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor import extract
from extractor.errors import LimitExceeded, PatternsError
from extractor.knowledge import Knowledge
from extractor.limits import Limits
from extractor.load import load
from extractor.load.bounds import Bounds
from extractor.load.html import _table_rows
from extractor.segment import _best_chain, _Candidate
from extractor.tables.digits import Digits, sum_splits

from . import hostile_inputs as H

PEAK_MB = 500
# The nianbao command line, reporting its peak resident memory on stderr as it ends. VmHWM,
# not ru_maxrss: Linux carries ru_maxrss over exec from the forking process (here pytest).
CHILD = """
import sys
from extractor.cli import app
try:
    app(sys.argv[1:], prog_name="nianbao")
finally:
    peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print(f"peak_kib={peak}", file=sys.stderr)
"""


def nianbao(*args):
    """(exit code, stdout, stderr lines other than the peak, peak MB)."""
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True,
                          text=True, timeout=300, check=False)
    lines = done.stderr.strip().splitlines()
    peak = int(lines.pop().removeprefix("peak_kib=")) / 1024
    return done.returncode, done.stdout, lines, peak


def values(report) -> dict:
    return {v.key: v.value for v in report.values}


def document_warnings(report) -> list[str]:
    return [w.message for w in report.warnings if w.code == "document"]


# ------------------------------------------------------------------ the hostile files

REFUSED = {
    # name: (bytes, suffix, what the one line says)
    "pdf_page_count_2e9": (lambda: H.PAGE_COUNT_PDF, ".pdf", "page tree is damaged"),
    "docx_duplicate_document_xml": (
        lambda: H.docx_with(extra={"word/document.xml": b"<bad/>"}), ".docx",
        "holds word/document.xml twice"),
    "docx_bomb_document": (lambda: H.zip_bomb("word/document.xml", 300 << 20), ".docx",
                           "max_inflate_ratio"),
    "docx_bomb_core": (lambda: H.zip_bomb("docProps/core.xml", 300 << 20), ".docx",
                       "max_inflate_ratio"),
    "docx_bomb_styles": (lambda: H.zip_bomb("word/styles.xml", 300 << 20), ".docx",
                         "max_inflate_ratio"),
    "docx_bomb_that_lies": (lambda: H.zip_bomb("word/document.xml", 300 << 20, declared=5000),
                            ".docx", "word/document.xml is damaged"),
}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_one_line_in_little_memory(tmp_path, name):
    make, suffix, says = REFUSED[name]
    path = tmp_path / (name + suffix)
    path.write_bytes(make())
    code, out, err, peak = nianbao("extract", path)
    assert code == 2 and out == ""
    assert len(err) == 1 and says in err[0] and "internal error" not in err[0], err
    assert peak < PEAK_MB


def test_cli_result_within_memory_for_absurd_spans(tmp_path):
    path = tmp_path / "gridspan_1e9.docx"
    path.write_bytes(H.grid_span("1000000000", cells=4))
    code, out, err, peak = nianbao("extract", path, "-f", "json")
    assert code == 0 and err == [] and peak < PEAK_MB
    report = json.loads(out)
    assert any("max_span = 100" in w["message"] for w in report["warnings"])


@pytest.mark.parametrize("value", ["1000000000", "x", "2.5"])
def test_docx_spans_that_are_absurd_or_not_numbers_leave_the_tables_as_they_were(tmp_path, value):
    path = tmp_path / "span.docx"
    path.write_bytes(H.grid_span(value))
    report = extract(path)
    assert values(report) == values(extract(H.TEMPLATE))
    assert document_warnings(report) == [
        "spans over the limit max_span = 100 were cut to it (1 cell)" if value.isdigit() else
        "gridSpan values that are not whole numbers were read as the default (1 cell)"]


def test_grid_before_that_is_not_a_number(tmp_path):
    path = tmp_path / "before.docx"
    path.write_bytes(H.docx_with({b"<w:trPr>": b'<w:trPr><w:gridBefore w:val="x"/>'}))
    report = extract(path)
    assert values(report) == values(extract(H.TEMPLATE))
    assert "gridBefore values that are not whole numbers" in document_warnings(report)[0]


def test_a_29_digit_cell_is_unreadable_and_named_the_rest_is_read(tmp_path):
    path = tmp_path / "long.txt"
    path.write_bytes(H.long_number_cell(29))
    report, seed = extract(path), extract(H.SEED)
    wrong = {k: v for k, v in values(report).items() if values(seed)[k] != v}
    assert list(wrong.values()) == [None]
    key = next(iter(wrong))
    unreadable = next(w for w in report.warnings if w.keys == [key])
    assert unreadable.code == "unreadable" and "max_number_digits = 18" in unreadable.message
    # Raised, the limit reads the number whole.
    raised = extract(path, limits=Limits(max_number_digits=30))
    assert raised.value(key) == int("9" * 29)


@pytest.mark.parametrize("source, offset, line", [(H.PINGTAN, 100, 2), (H.PINGTAN, None, 10),
                                                  (H.SEED, 4999, 76)])
def test_one_bad_byte_is_replaced_and_the_tables_read_as_before(tmp_path, source, offset, line):
    path = tmp_path / source.name
    path.write_bytes(H.bad_byte(source, offset))
    report = extract(path)
    assert values(report) == values(extract(source))
    at = len(source.read_bytes()) if offset is None else offset
    assert document_warnings(report) == [
        (f"read as UTF-8 with 1 invalid byte sequence replaced by U+FFFD, at byte {at} "
        f"(line {line})")]


def test_a_byte_inside_a_character_breaks_that_character_only(tmp_path):
    path = tmp_path / "seed.txt"
    path.write_bytes(H.bad_byte(H.SEED, 5000))  # between the bytes of one Chinese character
    assert values(extract(path)) == values(extract(H.SEED))


def test_gbk_is_still_read_as_gbk_not_as_broken_utf8(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(H.PINGTAN.read_text(encoding="utf-8").encode("gb18030"))
    report = extract(path)
    assert values(report) == values(extract(H.PINGTAN))
    assert not any("UTF-8" in m for m in document_warnings(report))


# ------------------------------------------------------------------ pattern and rule files

@pytest.mark.parametrize("command", ["audit", "batch", "extract", "eval", "history"])
def test_a_rules_entry_that_is_not_a_mapping_is_one_line_naming_file_and_entry(tmp_path,
                                                                              command):
    patterns = H.rules_not_a_mapping(tmp_path / "patterns")
    rest = {"batch": [H.PINGTAN, "--store", tmp_path / "s.duckdb"],
            "eval": [H.PINGTAN, "--truth", H.CORPUS / "truth"],
            "history": [tmp_path / "no.duckdb"]}.get(command, [H.PINGTAN])
    code, _, err, _ = nianbao(command, "--patterns", patterns, *rest)
    assert code == 2
    assert err == [(f"nianbao: {patterns / 'rules.yaml'}: rule 1 under `rules:` is '1', not a "
                   "mapping (id, description, severity, check, message)")]


@pytest.mark.parametrize("pad_to, says", [(0, "more than 250000 values once its aliases"),
                                          (10 << 20, "over the 1048576 bytes a pattern file")])
def test_yaml_alias_bombs_are_refused_in_little_memory(tmp_path, pad_to, says):
    patterns = H.yaml_alias_bomb(tmp_path / "patterns", pad_to)
    code, _, err, peak = nianbao("extract", "--patterns", patterns, H.PINGTAN)
    assert code == 2 and len(err) == 1 and says in err[0]
    assert peak < PEAK_MB


def test_a_few_aliases_are_fine(tmp_path):
    (tmp_path / "headings.yaml").write_text(
        "sections:\n  - number: 6\n    key: other\n    titles: &six [需要说明的其他情况]\n"
        "  - number: 5\n    key: problems\n    titles: *six\n", encoding="utf-8")
    titles = {s.number: s.titles for s in Knowledge.load((str(tmp_path),)).patterns.headings.sections}
    assert "需要说明的其他情况" in titles[6] and "需要说明的其他情况" in titles[5]


def test_an_alias_inside_itself_is_refused(tmp_path):
    (tmp_path / "numbers.yaml").write_text("units: &u {count: [*u]}\n", encoding="utf-8")
    with pytest.raises(PatternsError, match="alias inside itself"):
        Knowledge.load((str(tmp_path),))


# ------------------------------------------------------------------ the limits

def test_limits_from_the_command_line():
    assert Limits().override(["max_pages=5000", "max-span = 7"]) == Limits(max_pages=5000,
                                                                           max_span=7)
    for bad, says in [("max_pagez=3", "unknown limit 'max_pagez'"),
                      ("max_pages=many", "needs a whole number"), ("max_pages=0", "at least 1")]:
        with pytest.raises(ValueError, match=says):
            Limits().override([bad])
    code, _, err, _ = nianbao("extract", "--limit", "max_pagez=3", H.PINGTAN)
    assert code == 2 and err[0].startswith("nianbao: --limit: unknown limit 'max_pagez'")


def test_pages_past_the_limit_are_skipped_with_a_warning(tmp_path):
    import pymupdf

    pdf = pymupdf.open()
    for number in range(3):
        pdf.new_page().insert_text((72, 72), f"page {number + 1}")
    path = tmp_path / "three.pdf"
    pdf.save(path)
    document = load(path, ocr="never", limits=Limits(max_pages=2))
    assert document.page_count == 2
    assert document.warnings == [("the PDF has 3 pages; pages after 2 were not read "
                                 "(limit max_pages = 2)")]


def test_table_rows_columns_and_cells_past_the_limits(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_text("".join(f"r{r}\t" + "\t".join(["x" * 12] * 6) + "\n" for r in range(5)),
                    encoding="utf-8")
    document = load(path, limits=Limits(max_table_rows=3, max_table_columns=4,
                                        max_cell_chars=10))
    grid = document.pages[0].grids[0]
    assert (grid.n_rows, grid.n_cols) == (3, 4)
    assert {len(c.text) for c in grid.cells if c.col} == {10}
    assert document.warnings == [
        "cells past column max_table_columns = 4 were not read (3 cells)",
        "cells longer than max_cell_chars = 10 characters were cut (9 cells)",
        "rows past max_table_rows = 3 in one table were not read (2 rows)"]


def test_markup_past_the_element_limit_is_refused(tmp_path):
    path = tmp_path / "big.html"
    path.write_bytes(H.html_rows(200))
    with pytest.raises(LimitExceeded, match="limit max_markup_elements = 1000"):
        load(path, limits=Limits(max_markup_elements=1000))


def test_html_table_rows_past_the_limit(tmp_path):
    path = tmp_path / "rows.html"
    path.write_bytes(H.html_rows(300))
    report = extract(path, limits=Limits(max_table_rows=100))
    assert values(report) == values(extract(H.HTML))
    assert document_warnings(report) == [
        "rows past max_table_rows = 100 in one table were not read (200 rows)"]


def test_files_past_the_size_limit_are_refused_before_reading(tmp_path):
    path = tmp_path / "seed.txt"
    path.write_bytes(H.SEED.read_bytes())
    with pytest.raises(LimitExceeded, match="limit max_file_bytes = 1000"):
        load(path, limits=Limits(max_file_bytes=1000))


# ------------------------------------------------------------------ large inputs

@pytest.mark.parametrize("name", H.LARGE)
def test_large_inputs_leave_the_report_as_it_was(tmp_path, name):
    recipe, _, suffix = H.LARGE[name]
    path = tmp_path / (name + suffix)
    path.write_bytes(recipe(2_000))
    original = H.HTML if suffix == ".html" else H.SEED
    assert values(extract(path)) == values(extract(original))


@pytest.mark.slow
@pytest.mark.parametrize("name", H.LARGE)
def test_large_inputs_at_the_size_the_issue_names(tmp_path, name):
    recipe, size, suffix = H.LARGE[name]
    path = tmp_path / (name + suffix)
    path.write_bytes(recipe(size))
    code, out, err, peak = nianbao("extract", path, "-f", "json")
    original = H.HTML if suffix == ".html" else H.SEED
    assert code == 0 and err == [] and peak < PEAK_MB
    assert {v["key"]: v["value"] for v in json.loads(out)["values"]} == values(extract(original))


# ------------------------------------------------------------------ linear, and the same answers

SCORES = st.sampled_from([1.0, 1.3, 1.5, 1.8, 2.0, 2.3, 2.5, 0.1, 0.13, 0.15, 0.2, 0.25])


def chain_by_every_pair(candidates):
    """The best chain as it was computed before: comparing every pair (quadratic)."""
    best = [c.score for c in candidates]
    back = [-1] * len(candidates)
    for i, c in enumerate(candidates):
        for j in range(i):
            if candidates[j].number < c.number and best[j] + c.score > best[i]:
                best[i], back[i] = best[j] + c.score, j
    if not candidates:
        return []
    i = max(range(len(candidates)), key=lambda k: (best[k], -k))
    chain = []
    while i >= 0:
        chain.append(candidates[i])
        i = back[i]
    return chain[::-1]


@given(st.lists(st.tuples(st.integers(1, 6), SCORES), max_size=14))
def test_best_heading_chain_is_the_one_every_pair_finds(spec):
    candidates = [_Candidate(number, "k", (i, 0), (i + 1, 0), "h", score)
                  for i, (number, score) in enumerate(spec)]
    assert [id(c) for c in _best_chain(candidates)] == \
        [id(c) for c in chain_by_every_pair(candidates)]


@given(st.text("0123456789", min_size=2, max_size=13), st.integers(2, 5))
def test_sum_splits_are_every_split_that_adds_up(digits, n):
    every = [split for split in _compositions(digits, n)
             if sum(split[:-1]) == split[-1]]
    assert sorted(sum_splits(Digits.plain(digits), n)) == sorted(every)


def _compositions(digits: str, n: int):
    """Every split into n printed numbers of at most 7 digits and no leading zero."""
    for cuts in combinations(range(1, len(digits)), n - 1):
        pieces = [digits[a:b] for a, b in zip((0, *cuts), (*cuts, len(digits)))]
        if all(len(p) <= 7 and (len(p) == 1 or p[0] != "0") for p in pieces):
            yield tuple(int(p) for p in pieces)


SPAN = st.sampled_from(["1", "1", "1", "2", "3", "0", "x", "200"])


@given(st.lists(st.lists(st.tuples(SPAN, SPAN), min_size=1, max_size=5), min_size=1,
                max_size=6))
def test_html_cells_are_placed_as_the_table_algorithm_places_them(rows):
    html = "<table>" + "".join(
        "<tr>" + "".join(f'<td rowspan="{r}" colspan="{c}">{i}.{j}</td>'
                         for j, (r, c) in enumerate(row)) + "</tr>"
        for i, row in enumerate(rows)) + "</table>"
    table = lxml.html.fragment_fromstring(html)
    placed, _ = _table_rows(table, Bounds(Limits()))
    assert [(t, r, c) for row in placed for t, r, c, _, _ in row] == _by_occupied_set(rows)


def _by_occupied_set(rows) -> list[tuple[str, int, int]]:
    """Where each cell goes, by marking every (row, column) a span covers; spans and columns
    within the default limits."""
    def span(text):
        return max(1, min(int(text), Limits().max_span)) if text.isdigit() else 1
    occupied, out = set(), []
    for r, row in enumerate(rows):
        c = 0
        for j, (rowspan, colspan) in enumerate(row):
            while (r, c) in occupied:
                c += 1
            if c >= Limits().max_table_columns:
                break
            occupied |= {(r + dr, c + dc) for dr in range(span(rowspan))
                         for dc in range(span(colspan))}
            out.append((f"{r}.{j}", r, c))
            c += span(colspan)
    return out
