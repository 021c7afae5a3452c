"""claims.py alone: what each number stated in a sentence counts.

Each case is one verbatim sentence of a real report (fixtures/corpus), under its section
heading, read as the pipeline reads the prose: the claims it yields, in order, as (id, value,
unit, subject); shares, rates and changes also say which earlier claim they refer to.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from extractor.claims import claim_agrees, extract_claims
from extractor.knowledge import Knowledge
from extractor.load.text import load_text
from extractor.segment import segment

OVERVIEW = "一、总体情况"


@pytest.fixture(scope="module")
def knowledge():
    return Knowledge.default()


def claims_in(knowledge, *lines: str, heading: str = OVERVIEW):
    document = load_text(Path("report.txt"), "\n".join([heading, *lines]), "0" * 64)
    return document, extract_claims(document, segment(document, knowledge.headings),
                                    knowledge.claims)


def plain(claims) -> list[tuple]:
    return [(c.id, c.value, c.unit, c.subject) for c in claims]


def test_applications_received_handled_and_carried(knowledge):
    """Huaian 2024, as its PDF lines wrap: the sentence runs over four lines."""
    document, claims = claims_in(knowledge,
                                 "和针对性。2024年，全市共受理政府信息公开申请3119件，答",
                                 "复3050件（含上年度结转申请34件，另有103件顺延到下年度",
                                 "答复），均在法定期限内予以答复。")
    assert plain(claims) == [("received", 3119, "件", None), ("handled", 3050, "件", None),
                             ("carried_over", 34, "件", None),
                             ("carried_forward", 103, "件", None)]  # read from the words after it
    # Provenance: the span points at the figure as printed, across the line break if need be.
    span = claims[1].span
    assert document.text[span[0]:span[1]] == "3050件" and claims[1].raw == "3050件"


def test_outcomes_of_review_and_litigation_follow_the_subject_named_before_them(knowledge):
    """Huaian 2024: the same words (结果维持) count review outcomes, then litigation ones."""
    _, claims = claims_in(knowledge,
                          "政府信息公开行政复议351",
                          "件，其中结果维持72件，结果纠正64件，其他结果178件，尚",
                          "未审结37件；政府信息公开行政诉讼46件，其中结果维持25",
                          "件，结果纠正5件，其他结果9件，尚未审结7件。")
    assert plain(claims) == [
        ("review_total", 351, "件", "review"), ("upheld", 72, "件", "review"),
        ("corrected", 64, "件", "review"), ("other_result", 178, "件", "review"),
        ("pending", 37, "件", "review"), ("litigation_total", 46, "件", "litigation"),
        ("upheld", 25, "件", "litigation"), ("corrected", 5, "件", "litigation"),
        ("other_result", 9, "件", "litigation"), ("pending", 7, "件", "litigation")]


def test_shares_refer_to_the_count_before_them(knowledge):
    """Shanghai 2020: each outcome with its share of the applications handled."""
    _, claims = claims_in(knowledge,
                          "予以公开及部分公开11796件,占41.53%;不予公开1095件,占3.85%;因本机关不掌握"
                          "等原因无法提供11583件,占40.78%;因重复申请等原因不予处理1027件,占3.62%;"
                          "其他处理2905件,占10.23%。")
    assert [(c.id, c.value) for c in claims] == [
        ("granted_or_partially_granted", 11796), ("share", Decimal("41.53")),
        ("denied", 1095), ("share", Decimal("3.85")), ("unavailable", 11583),
        ("share", Decimal("40.78")), ("not_processed", 1027), ("share", Decimal("3.62")),
        ("other_processed", 2905), ("share", Decimal("10.23"))]
    shares = [c for c in claims if c.role == "share"]
    assert [claims[c.refers_to].value for c in shares] == [11796, 1095, 11583, 1027, 2905]
    assert shares[0].decimals == 2


def test_a_rate_names_its_numerator_and_base_and_a_change_its_claim(knowledge):
    """Shanghai 2020: 纠错率 is corrected ÷ the reviews; 上升0.87个百分点 changes the rate."""
    _, claims = claims_in(knowledge, "信息公开类行政复议813件,其中,结果纠正42件,纠错率为5.17%,"
                                     "较2019年上升0.87个百分点。")
    assert plain(claims) == [("review_total", 813, "件", "review"),
                             ("corrected", 42, "件", "review"),
                             ("correction_rate", Decimal("5.17"), "%", "review"),
                             ("change", Decimal("0.87"), "个百分点", None)]
    rate, change = claims[2], claims[3]
    assert (rate.numerator, rate.base) == (1, 0)
    assert (change.refers_to, change.direction, change.compared_year) == (2, 1, 2019)


def test_item_counts_and_their_year_on_year_changes(knowledge):
    """Shanghai 2020's table-2 items in prose: 比2019年减少183项 changes the count before it."""
    _, claims = claims_in(knowledge,
                          "2020年,通过“一网通办”总门户集中公开权责清单和公共服务事项清单,其中行政许可"
                          "710项,比2019年减少183项;行政处罚4312项,比2019年增加3项;行政强制261项,"
                          "与2019年持平(说明:此三项数据统计为全市去重数)。")
    assert [(c.id, c.value, c.refers_to, c.direction) for c in claims] == [
        ("item.licensing", 710, None, None), ("change", 183, 0, -1),
        ("item.punishment", 4312, None, None), ("change", 3, 2, 1),
        ("item.coercion", 261, None, None)]


def test_table_two_figures_in_prose_and_numbers_no_pattern_explains(knowledge):
    """Pingtan 2024: 制发行政规范性文件62件 is table 二's normative documents made; Huaian
    2024: of 5500余条, 规章1件, 政策性文件11件, 21个 and 6期 only the regulations made are a
    table figure (政策性文件 is not a table-二 label, 余条 not a count)."""
    _, claims = claims_in(knowledge, "加强规范性文件库建设，巩固行政规范性文件集中统一公开成果，动态更新"
                                     "发布本年度制发行政规范性文件62件，并同步做好全真版上传等工作。")
    assert plain(claims) == [("active.normative_documents.made", 62, "件", None)]
    _, claims = claims_in(knowledge, "2024年，市政府网站主动公开各类政",
                          "府信息5500余条，全年新增公开市政府规章1件、市政府及市",
                          "政府办政策性文件11件，通过文字、图片等形式制作政策解读",
                          "21个，制作《淮安市人民政府公报》6期。")
    assert plain(claims) == [("active.regulations.made", 1, "件", None)]


def test_only_the_sections_that_state_the_tables_figures_are_read(knowledge):
    sentence = "2024年，全市共受理政府信息公开申请3119件。"
    assert plain(claims_in(knowledge, sentence, heading="三、收到和处理政府信息公开申请情况")[1]) == [
        ("received", 3119, "件", None)]
    assert claims_in(knowledge, sentence, heading="五、存在的主要问题及改进情况")[1] == []


def test_a_count_claim_agrees_with_any_of_its_alternatives(knowledge):
    """Pingtan public security 2021 says it received 1 application; some reports count last
    year's carried-over ones as received too."""
    _, (claim,) = claims_in(knowledge, "2021年，我局收到政府信息公开申请1件，已按照相关法规，"
                                       "逐级审查，作出补正告知。")
    new, carried = "applications.new_received.total", "applications.carried_over.total"
    assert claim_agrees(claim, {new: 1, carried: 0}, knowledge.claims) is True
    assert claim_agrees(claim, {new: 0, carried: 1}, knowledge.claims) is True
    assert claim_agrees(claim, {new: 2, carried: 0}, knowledge.claims) is False
    assert claim_agrees(claim, {}, knowledge.claims) is None
