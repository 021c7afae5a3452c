"""Figures stated in the prose of legacy reports (extractor/legacy/prose.py): each phrasing of
LEGACY.md §1, on sentences as the corpus reports print them, and the keyword traps."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.knowledge import Knowledge
from extractor.legacy.prose import read_prose
from extractor.legacy.text import flatten
from extractor.load import load


def figures(tmp_path: Path, text: str) -> dict:
    """key → value of every count figure (the first of each key)."""
    path = tmp_path / "prose.txt"
    path.write_text(text, encoding="utf-8")
    found = {}
    for figure in read_prose(flatten(load(path)), Knowledge.default().legacy):
        if figure.role == "count":
            found.setdefault(figure.key, figure.value)
    return found


# Verbatim sentences of the corpus reports (file in the comment), and what each states.
PHRASINGS = [
    # pingtan_shiyanqu_2013
    (("2013年主动公开政府信息4970条。其中，区直、县直各单位主动公开政府信息3933条，占79%。"
     "各乡镇主动公开政府信息1037条，占21%。"),
     {"active.total": 4970, "active.by_department": 3933, "active.by_township": 1037}),
    ("在互联网上，2013年区管委会、县政府公开办主动公开信息数为222条，其他主动公开信息量较大部门是区交建局。",
     {"active.own_office_online": 222}),
    ("2013年政府信息公开专栏访问量达196022人次。", {"platform.column_visits": 196022}),
    ("2013年刊出政务公开栏12期。", {"platform.bulletin_issues": 12}),
    ("2013年全区未收到有关政府信息公开的申请，收到1份有关政府信息公开行政复议申请已及时处理。",
     {"applications.received": 0, "review_litigation.review": 1}),
    # pingtan_shiyanqu_2014, 2016
    ("2014年全区收到有关政府信息公开的信函申请1条，已受理回复；未收到有关政府信息公开行政复议的申请。",
     {"applications.letter": 1, "review_litigation.review": 0}),
    ("2014年我区各级工作部门依申请提供政府信息暂不收费。", {"fees.charged_yuan": 0}),
    ("2016年我区未收到有关政府信息公开行政复议、提起行政诉讼的申请。",
     {"review_litigation.review": 0, "review_litigation.litigation": 0}),
    # putian_tongjiju_2012: "今年以来" is this year, not a running total.
    (("今年以来，我局政府信息公开网上申请3条，依法公开1条，不属本部门信息和属商业秘密信息2条，"
     "依法不予公开，其他网上咨询信息29条，全部给予答复。"),
     {"applications.online": 3, "responses.granted": 1, "consultations.total": 29}),
    ("2012年度我局通过政府网站主动公开信息316条，历年累计主动公开信息2302条，其中属政府网站公开数2300条。",
     {"active.total": 316, "active.total.cumulative": 2302, "active.website.cumulative": 2300}),
    ("2012年度通过政府网站受理政府信息公开申请3条，同意答复1条，属商业秘密不予公开答复1条，属其他部门信息1条。",
     {"applications.online": 3, "responses.granted": 1, "responses.denied": 1,
      "responses.not_this_agency": 1}),
    ("历年通过政府网站受理政府信息公开申请16条，同意公开答复9条，不予公开答复6条，其他类型答复1条。",
     {"applications.online.cumulative": 16, "responses.granted.cumulative": 9,
      "responses.denied.cumulative": 6, "responses.other.cumulative": 1}),
    ("本年度无政府信息公开收费。", {"fees.charged_yuan": 0}),
    # putian_tongjiju_2015
    ("2015年度本机关共主动公开信息372条，历年累计达3391条，全文电子化率100%。",
     {"active.total": 372, "active.total.cumulative": 3391}),
    (("2015年，莆田市统计局通过网站受理3条信息公开申请，其中同意公开答复3条；历年累计受理申请26条，"
     "其中同意公开答复18条，8条属涉及商业秘密不予公开。"),
     {"applications.online": 3, "responses.granted": 3, "applications.received.cumulative": 26,
      "responses.granted.cumulative": 18, "responses.denied.cumulative": 8}),
    ("通过网站和电话受理咨询信息85条，历年受理咨询594条，均给予答复。",
     {"consultations.total": 85, "consultations.total.cumulative": 594}),
    # sanming_city_2014
    (("2014年，全市各级各部门共制作政府信息49478条，其中：主动公开35908条，占72.57%；"
     "作为依申请公开5889条，占11.9%；涉密不予公开7681条，占15.52%。《条例》实施以来，累计主动公开政府信息290976条。"),
     {"info.produced_total": 49478, "active.total": 35908, "info.on_request": 5889,
      "info.withheld": 7681, "active.total.cumulative": 290976}),
    (("2014年，各级各部门网站公开政府信息34033条；报刊广播电视公开政府信息939条；新闻发布会公开政府信息16条；"
     "政务公开栏、信息公告栏、宣传栏、职代会等形式公开政府信息1631条。"),
     {"active.website": 34033, "active.print_broadcast": 939, "active.press_conference": 16,
      "active.bulletin_boards": 1631}),
    (("2014年，各级各部门受理依申请公开信息75条，其中：当面提交21条，占28%，传真提交3条，占4%，"
     "电子邮件提交2条，占2.67%，网上提交32条，占42.67%，信函提交17条，占22.67%。"
     "《条例》实施以来共受理依申请公开信息1412条。"),
     {"applications.received": 75, "applications.in_person": 21, "applications.fax": 3,
      "applications.email": 2, "applications.online": 32, "applications.letter": 17,
      "applications.received.cumulative": 1412}),
    ("2014年，各级各部门办理依申请公开75条，其中同意全部公开6条，占8%；其他答复5条，占6.67%。",
     {"responses.total": 75, "responses.granted": 6, "responses.other": 5}),
    ("2014年，各级各部门依申请公开信息6条同意部分公开答复，不予公开答复部分属于涉密信息。",
     {"responses.partially_granted": 6}),
    ("2014年，各级政府机关对依申请公开一律免费提供政府信息，没有收取任何费用。", {"fees.charged_yuan": 0}),
    ("2014年，全市未发生因政府信息公开产生的行政复议、行政诉讼和行政申诉案件。",
     {"review_litigation.review": 0, "review_litigation.litigation": 0,
      "review_litigation.complaints": 0}),
    (("市、县、乡层层落实政府信息公开工作组织机构，至12月底，市直各部门相应成立政府信息公开工作领导小组、"
     "工作机构659个，工作人员628人，其中专职60人。"),
     {"admin.units": 659, "admin.staff_total": 628, "admin.staff_fulltime": 60}),
    ("同时通过以会代训形式举办各级培训班36期，参加学习培训698人次。",
     {"admin.training_sessions": 36, "admin.training_attendance": 698}),
    (("截至12月底，全市各级行政机关依托政府门户网站建立了政府信息公开专栏（网页）616个，"
     "网站政府信息公开专栏访问量264.6万人次。"),
     {"platform.columns": 616, "platform.column_visits": 2646000}),
]


@pytest.mark.parametrize("sentence, expected", PHRASINGS, ids=[e[0][:12] for e in PHRASINGS])
def test_phrasing(tmp_path, sentence, expected):
    assert figures(tmp_path, sentence) == expected


# Words of the disclosure vocabulary around figures that count something else
# (LEGACY.md §4.6; the first four sentences verbatim from the corpus, the fragments verbatim
# from the survey).
TRAPS = [
    "目前，区县已入驻审批服务部门和单位13个，开设窗口26个，共受理申请121510件。",
    "深化收支审计信息公开，公开审计处罚情况，今年共对两个单位进行行政处罚，处罚金额为7万元。",
    "公开科技创新奖励资金376.2万元；公开办理科技项目贷款6790万元；公开高新技术企业税费减免3521.78万元。",
    "2015年度通过网站受理政府信息公开申请3条，未收到网站之外的其他形式政府信息公开申请。",
    "全年受理审批事项117件。",
    "全年行政处罚23件。",
    "受理咨询投诉15564件。",
    "落实各项税收优惠政策，减免税219062.78元。",
    # All of a body's reviews and lawsuits, not those about disclosure.
    "全年办理行政复议案件35件，行政诉讼案件12件，未发生行政复议被撤销的情况。",
]


@pytest.mark.parametrize("sentence", TRAPS, ids=[t[:12] for t in TRAPS])
def test_keyword_traps_are_not_disclosure_figures(tmp_path, sentence):
    found = figures(tmp_path, sentence)
    assert found.get("applications.received") in (None, 3)  # 3: the real one, in the 4th
    assert not {k for k in found if k.startswith(("fees.", "consultations.", "admin."))}
    assert not {k for k in found if k.startswith("review_litigation.")}


def test_not_granted_is_denied(tmp_path):
    # The survey's wordings 同意公开答复 and 不同意公开答复 in one sentence.
    found = figures(tmp_path, "对申请的答复中，同意公开答复5条，不同意公开答复3条。")
    assert found == {"responses.granted": 5, "responses.denied": 3}


@pytest.mark.parametrize("sentence", [
    "推进办事公开信息化建设，全年更新信息265万多条，在线访问达173万多人次。",
    "网站中政府信息公开专栏页面访问量约4900人次。",
    "举办培训100多场次，1万多人次参加。",
])
def test_approximate_figures_are_not_values(tmp_path, sentence):
    assert figures(tmp_path, sentence) == {}


def test_shares_are_linked_to_their_part_and_total(tmp_path):
    path = tmp_path / "prose.txt"
    path.write_text(PHRASINGS[0][0], encoding="utf-8")
    found = read_prose(flatten(load(path)), Knowledge.default().legacy)
    share = next(f for f in found if f.role == "share")
    assert (share.value, found[share.refers_to].value, found[share.base].value) == (79, 3933, 4970)
