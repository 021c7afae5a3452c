"""The HTML audit as people read it (issue 12, items 3 and 4): cells under their printed labels
in printed order, a summary over several reports, text evidence that shows the lines around
the cells, PDF crops with the table's header rows, and the report written from a store."""

import base64
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pymupdf

from extractor import extract
from extractor.audit import audit, audit_series
from extractor.audit.html import Evidence, render_html

from .conftest import CORPUS
from .test_audit import doctored_pdf

NIANBAO = [sys.executable, "-m", "extractor.cli"]


class _Cells(HTMLParser):
    """The evidence tables' first column: (title, text) of each cell row."""

    def __init__(self):
        super().__init__()
        self.cells, self.pres, self.links, self.ids = [], [], [], set()
        self._title, self._in_pre = None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        if tag == "td" and "title" in attrs:
            self._title = attrs["title"]
        if tag == "pre":
            self._in_pre = True
            self.pres.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_pre = False

    def handle_data(self, data):
        if self._title is not None:
            self.cells.append((self._title, data))
            self._title = None
        if self._in_pre:
            self.pres[-1] += data


def _parsed(page: str) -> _Cells:
    parser = _Cells()
    parser.feed(page)
    return parser


def test_evidence_cells_under_printed_labels_in_printed_order():
    report = extract(CORPUS / "seed_shanghai_2020.txt")
    parsed = _parsed(render_html([(report, audit(report))]))
    row_sum = parsed.cells[:7]  # the first finding (rule 1, the 新收 row) and its seven cells
    # The key is the cell's title; what is read is the printed label, in the table's order.
    assert row_sum[:2] == [
        ("applications.new_received.natural_person", "表三「一、本年新收政府信息公开申请数量」行「自然人」列"),
        ("applications.new_received.commercial", "表三「一、本年新收政府信息公开申请数量」行「商业企业」列")]
    assert [key for key, _ in row_sum][2:] == [f"applications.new_received.{c}" for c in (
        "research", "social_welfare", "legal_services", "other_org", "total")]
    assert all("_" not in label for _, label in parsed.cells)


def test_text_evidence_shows_the_lines_around_the_cells_not_the_table_between():
    report = extract(CORPUS / "seed_shanghai_2020.txt")
    parsed = _parsed(render_html([(report, audit(report))]))
    marked_page = render_html([(report, audit(report))])
    # The carry identity of a column takes cells from rows far apart: shown apart.
    assert any("⋯" in pre for pre in parsed.pres)
    for pre in re.findall(r"<pre>(.*?)</pre>", marked_page, re.S):
        lines = pre.split("\n")
        for i, line in enumerate(lines):
            if line != "⋯":
                near = lines[max(0, i - 1):i + 2]
                assert any("<mark>" in n for n in near), line


def test_several_reports_start_with_a_summary_and_an_index():
    reports = [extract(CORPUS / n) for n in ("seed_shanghai_2020.txt", "sanming_city_2021.txt",
                                             "sanming_city_2023.txt")]
    page = render_html(list(zip(reports, audit_series(reports))))
    parsed = _parsed(page)
    assert page.index("id='summary'") < page.index("id='report-1'")
    assert "3 reports · " in page
    assert "<td class='rule'>1 row_sum</td><td class='num'>1</td>" in page
    assert {"report-1", "report-2", "report-3"} <= set(parsed.links)
    assert set(parsed.links) <= parsed.ids  # every index link lands on its report
    assert "report-1-finding-1" in parsed.ids
    # One report: no summary.
    assert "id='summary'" not in render_html([(reports[0], audit(reports[0]))])


def test_pdf_crops_reach_up_to_the_header_rows(tmp_path):
    report = extract(doctored_pdf(tmp_path))
    finding = next(f for f in audit(report).findings if f.rule == "row_sum")
    cells = [c for c in finding.cells if c.bbox]
    evidence = Evidence(report)
    page = evidence.pdf[cells[0].page - 1]
    headers = evidence._headers(page, [c.bbox for c in cells], [c.key for c in cells])
    assert headers and all(h.y1 <= min(c.bbox[1] for c in cells) + 1 for h in headers)
    texts = {page.get_textbox(h).strip() for h in headers}
    assert {"自然人", "总计"} <= texts

    def height(keys):
        html = evidence._crop(cells[0].page, [c.bbox for c in cells], keys)
        png = base64.b64decode(re.search(r"base64,([^']+)", html).group(1))
        return pymupdf.Pixmap(png).height

    assert height([c.key for c in cells]) > height([]) + 20
    evidence.close()


def test_audit_html_from_a_store_without_extracting(corpus_store, tmp_path):
    out = tmp_path / "audit.html"
    done = subprocess.run([*NIANBAO, "audit", "--store", str(corpus_store), "-f", "html", "-o",
                           str(out), "--fail-on", "never"], capture_output=True, text=True,
                          timeout=300, env={**os.environ})
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    import duckdb

    with duckdb.connect(str(corpus_store), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    assert f"{stored} reports · " in page and "id='summary'" in page
    assert "<mark>29130</mark>" in page  # the Shanghai seed's evidence, from its file
    assert "表三「一、本年新收政府信息公开申请数量」行" in page
    usage = subprocess.run([*NIANBAO, "audit", "-f", "html"], capture_output=True, text=True,
                           timeout=60)
    assert usage.returncode == 2 and usage.stderr == "nianbao: audit: give report files, or --store STORE\n"
