"""The document generator (tools/docgen): determinism, truth files, reachability, PDFs,
series and scans.

These tests need no extractor, but the generator installed (`pip install -e tools/docgen`):
without it the module is skipped. Tests that convert to PDF are marked `soffice` and skipped
when LibreOffice is missing.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import unicodedata
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import docx
import opencc
import pymupdf
import pytest

from .conftest import CORPUS, FIXTURES, NO_DOCGEN, needs_soffice

pytest.importorskip("docgen", reason=NO_DOCGEN)
from docgen import audit, generate, pdf, scan  # noqa: E402  (after the skip without it)
from docgen.digits import count_splits  # noqa: E402
from docgen.fill_template import template_cells  # noqa: E402
from docgen.model import Document  # noqa: E402
from docgen.render_html import HtmlRenderer  # noqa: E402
from docgen.report import build, pick_layout_format, truth, variations_for  # noqa: E402
from docgen.series import build_series  # noqa: E402
from docgen.spec import FORMATS, TEMPLATE_2021, load_spec  # noqa: E402
from docgen.tables import cn_number  # noqa: E402
from docgen.variations import LATER_REPORT, LAYOUTS, REPORT, space  # noqa: E402

SPEC = load_spec()
SEEDS = range(60)  # the fixed seed list every label and heading must be reachable from
VARIATION_SEEDS = range(150)  # and every variation (rare combinations, such as Big5 HTML)


T2S = opencc.OpenCC("t2s")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def simplified(text: str) -> str:
    """Text of a traditional-script document back in simplified characters."""
    return T2S.convert(text)


def decoded(path: Path, data: dict) -> str:
    return path.read_bytes().decode(data["variations"].get("encoding", "utf-8"))


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["html", "text", "markdown", "dump", "docx"])
def test_same_seed_same_bytes(tmp_path: Path, layout: str) -> None:
    a = generate.generate(4, 3, tmp_path / "a", layout)
    b = generate.generate(4, 3, tmp_path / "b", layout)
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.name
        tx, ty = (p.parent / "truth" / f"{p.stem}.json" for p in (x, y))
        assert tx.read_bytes() == ty.read_bytes()


def test_other_seed_other_report() -> None:
    a, b = build(1, 0, "html", "2021"), build(2, 0, "html", "2021")
    assert a.truth_values != b.truth_values


def test_layouts_share_the_report() -> None:
    """The same seed, index and format give the same agency and numbers in every layout (but a
    dump, which draws its body's size from the smaller profiles)."""
    docs = [build(9, 2, layout, "2021") for layout in LAYOUTS if layout != "dump"]
    assert len({d.agency for d in docs}) == 1 and len({d.year for d in docs}) == 1
    for d in docs[1:]:
        for key, value in d.truth_values.items():
            if value is not None and docs[0].truth_values[key] is not None:
                assert value == docs[0].truth_values[key], key


@needs_soffice
def test_pdf_same_bytes(tmp_path: Path) -> None:
    a = generate.generate(8, 2, tmp_path / "a", "pdf")
    b = generate.generate(8, 2, tmp_path / "b", "pdf")
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.name


# --- truth files ---------------------------------------------------------------------------


def failing_rules(fmt: str, values: dict) -> set[tuple[str, tuple[str, ...]]]:
    """DOMAIN rules 1-4, written out again here (null counts as 0): (rule number, cells)."""

    def v(key: str) -> int:
        return values[key] or 0

    cols = [c.key for c in SPEC.app_columns]
    rows = [r.key for r in SPEC.rows(fmt)]
    handled, forward = rows[-2], rows[-1]
    outcomes = rows[2:-2]
    found = set()
    for row in rows:
        cells = tuple(f"applications.{row}.{c}" for c in cols)
        if sum(v(c) for c in cells[:-1]) != v(cells[-1]):
            found.add(("1", cells))
    for col in cols:
        cells = tuple(f"applications.{r}.{col}" for r in [*outcomes, handled])
        if sum(v(c) for c in cells[:-1]) != v(cells[-1]):
            found.add(("2", cells))
        cells = tuple(f"applications.{r}.{col}" for r in (rows[0], rows[1], handled, forward))
        if v(cells[0]) + v(cells[1]) != v(cells[2]) + v(cells[3]):
            found.add(("3", cells))
    for block in SPEC.rl_blocks:
        cells = tuple(f"review_litigation.{block.key}.{f.key}" for f in SPEC.rl_fields)
        if sum(v(c) for c in cells[:-1]) != v(cells[-1]):
            found.add(("4", cells))
    return found


def all_documents():
    for seed in range(40):
        for fmt in FORMATS:
            layout = LAYOUTS[seed % len(LAYOUTS)]
            yield build(seed, 0, layout, fmt)


def test_truth_lists_exactly_the_failing_rules() -> None:
    injected_docs = 0
    for doc in all_documents():
        data = truth(doc, "x")
        table_findings = [
            f for f in data["published_inconsistencies"] if not f["rule"].startswith("6 ")
        ]
        listed = {(f["rule"].split()[0], tuple(f["cells"])) for f in table_findings}
        assert listed == failing_rules(doc.fmt, data["values"]), doc.name
        changed = {c["cell"] for c in doc.injected}
        if not changed:
            assert not listed, doc.name
            continue
        injected_docs += 1
        for cell in changed:  # every injected cell breaks at least one listed rule
            assert any(cell in cells for _, cells in listed), (doc.name, cell)
        for f in table_findings:
            # A printed side with a blank cell that could hold the difference is a gap (a
            # warning, as the audit says); any other failure is the publisher's error.
            blank = any(not doc.printed.get(c, "x").strip() for c in f["cells"])
            assert f["severity"] == "error" or (f["severity"] == "warning" and blank)
            assert f["likely_cause"] == "publisher" and f["expected"] != f["printed"]
    assert injected_docs > 5


def prose_text(doc: Document) -> str:
    return "".join(b.text for b in doc.blocks if b.kind in ("para", "subheading"))


def test_prose_disagreements_are_listed_as_rule_6_warnings() -> None:
    """Each injected prose misprint names the cells its claims.yaml claim counts, whose printed
    values add up to `expected`, and the prose prints `printed`; other documents' prose counts
    are the tables'."""
    seen = 0
    for doc in all_documents():
        findings = [f for f in truth(doc, "x")["published_inconsistencies"] if f["rule"][0] == "6"]
        assert len(findings) == doc.variations["prose_inconsistencies"] or not findings
        text = simplified(prose_text(doc))
        for f in findings:
            seen += 1
            assert f["severity"] == "warning" and f["rule"].startswith("6 prose vs tables")
            assert f["expected"] == sum(doc.truth_values[c] or 0 for c in f["cells"])
            assert f["printed"] != f["expected"]
            if doc.variations["prose_numerals"] == "arabic":
                assert re.search(rf"(?<!\d){f['printed']}件", text), (doc.name, f)
    assert seen >= 5


def test_truth_keys_and_values() -> None:
    for doc in all_documents():
        values = doc.truth_values
        assert list(values) == SPEC.value_keys(doc.fmt)
        for key, value in values.items():
            field = key.rsplit(".", 1)[1]
            if key.startswith("active.") and SPEC.fields[field].kind == "signed":
                assert isinstance(value, int)
            elif key.startswith("active.") and SPEC.fields[field].kind == "amount":
                assert value is None or (isinstance(value, float) and value >= 0)
            else:
                assert value is None or (isinstance(value, int) and value >= 0), key
    hybrid = build(0, 0, "html", "hybrid").truth_values
    assert "active.regulations.made" in hybrid and "applications.other.total.total" in hybrid
    assert "applications.other.other.total" not in hybrid


NULLS = {"", *(unicodedata.normalize("NFKC", m) for ms in SPEC.null_markers.values() for m in ms)}


def parse_cell(text: str, key: str, header_unit: str) -> Decimal | int | None:
    """A printed cell back to its canonical value (what an extractor should produce)."""
    text = simplified(unicodedata.normalize("NFKC", text))
    if text in NULLS:
        return None
    for separator in SPEC.thousands_separators:
        text = text.replace(unicodedata.normalize("NFKC", separator), "")
    text = text.removesuffix(SPEC.count_units[0])
    wan = text.endswith("万元") or header_unit == "万元"
    text = text.removesuffix("万元").removesuffix("元")
    if key.endswith("amount_yuan"):
        return Decimal(text) * (10_000 if wan else 1)
    return Decimal(text) if key.endswith("yuan") else int(text)


def test_printed_cells_match_truth() -> None:
    """Each value cell of every grid reads back as its truth value (blank and — as null)."""
    for doc in all_documents():
        for block in doc.blocks:
            for grid in block.grids:
                header_units = {
                    c.key: "万元" if "万元" in simplified(c.text) else ""
                    for c in grid.cells
                    if c.role == "header"
                }
                for cell in grid.cells:
                    if cell.role == "value" and cell.key:
                        field = cell.key.rsplit(".", 1)[1]
                        got = parse_cell(cell.text, cell.key, header_units.get(field, ""))
                        want = doc.truth_values[cell.key]
                        want = Decimal(str(want)) if isinstance(want, float) else want
                        assert got == want, (doc.name, cell.key, cell.text)


def test_every_value_is_printed_once() -> None:
    for doc in all_documents():
        grids = [g for b in doc.blocks for g in b.grids]
        keys = [c.key for g in grids for c in g.cells if c.role == "value" and c.key]
        assert sorted(keys) == sorted(doc.truth_values), doc.name
        assert all(not c.key for g in grids if g.name == "distractor" for c in g.cells)


def test_magnitudes_vary() -> None:
    totals = defaultdict(list)
    for seed in range(120):
        doc = build(seed, 0, "text", "2021")
        totals[doc.variations["profile"]].append(
            doc.truth_values["applications.new_received.total"] or 0
        )
    assert max(totals["township"]) <= 5 and 0 in totals["township"]
    assert max(totals["province"]) >= 10_000
    assert 1_000 <= max(totals["city"]) < 10_000


# --- reachability --------------------------------------------------------------------------


def test_every_variation_reachable() -> None:
    for layout in LAYOUTS:
        for fmt in FORMATS:
            seen = defaultdict(set)
            for seed in VARIATION_SEEDS:
                for name, value in variations_for(seed, 0, layout, fmt).items():
                    seen[name].add(value)
            for name, options in (space(layout, fmt) | REPORT | LATER_REPORT).items():
                if (layout, name) == ("dump", "profile"):
                    options = options[:4]  # dumps are of bodies below city level
                assert set(options) <= seen[name], (layout, fmt, name, set(options) - seen[name])


def test_every_layout_and_format_reachable_without_flags() -> None:
    drawn = {pick_layout_format(7, i, None, None) for i in range(120)}
    assert {layout for layout, _ in drawn} == set(LAYOUTS) - {"scan"}  # scans on request
    assert {fmt for _, fmt in drawn} == set(FORMATS)


def test_every_label_variant_and_heading_title_reachable() -> None:
    used_labels: set[str] = set()
    used_titles: set[str] = set()
    for seed in SEEDS:
        for fmt in ("2021", "2019"):
            doc = build(seed, 0, "html", fmt)
            used_labels |= set(doc.variations["label_variants_used"].values())
            used_titles |= set(doc.variations["heading_titles_used"].values())

    def unofficial(labels: tuple[str, ...], fmt: str) -> set[str]:
        return set(labels) - {SPEC.official(labels, fmt)}

    variants = set()
    for fmt in ("2021", "2019"):
        for block in SPEC.blocks(fmt):
            for labelled in (block, *block.items, *block.fields):
                variants |= unofficial(labelled.labels, fmt)
        for row in SPEC.rows(fmt):
            variants |= unofficial(row.labels, fmt)
        for labelled in (*SPEC.app_columns, *SPEC.rl_blocks, *SPEC.rl_fields):
            variants |= unofficial(labelled.labels, fmt)
        variants |= {v for labels in SPEC.app_groups.values() for v in unofficial(labels, fmt)}
    assert variants <= used_labels, variants - used_labels
    titles = {t for s in SPEC.sections for t in s.titles[1:]}
    assert titles <= used_titles, titles - used_titles


def test_headings_use_patterns_numbering_and_titles() -> None:
    for seed in SEEDS:
        doc = build(seed, 0, "text", "2021")
        headings = [b for b in doc.blocks if b.kind == "heading"]
        assert [b.section for b in headings] == [1, 2, 3, 4, 5, 6]
        for b in headings:
            text = squash(simplified(b.text))
            match = next((m for p in SPEC.numbering if (m := p.match(text))), None)
            assert match, b.text
            assert text[match.end() :] in SPEC.sections[b.section - 1].titles, b.text


def test_title_carries_agency_and_year() -> None:
    for seed in SEEDS:
        doc = build(seed, 0, "html", "2021")
        assert str(doc.year) in doc.title
        assert doc.agency.removesuffix("人民政府") in simplified(doc.title)


# --- layouts -------------------------------------------------------------------------------


def test_html_declares_its_encoding() -> None:
    for seed in SEEDS:
        doc = build(seed, 0, "html", "2021")
        data = HtmlRenderer(doc, random.Random(seed)).render()
        declared = re.search(rb'charset="?([\w-]+)', data).group(1).decode()
        assert declared == doc.variations["encoding"]
        text = data.decode(declared)
        assert doc.title_lines[-1] in text and "rowspan=" in text and "colspan=" in text


def test_text_layouts_keep_tables(tmp_path: Path) -> None:
    for path in generate.generate(5, 10, tmp_path, "text") + generate.generate(
        5, 10, tmp_path, "markdown"
    ):
        doc_truth = json.loads(
            (tmp_path / "truth" / f"{path.stem}.json").read_text(encoding="utf-8")
        )
        text = decoded(path, doc_truth)
        assert str(doc_truth["year"]) in text
        if path.suffix == ".txt":
            assert any(line.count("\t") >= 9 for line in text.splitlines())
        else:
            assert any(line.startswith("|---") for line in text.splitlines())


def test_docx_keeps_merged_cells(tmp_path: Path) -> None:
    (path,) = generate.generate(6, 1, tmp_path, "docx", "2021")
    document = docx.Document(str(path))
    assert len(document.tables) >= 3
    xml = document.element.xml
    assert "w:vMerge" in xml and "w:gridSpan" in xml


# --- PDFs ----------------------------------------------------------------------------------

PDF_SEEDS = (5, 12)  # the first documents of these seeds cover the kinds of table-3 breaks


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> list[tuple[Path, dict]]:
    out = tmp_path_factory.mktemp("pdf")
    files = [p for seed in PDF_SEEDS for p in generate.generate(seed, 8, out, "pdf")]
    return [
        (p, json.loads((out / "truth" / f"{p.stem}.json").read_text(encoding="utf-8")))
        for p in files
    ]


def _pdf_doc(data: dict) -> Document:
    return build(data["generator"]["seed"], data["generator"]["index"], "pdf", data["format"])


def test_layout_check_finds_tables_drawn_over_each_other(tmp_path: Path) -> None:
    """What LibreOffice once made of a table-3 page break (a table and the next section's
    heading drawn over the rest of table 3) is found; two tables one after the other are not."""
    doc = build(1, 0, "pdf", "2021")
    heading = next(b.text for b in doc.blocks if b.kind == "heading" and b.section == 4)

    def ruled(page: pymupdf.Page, top: float, rows: int) -> None:
        for r in range(rows + 1):
            page.draw_line((60, top + 20 * r), (500, top + 20 * r))
        for x in (60, 200, 500):
            page.draw_line((x, top), (x, top + 20 * rows))
        page.insert_text((70, top + 14), "总计", fontname="china-s", fontsize=9)

    document = pymupdf.open()
    clean = document.new_page()
    ruled(clean, 80, 5)
    clean.insert_text((60, 220), heading, fontname="china-s", fontsize=12)
    ruled(clean, 240, 3)
    broken = document.new_page()
    ruled(broken, 80, 12)
    broken.insert_text((60, 110), heading, fontname="china-s", fontsize=12)
    ruled(broken, 120, 3)
    document.save(tmp_path / "x.pdf")
    problems = pdf.layout_problems(tmp_path / "x.pdf", doc)
    assert problems and all(p.startswith("page 2:") for p in problems)
    assert any("overlap" in p for p in problems) and any("drawn over" in p for p in problems)


@needs_soffice
def test_pdfs_draw_nothing_over_a_table(pdfs) -> None:
    """No generated PDF has two tables or a heading on top of each other (see docgen.generate)."""
    for path, data in pdfs:
        assert pdf.layout_problems(path, _pdf_doc(data)) == [], path.name


@needs_soffice
def test_pdfs_open_and_contain_labels(pdfs) -> None:
    for path, data in pdfs:
        doc = _pdf_doc(data)
        with pymupdf.open(path) as document:
            assert document.page_count >= 2
            text = squash("".join(page.get_text() for page in document))
        split = {b["split_label_row"] for b in data["variations"]["table3_pdf"]["breaks"]}
        for line in doc.title_lines:
            assert squash(line) in text
        for block in doc.blocks:
            if block.kind == "heading":
                assert squash(block.text) in text, (path.name, block.text)
            for grid in block.grids:
                for cell in grid.cells:
                    if cell.role in ("label", "block") and cell.key not in split:
                        assert squash(cell.text) in text, (path.name, cell.text)
        assert re.search(r"\d", text)


@needs_soffice
def test_pdf_table3_breaks_vary(pdfs) -> None:
    breaks = [b for _, data in pdfs for b in data["variations"]["table3_pdf"]["breaks"]]
    assert len({b["before_row"] for b in breaks}) >= 5
    assert any(b["split_label_row"] for b in breaks), "no page break through a multi-line label"


@needs_soffice
def test_pdf_toc_gives_the_pages_of_the_headings(pdfs) -> None:
    checked = 0
    for path, data in pdfs:
        if not (data["variations"]["toc"] and data["variations"]["toc_pages"]):
            continue
        doc = _pdf_doc(data)
        with pymupdf.open(path) as document:
            pages = [page.get_text() for page in document]
        toc_lines = [squash(line) for line in (pages[0] + pages[1]).splitlines()]
        for block in doc.blocks:
            if block.kind == "toc" and block.section:
                heading = squash(block.text)
                entry = next(line for line in toc_lines if line.startswith(heading))
                first = next(n for n, text in enumerate(pages) if n and heading in squash(text))
                assert entry.endswith(f".{first + 1}"), (path.name, entry)
                checked += 1
    assert checked


@needs_soffice
def test_scan_is_image_only(pdfs, tmp_path: Path) -> None:
    path, data = next((p, d) for p, d in pdfs if d["variations"]["vertical_label"] != "per_char")
    doc = _pdf_doc(data)
    doc.variations |= {"scan_dpi": 150, "scan_noise": "heavy", "scan_stamp": True}
    scan.rasterize(path, tmp_path / "a.pdf", doc)
    scan.rasterize(path, tmp_path / "b.pdf", doc)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    with pymupdf.open(path) as source, pymupdf.open(tmp_path / "a.pdf") as scanned:
        assert scanned.page_count == source.page_count
        for page in scanned:
            assert page.get_text().strip() == ""
            assert len(page.get_images()) == 1
        assert abs(scanned[0].rect.width - source[0].rect.width) < 8  # turned a little
        red = scanned[-1].get_pixmap(dpi=40)
        assert red.n == 3  # a colour scan: the seal
    assert all(abs(a) <= 0.5 for a in doc.variations["scan_rotation_deg"])


# --- variations ----------------------------------------------------------------------------


def test_count_splits_as_the_pingtan_notes_count() -> None:
    assert count_splits(["77", "132", "470"], None) == 21
    assert count_splits(["22", "0", "0", "0", "0", "0", "22"], 7) == 2
    assert count_splits(["80", "1", "0", "0", "0", "0", "81"], 7) == 1
    table4 = ["1", "1", "0", "0", "2", "4", "0", "0", "1", "5", "1", "0", "1", "0", "2"]
    assert count_splits(table4, 5) == 1
    assert count_splits(["—", "—", "3", "—", "—", "—", "3"], 7) == 1


def test_dump_runs_cells_together_and_names_ambiguous_rows(tmp_path: Path) -> None:
    ambiguous = 0
    shapes = set()
    for path in generate.generate(3, 40, tmp_path, "dump"):
        data = json.loads((tmp_path / "truth" / f"{path.stem}.json").read_text(encoding="utf-8"))
        text = decoded(path, data)
        assert "\t" not in text and "|" not in text
        shape = data["variations"]["dump_cells"]
        shapes.add(shape)
        doc = build(3, data["generator"]["index"], "dump", data["format"])
        rows = {}
        for grid in next(b for b in doc.blocks if b.table == "applications").grids:
            for row in grid.by_row():
                cells = [c.text for c in row if c.role == "value"]
                if cells:
                    rows[grid.row_key(row[-1].row)] = cells
                    if shape == "run_together":  # label, digits, nothing between
                        assert "".join(row_text(row)) in text
                    elif shape == "line_per_cell":  # every value on a line (or two) of its own
                        assert "\r\n" in text and all(c.strip()[:1] in text for c in cells)
        listed = set(data["variations"]["dump_ambiguous_rows"]) - {"review_litigation"}
        assert listed == {key for key, cells in rows.items() if count_splits(cells, 7) > 1}
        ambiguous += len(listed)
        if listed:
            assert any(n.startswith("AMBIGUOUS") for n in data["notes"])
    assert 0 < ambiguous < 40 * 26 * 0.15  # most rows split one way
    assert shapes == {"run_together", "spaced_some", "line_per_cell", "drop_empty",
                      "merge_equal"}


def row_text(row) -> list[str]:
    return [c.text.replace("\n", "") for c in row if c.role in ("label", "value")]


def test_no_value_markers_units_and_separators_read_back() -> None:
    """ "/", "无", "12件" and "1，234" occur, and read back as their truth (see parse_cell)."""
    texts = set()
    for seed in range(150):
        doc = build(seed, 0, "html", "2021")
        texts |= {c.text for b in doc.blocks for g in b.grids for c in g.cells if c.key}
    markers = {SPEC.null_markers[k][0] for k in ("dash", "slash", "none")}
    assert markers <= texts
    assert any(t.endswith(SPEC.count_units[0]) for t in texts)
    assert any("，" in t for t in texts) and any("," in t for t in texts)


def test_table3_in_two_blocks_under_two_headers() -> None:
    doc = next(
        d
        for seed in SEEDS
        if (d := build(seed, 0, "text", "2019")).variations["table3_blocks"] == "two_headers"
    )
    first, second = next(b for b in doc.blocks if b.table == "applications").grids
    assert [first.row_key(r) for r in range(3, first.n_rows)] == ["new_received", "carried_over"]
    assert second.row_key(second.n_rows - 1) == "carried_forward"
    column = next(c for c in SPEC.app_columns if c.key == "social_welfare")
    words = [
        {c.text for c in g.cells if c.key == "social_welfare" and c.role == "header"}
        for g in (first, second)
    ]
    assert {w.replace("\n", "") for w in words[0]} == {column.labels[1]}
    assert {w.replace("\n", "") for w in words[1]} == {column.labels[0]}


def test_distractor_table_sits_in_section_one() -> None:
    kinds = set()
    for seed in SEEDS:
        doc = build(seed, 0, "markdown", "2021")
        kinds.add(doc.variations["distractor_table"])
        sections = [b.section for b in doc.blocks if b.kind == "heading"]
        tables = [b.table for b in doc.blocks if b.kind == "table"]
        if doc.variations["distractor_table"]:
            assert tables[0] == "distractor" and sections[0] == 1
            index = doc.blocks.index(next(b for b in doc.blocks if b.table == "distractor"))
            before = [b.section for b in doc.blocks[:index] if b.kind == "heading"]
            assert before == [1]
    assert kinds == {None, "insurance_rates", "publication_stats"}


def test_traditional_documents_in_utf8_and_big5(tmp_path: Path) -> None:
    seen = set()
    for layout in ("html", "text", "dump"):
        for path in generate.generate(21, 40, tmp_path, layout):
            data = json.loads((tmp_path / "truth" / f"{path.stem}.json").read_text("utf-8"))
            if data["variations"]["script"] != "traditional":
                continue
            text = re.sub(r"<[^>]+>", "", decoded(path, data))  # HTML splits labels in spans
            seen.add((layout, data["variations"]["encoding"]))
            assert "政府信息公開" in text and "政府信息公开" not in text
            assert any(label in simplified(text) for label in SPEC.rows("2021")[0].labels)
    assert {encoding for _, encoding in seen} >= {"utf-8", "big5"}


def test_chinese_numerals() -> None:
    assert [cn_number(n) for n in (0, 7, 10, 12, 29, 100, 105, 320, 1005, 10040, 29130)] == [
        "零",
        "七",
        "十",
        "十二",
        "二十九",
        "一百",
        "一百零五",
        "三百二十",
        "一千零五",
        "一万零四十",
        "二万九千一百三十",
    ]
    spelled = 0
    for seed in SEEDS:
        doc = build(seed, 0, "html", "2021")
        if doc.variations["prose_numerals"] == "chinese_small":
            spelled += bool(re.search("[一二三四五六七八九十]+件", simplified(prose_text(doc))))
    assert spelled >= 2


def test_decisions_label_follows_the_format() -> None:
    """处理决定数量 in the 2019 template, 本年处理决定数量 in the 2021 one (the official
    blank 2021 template prints it), when a document keeps the official wording."""
    decisions = SPEC.fields["decisions"].labels
    for fmt, want in (("2019", decisions[0]), ("2021", decisions[1])):
        for seed in SEEDS:
            doc = build(seed, 0, "text", fmt)
            if doc.variations["label_variants"] == "official":
                headers = {
                    c.text.replace("\n", "")
                    for b in doc.blocks
                    for g in b.grids
                    for c in g.cells
                    if c.key == "decisions"
                }
                assert {simplified(h) for h in headers} == {want}, (fmt, seed)


# --- series ---------------------------------------------------------------------------------


def test_series_is_consistent_across_years() -> None:
    cols = [c.key for c in SPEC.app_columns]
    claims = 0
    for index in range(4):
        reports = build_series(31, index, 2019, 2025)
        assert [r.year for r in reports] == list(range(2019, 2026))
        assert [r.fmt for r in reports] == ["2019", "2019"] + ["2021"] * 5
        assert len({r.agency for r in reports}) == 1
        for before, now in itertools.pairwise(reports):
            for col in cols:  # drawn values: rule 7 holds but for misprints
                assert (
                    now.drawn[f"applications.carried_over.{col}"]
                    == before.drawn[f"applications.carried_forward.{col}"]
                )
            for key, value in now.drawn.items():
                item = key.rsplit(".", 1)[0]
                if key.endswith(".prior_items") and before.fmt == "2019":
                    assert value == before.drawn[key] + before.drawn[f"{item}.change"]
                if key.endswith(".in_force") and before.fmt == "2021":
                    expected = (
                        before.drawn[key]
                        + now.drawn[f"{item}.made"]
                        - now.drawn[f"{item}.repealed"]
                    )
                    broken = now.variations.get("in_force_break") or {}
                    assert value == expected or broken.get("cell") == key
            data = truth(now, "x", before)
            assert data["series"]["previous"] == before.name and data["year"] == now.year
            listed = {
                (f["rule"].split()[0], tuple(f["cells"])) for f in data["published_inconsistencies"]
            }
            cross = audit.check_years(
                SPEC, before.fmt, before.truth_values, now.fmt, now.truth_values, now.printed
            )
            assert {(f["rule"].split()[0], tuple(f["cells"])) for f in cross} <= listed
            for f in cross:
                if f["rule"].startswith("9"):
                    assert f["severity"] == "warning" and now.variations["in_force_break"]
                else:  # rule 7 fails only where one of the two years misprinted the cell
                    printed = {c["cell"] for c in before.injected + now.injected}
                    col = f["cells"][0].rsplit(".", 1)[1]
                    assert {f["cells"][0], f"applications.carried_forward.{col}"} & printed
            # year on year: "较上年增长12.50%" against last year's 本年新收
            text = simplified(prose_text(now))
            for m in re.finditer(r"(?:较上年|比\d{4}年)(增长|下降)([\d.]+)%", text):
                last = before.truth_values["applications.new_received.total"] or 0
                current = now.truth_values["applications.new_received.total"] or 0
                change = Decimal(abs(current - last)) / last * 100
                places = Decimal(1).scaleb(-len(m.group(2).split(".")[1]))
                assert Decimal(m.group(2)) == change.quantize(places, "ROUND_HALF_UP")
                assert (m.group(1) == "增长") == (current > last)
                claims += 1
    assert claims >= 5


def test_series_files_say_body_and_year(tmp_path: Path) -> None:
    files = generate.generate(4, 1, tmp_path, "html", series=(2019, 2022))
    assert [p.name for p in files] == [
        f"gen_s4_000_y{year}_html_{'2019' if year < 2021 else '2021'}.html"
        for year in range(2019, 2023)
    ]
    previous = None
    for path in files:
        data = json.loads((tmp_path / "truth" / f"{path.stem}.json").read_text("utf-8"))
        assert data["series"]["body"] == "s4-000" and data["series"]["year"] == data["year"]
        assert data["series"]["previous"] == previous
        previous = path.stem


# --- checked-in files ----------------------------------------------------------------------


def test_filled_template_matches_huaian_truth() -> None:
    truth_file = json.loads((CORPUS / "truth" / "huaian_city_2024.json").read_text("utf-8"))
    filled = docx.Document(str(FIXTURES / "huaian_city_2024_filled.docx"))
    blank = docx.Document(str(TEMPLATE_2021))
    cells = template_cells(filled, SPEC)
    for key, value in truth_file["values"].items():
        assert cells[key].text == ("" if value is None else str(value)), key
    for tag in ("w:gridSpan", "w:vMerge", "w:tcW"):
        assert filled.element.xml.count(tag) == blank.element.xml.count(tag), tag


def test_sample_regenerates_identically(tmp_path: Path) -> None:
    """The checked-in sample is what the generator makes now (see fixtures/README.md)."""
    sample = FIXTURES / "generated"
    for p in sample.iterdir():
        if p.suffix not in (".docx", ".html", ".txt", ".md"):
            continue  # PDFs take LibreOffice, and the PDF tests above check them
        data = json.loads((sample / "truth" / f"{p.stem}.json").read_text(encoding="utf-8"))
        seed, index = data["generator"]["seed"], data["generator"]["index"]
        doc = build(seed, index, data["variations"]["layout"], data["format"])
        assert generate.render(doc) == p.read_bytes(), f"regenerate {p.name}"
        assert json.loads(json.dumps(truth(doc, p.name), ensure_ascii=False)) == data, p.name


@pytest.mark.parametrize("partial_pdf, stale_pdfs", [(True, False), (False, True)])
def test_a_stuck_soffice_is_killed_and_its_document_reported(tmp_path, monkeypatch,
                                                            partial_pdf, stale_pdfs):
    """Some layouts send LibreOffice into an endless layout loop (it has often created the PDF
    it will never finish): the conversion must kill it (and its children), keep the others,
    and name the stuck document so it is laid out again; PDFs left by an earlier attempt must
    not pass for this one's."""
    fake = tmp_path / "soffice"
    start = r"printf '%%PDF-1.7\n' > \"$outdir/$name.pdf\"; " if partial_pdf else ""
    fake.write_text(r"""#!/bin/bash
while [[ $1 != --outdir ]]; do shift; done
outdir=$2; shift 2
for f in "$@"; do
    name=$(basename "$f" .docx)
    if [[ $name == *stuck* ]]; then """ + start + r"""sleep 987 & wait; fi
    printf '%%PDF-1.7\n%%%%EOF\n' > "$outdir/$name.pdf"
done
""")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf, "soffice", lambda: str(fake))
    monkeypatch.setattr(pdf, "STUCK_S", 1.0)
    files = [tmp_path / f"{name}.docx" for name in ("a", "stuck", "b")]
    for file in files:
        file.write_bytes(b"docx")
    out = tmp_path / "out"
    out.mkdir()
    if stale_pdfs:
        for file in files:
            (out / f"{file.stem}.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    assert pdf.convert(files, out, jobs=1) == [files[1]]
    assert sorted(p.name for p in out.iterdir()) == ["a.pdf", "b.pdf"]
    import psutil

    assert not [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", "987"]]
