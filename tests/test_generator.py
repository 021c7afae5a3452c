"""The fixture generator (fixtures/generate.py): determinism, truth files, reachability, PDFs.

These tests need no extractor. Tests that convert to PDF are skipped when LibreOffice is missing.
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import docx
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import generate
from fill_template import template_cells
from gen import pdf
from gen.render_html import HtmlRenderer
from gen.report import build, pick_layout_format, truth, variations_for
from gen.spec import FORMATS, load_spec
from gen.variations import LAYOUTS, REPORT, space

SPEC = load_spec()
SEEDS = range(60)  # the fixed seed list every option must be reachable from
needs_soffice = pytest.mark.skipif(
    pdf.soffice() is None, reason="LibreOffice (soffice) not installed"
)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["html", "text", "markdown", "docx"])
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
    """The same seed, index and format give the same agency and numbers in every layout."""
    docs = [build(9, 2, layout, "2021") for layout in LAYOUTS]
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
        data = truth(doc, "x", 0, 0)
        listed = {
            (f["rule"].split()[0], tuple(f["cells"])) for f in data["published_inconsistencies"]
        }
        assert listed == failing_rules(doc.fmt, data["values"]), doc.name
        changed = {c["cell"] for c in doc.injected}
        if not changed:
            assert not listed, doc.name
            continue
        injected_docs += 1
        for cell in changed:  # every injected cell breaks at least one listed rule
            assert any(cell in cells for _, cells in listed), (doc.name, cell)
        for f in data["published_inconsistencies"]:
            assert f["severity"] == "error" and f["likely_cause"] == "publisher"
            assert f["expected"] != f["printed"]
    assert injected_docs > 5


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


def parse_cell(text: str, key: str, header_unit: str) -> Decimal | int | None:
    """A printed cell back to its canonical value (what an extractor should produce)."""
    text = unicodedata.normalize("NFKC", text).replace(",", "")
    if text in ("", "—"):
        return None
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
                    c.key: "万元" if "万元" in c.text else ""
                    for c in grid.cells
                    if c.role == "header"
                }
                for cell in grid.cells:
                    if cell.role == "value":
                        field = cell.key.rsplit(".", 1)[1]
                        got = parse_cell(cell.text, cell.key, header_units.get(field, ""))
                        want = doc.truth_values[cell.key]
                        want = Decimal(str(want)) if isinstance(want, float) else want
                        assert got == want, (doc.name, cell.key, cell.text)


def test_every_value_is_printed_once() -> None:
    for doc in all_documents():
        keys = [c.key for b in doc.blocks for g in b.grids for c in g.cells if c.role == "value"]
        assert sorted(keys) == sorted(doc.truth_values), doc.name


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
            for seed in SEEDS:
                for name, value in variations_for(seed, 0, layout, fmt).items():
                    seen[name].add(value)
            for name, options in (space(layout, fmt) | REPORT).items():
                assert set(options) <= seen[name], (layout, fmt, name, set(options) - seen[name])


def test_every_layout_and_format_reachable_without_flags() -> None:
    drawn = {pick_layout_format(7, i, None, None) for i in range(60)}
    assert {layout for layout, _ in drawn} == set(LAYOUTS)
    assert {fmt for _, fmt in drawn} == set(FORMATS)


def test_every_label_variant_and_heading_title_reachable() -> None:
    used_labels: set[str] = set()
    used_titles: set[str] = set()
    for seed in SEEDS:
        for fmt in ("2021", "2019"):
            doc = build(seed, 0, "html", fmt)
            used_labels |= set(doc.variations["label_variants_used"].values())
            used_titles |= set(doc.variations["heading_titles_used"].values())
    variants = set()
    for fmt in ("2021", "2019"):
        for block in SPEC.blocks(fmt):
            for labelled in (block, *block.items, *block.fields):
                variants |= set(labelled.labels[1:])
        for row in SPEC.rows(fmt):
            variants |= set(row.labels[1:])
    for labelled in (*SPEC.app_columns, *SPEC.rl_blocks, *SPEC.rl_fields):
        variants |= set(labelled.labels[1:])
    variants |= {label for labels in SPEC.app_groups.values() for label in labels[1:]}
    assert variants <= used_labels, variants - used_labels
    titles = {t for s in SPEC.sections for t in s.titles[1:]}
    assert titles <= used_titles, titles - used_titles


def test_headings_use_patterns_numbering_and_titles() -> None:
    for seed in SEEDS:
        doc = build(seed, 0, "text", "2021")
        headings = [b for b in doc.blocks if b.kind == "heading"]
        assert [b.section for b in headings] == [1, 2, 3, 4, 5, 6]
        for b in headings:
            text = squash(b.text)
            match = next((m for p in SPEC.numbering if (m := p.match(text))), None)
            assert match, b.text
            assert text[match.end() :] in SPEC.sections[b.section - 1].titles, b.text


def test_title_carries_agency_and_year() -> None:
    for seed in SEEDS:
        doc = build(seed, 0, "html", "2021")
        assert str(doc.year) in doc.title
        assert doc.agency.removesuffix("人民政府") in doc.title


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
        text = path.read_text(encoding="utf-8")
        doc_truth = json.loads(
            (tmp_path / "truth" / f"{path.stem}.json").read_text(encoding="utf-8")
        )
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


@needs_soffice
def test_pdfs_open_and_contain_labels(pdfs) -> None:
    import pymupdf

    for path, data in pdfs:
        doc = build(data["generator"]["seed"], data["generator"]["index"], "pdf", data["format"])
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


# --- checked-in files ----------------------------------------------------------------------


HUAIAN_TRUTH = [
    FIXTURES / "corpus" / "truth" / "huaian_city_2024.json",
    Path("/work/shared/corpus/truth/huaian_city_2024.json"),
]


def test_filled_template_matches_huaian_truth() -> None:
    found = [p for p in HUAIAN_TRUTH if p.exists()]
    if not found:
        pytest.skip("huaian_city_2024.json truth not available")
    truth_file = json.loads(found[0].read_text(encoding="utf-8"))
    filled = docx.Document(str(FIXTURES / "huaian_city_2024_filled.docx"))
    blank = docx.Document(str(FIXTURES / "template_2021_blank.docx"))
    cells = template_cells(filled, SPEC)
    for key, value in truth_file["values"].items():
        assert cells[key].text == ("" if value is None else str(value)), key
    for tag in ("w:gridSpan", "w:vMerge", "w:tcW"):
        assert filled.element.xml.count(tag) == blank.element.xml.count(tag), tag


def test_sample_is_small_and_complete() -> None:
    sample = FIXTURES / "generated"
    docs = [
        p
        for p in sample.iterdir()
        if p.is_file() and p.suffix in (".pdf", ".docx", ".html", ".txt", ".md")
    ]
    assert len(docs) >= 5
    assert sum(p.stat().st_size for p in sample.rglob("*") if p.is_file()) < 1_000_000
    for p in docs:
        data = json.loads((sample / "truth" / f"{p.stem}.json").read_text(encoding="utf-8"))
        assert data["file"] == p.name


def test_sample_regenerates_identically(tmp_path: Path) -> None:
    """The checked-in sample is what the generator makes now (see fixtures/README.md)."""
    sample = FIXTURES / "generated"
    for p in sample.iterdir():
        if p.suffix not in (".docx", ".html", ".txt", ".md"):
            continue
        data = json.loads((sample / "truth" / f"{p.stem}.json").read_text(encoding="utf-8"))
        seed, index = data["generator"]["seed"], data["generator"]["index"]
        doc = build(seed, index, data["variations"]["layout"], data["format"])
        assert generate.render(doc, seed, index) == p.read_bytes(), f"regenerate {p.name}"
