"""The legacy arithmetic L1–L5 (patterns/rules.yaml) over the corpus legacy reports: the
published inconsistencies of their truth files are found, and nothing else is an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor import extract
from extractor.audit import audit, audit_series
from extractor.audit.html import render_html
from extractor.schema import RELIABLE, Meta, Report, Value

from .conftest import CORPUS

LEGACY = CORPUS / "legacy"
REPORTS = sorted(p.name for p in LEGACY.glob("*.txt"))


def truth(name: str) -> dict:
    return json.loads((LEGACY / "truth" / f"{Path(name).stem}.json").read_text(encoding="utf-8"))


def previous_year(values: dict[str, int], year: int, source: str = "previous.txt") -> Report:
    """The previous report of a body, holding only the running totals a truth file quotes."""
    return Report(
        meta=Meta(source=source, path=source, sha256="0" * 64, kind="text", page_count=1,
                  year=year, format="legacy", extractor_version="test"),
        values=[Value(key=k, table="legacy", value=v, raw=str(v), confidence=1.0)
                for k, v in values.items()])


@pytest.mark.parametrize("name", REPORTS)
def test_published_inconsistencies_found_and_no_other_error(name):
    expected = truth(name)
    result = audit(extract(LEGACY / name))
    within = [i for i in expected["published_inconsistencies"] if not i["rule"].startswith("L2")]
    for item in within:
        level = item["rule"].split()[0]  # L1, L4, L5
        matching = [f for f in result.findings if f.rule.startswith(level + "_")
                    and (set(item["cells"]) & {c.key for c in f.cells} or level == "L5")]
        assert matching, item["rule"]
        assert any(f.severity == item["severity"] for f in matching), item["rule"]
    errors = [f for f in result.findings if f.severity == "error"]
    allowed = [i for i in within if i["severity"] == "error"]
    assert len(errors) == len(allowed), [f.message_en for f in errors]


@pytest.mark.parametrize("name, before, year, rule_cells", [
    # Running totals of the previous report, as the truth files quote them.
    ("pingtan_shiyanqu_2013.txt", {"legacy.active.total.cumulative": 4359}, 2012,
     {"legacy.active.total.cumulative": (77163, 76424)}),
    ("putian_tongjiju_2015.txt", {"legacy.active.total.cumulative": 3015}, 2014,
     {"legacy.active.total.cumulative": (3384, 3388)}),
    ("pingtan_shiyanqu_2016.txt",
     {"legacy.applications.received.cumulative": 1, "legacy.applications.letter_or_fax.cumulative": 1,
      "legacy.responses.total.cumulative": 1, "legacy.responses.granted.cumulative": 1,
      "legacy.active.total.cumulative": 81916}, 2015,
     {"legacy.applications.received.cumulative": (1, 0),
      "legacy.applications.letter_or_fax.cumulative": (1, 0),
      "legacy.responses.total.cumulative": (1, 0), "legacy.responses.granted.cumulative": (1, 0)}),
    ("sanming_city_2014.txt", {"legacy.review_litigation.review.cumulative": 1,
                               "legacy.review_litigation.complaints.cumulative": 0}, 2013,
     {"legacy.review_litigation.review.cumulative": (1, 0),
      "legacy.review_litigation.complaints.cumulative": (0, 1)}),
])
def test_running_totals_across_years(name, before, year, rule_cells):
    report = extract(LEGACY / name)
    result = audit(report, previous_year(before, year))
    found = {f.cells[0].key: (f.expected, f.actual) for f in result.findings
             if f.rule == "L2_running_total"}
    assert found == rule_cells
    finding = next(f for f in result.findings if f.rule == "L2_running_total")
    assert finding.severity == "error" and finding.likely_cause == "publisher"
    assert {c.year for c in finding.cells} == {year, None}  # both years' cells


def test_consecutive_corpus_years_chain():
    reports = [extract(LEGACY / n) for n in ("pingtan_shiyanqu_2013.txt",
                                              "pingtan_shiyanqu_2014.txt")]
    later = audit_series(reports)[1]
    tally = next(t for t in later.rules if t.rule == "L2_running_total")
    # 76424 + 2543 = 78967 and every other row chains too.
    assert later.previous == "pingtan_shiyanqu_2013.txt"
    assert tally.checked >= 10 and tally.failed == 0


def test_findings_show_their_evidence_in_html():
    report = extract(LEGACY / "pingtan_shiyanqu_2013.txt")
    result = audit(report)
    prose = next(f for f in result.findings if f.rule == "L4_prose_vs_table")
    assert prose.claim and "4970" in prose.claim
    page = render_html([(report, result)])
    assert "<mark>72804</mark>" in page and "<mark>4970条</mark>" in page


def test_a_modern_report_is_not_checked_by_legacy_rules():
    result = audit(extract(CORPUS / "pingtan_2024_page.txt"))
    assert not [t for t in result.rules if t.rule.startswith("L")]


# -- never a confident wrong number, whatever the digits ------------------------------------------

ANSWERS = ("同意公开答复数", "同意部分公开答复数", "不予公开答复数", "其他类型答复数")
CHANNELS = ("当面申请数", "网上申请数", "信函、传真申请数")


@st.composite
def consistent_table(draw):
    """A 统计表 whose L1 and L3 hold: (label, key, this year, running total) rows."""
    small = st.integers(0, 30)
    base = st.integers(0, 400)

    def pair(year: int) -> tuple[int, int]:
        return year, year + draw(base)

    channels = [draw(small) for _ in CHANNELS]
    answers = [draw(small) for _ in ANSWERS]
    total = draw(st.integers(0, 3000))
    rows = [("主动公开文件数", "active.total", *pair(total)),
            ("其中：1、政府网站公开数", "active.website", total, None),
            ("受理依申请公开信息总数", "applications.received", *pair(sum(channels)))]
    rows += [(f"{i}、{label}", f"applications.{key}", *pair(value)) for i, (label, key, value)
             in enumerate(zip(CHANNELS, ("in_person", "online", "letter_or_fax"), channels), 1)]
    rows.append(("对申请的答复总数", "responses.total", *pair(sum(answers))))
    rows += [(f"{i}、{label}", f"responses.{key}", *pair(value)) for i, (label, key, value)
             in enumerate(zip(ANSWERS, ("granted", "partially_granted", "denied", "other"),
                              answers), 1)]
    rows.append(("行政复议数", "review_litigation.review", *pair(draw(small))))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=consistent_table(), run_together=st.booleans())
def test_digit_runs_never_give_a_confident_wrong_number(tmp_path, rows, run_together):
    """Whatever the cells, a value read with confidence ≥ 0.9 is the printed one."""
    separator = "" if run_together else " "
    cells = []
    for label, _, year, running in rows:
        website = running is None  # 网站 copies 主动公开's running total
        running = rows[0][3] if website else running
        cells.append(separator.join([label, "条", str(year), str(running)]))
    text = ("平潭综合实验区2014年度政府信息公开工作年度报告\n平潭综合实验区政府信息公开情况统计表 "
            "指标名称 计量单位 2014年度 历年累计 " + separator.join(cells))
    path = tmp_path / "generated.txt"
    path.write_text(text, encoding="utf-8")
    report = extract(path)
    truth_values = {}
    for _, key, year, running in rows:
        truth_values[f"legacy.{key}"] = year
        truth_values[f"legacy.{key}.cumulative"] = rows[0][3] if running is None else running
    for key, value in truth_values.items():
        got = report.get(key)
        if got is not None and got.confidence >= RELIABLE:
            assert got.value == value, (key, got.value, value, got.note)
    if not run_together:
        assert all(report.value(k) == v for k, v in truth_values.items())


def test_eval_scores_legacy_reports_and_their_findings():
    from extractor.evaluate import evaluate

    documents = [LEGACY / name for name in REPORTS]
    result = evaluate(documents, LEGACY / "truth", extract)
    assert result.exact_rate == 1.0
    # Each published inconsistency is matched, but those that need the previous year's report.
    for score in result.documents:
        items = truth(score.file)["published_inconsistencies"]
        assert score.findings_matched == sum(not i["rule"].startswith("L2") for i in items)
        assert score.unexpected_errors == []
