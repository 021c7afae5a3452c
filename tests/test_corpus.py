"""Every printed cell of the real reports comes out exactly, under its canonical key."""

from decimal import Decimal

import pytest

from extractor import extract
from extractor.schema import Report

from .conftest import CORPUS, differences, truth

DOCUMENTS = ["seed_shanghai_2020.txt", "huaian_city_2024.pdf", "shuyang_county_fgj_2023.html",
             "sanming_city_2019.txt", "sanming_city_2021.txt", "sanming_city_2023.txt",
             "pingtan_gonganju_2021.txt"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_truth_cell_exact(name):
    stem = name.rsplit(".", 1)[0]
    expected = truth(stem)
    report = extract(CORPUS / name)
    assert differences(report, expected) == {"wrong": {}, "extra": {}}
    assert report.meta.format == expected["format"]
    assert report.meta.year == expected["year"]


def test_blank_cells_are_null_not_zero():
    report = extract(CORPUS / "shuyang_county_fgj_2023.html")
    blank = report.get("applications.new_received.commercial")
    assert blank.value is None and blank.null_reason == "blank" and blank.raw == ""
    assert report.value("applications.new_received.natural_person") == 26


def test_values_carry_provenance_pdf():
    report = extract(CORPUS / "huaian_city_2024.pdf")
    v = report.get("applications.new_received.total")
    assert (v.value, v.raw, v.page, v.confidence) == (3119, "3119", 4, 1.0)
    x0, y0, x1, y1 = v.bbox
    assert 0 < x0 < x1 <= 595 and 0 < y0 < y1 <= 842
    # Rows after the page break come from page 5.
    assert report.get("applications.unavailable.needs_creation.total").page == 5
    assert report.get("review_litigation.review.total").value == 351


def test_values_carry_provenance_text():
    report = extract(CORPUS / "seed_shanghai_2020.txt")
    text = (CORPUS / "seed_shanghai_2020.txt").read_text(encoding="utf-8")
    for key in ("applications.new_received.total", "active.procurement.amount_yuan",
                "active.licensing.change"):
        v = report.get(key)
        assert text[v.span[0]:v.span[1]] == v.raw
    assert report.get("active.procurement.amount_yuan").raw == "27225290916元"
    assert report.value("active.licensing.change") == -183
    assert report.value("active.other_services.change") == 5174


def test_sections_found_with_pages():
    report = extract(CORPUS / "huaian_city_2024.pdf")
    assert [(s.number, s.page_start) for s in report.sections] == [
        (1, 1), (2, 3), (3, 4), (4, 5), (5, 5), (6, 6)]


def test_derived_group_totals_are_marked_and_separate():
    report = extract(CORPUS / "huaian_city_2024.pdf")
    assert "applications.denied.total.total" not in report.as_dict()
    derived = report.get("applications.denied.total.total")
    assert derived.derived and derived.value == 2 + 31 + 5 + 6 + 8 + 12 + 9 + 105
    # The 2019 format prints （六）其他处理 itself: nothing derived for it.
    seed = extract(CORPUS / "seed_shanghai_2020.txt")
    assert not seed.get("applications.other.total.total").derived


def test_to_frame_is_tidy():
    report = extract(CORPUS / "seed_shanghai_2020.txt")
    frame = report.to_frame()
    assert len(frame) == 198
    row = frame.set_index("key").loc["applications.new_received.total"]
    assert (row["value"], row["raw"], row["table"]) == (29130, "29130", "applications")


def test_to_json_round_trips_through_the_schema():
    report = extract(CORPUS / "huaian_city_2024.pdf")
    again = Report.model_validate_json(report.to_json(indent=2))
    assert again.get("active.fees.amount_10k_yuan").value == Decimal("96171.6")
    assert again == report


def test_filled_official_template_reads_back_exactly():
    """The blank 2021 template filled with the Huai'an values (python -m docgen.fill_template)."""
    report = extract(CORPUS.parent / "huaian_city_2024_filled.docx")
    assert differences(report, truth("huaian_city_2024")) == {"wrong": {}, "extra": {}}
    assert report.meta.kind == "docx" and report.meta.format == "2021"
    # Merged cells come back as spans and their values once.
    assert report.get("active.licensing.decisions").raw == "447228"
