"""Agency, level and region from the title, the opening paragraph or a manifest (bodies.py)."""

from pathlib import Path

import pytest

from extractor.bodies import (
    ManifestError,
    apply_manifest,
    infer,
    opening_text,
    parse_agency,
    read_manifest,
)
from extractor.knowledge import Knowledge
from extractor.load import load
from extractor.pipeline import extract_document

from .conftest import CORPUS, FIXTURES

BODIES = Knowledge.default().bodies


@pytest.mark.parametrize("name, body, level, kind, region", [
    ("淮安市人民政府", "淮安市人民政府", "city", "government", "淮安市"),
    ("沭阳县发展和改革局", "沭阳县发展和改革局", "county", "department", "沭阳县"),
    ("上海市", "上海市人民政府", "province", "government", "上海市"),  # a municipality
    ("上海市人民政府办公厅", "上海市人民政府办公厅", "province", "office", "上海市"),
    ("平潭综合实验区", "平潭综合实验区", "zone", "government", "平潭综合实验区"),
    # A zone's 管委会 is the zone's government: the same body as the bare zone.
    ("平潭综合实验区管委会", "平潭综合实验区", "zone", "government", "平潭综合实验区"),
    ("安化县柳溪镇人民政府", "安化县柳溪镇人民政府", "township", "government", "安化县柳溪镇"),
    ("金桥区东湖街道", "金桥区东湖街道办事处", "township", "government", "金桥区东湖街道"),
    # 城乡 inside a department name is not a township, 城市 not a city.
    ("清源市住房和城乡建设局", "清源市住房和城乡建设局", "city", "department", "清源市"),
    ("北湖区城市管理局", "北湖区城市管理局", "county", "department", "北湖区"),
    ("苏州市昆山市人民政府", "苏州市昆山市人民政府", "county", "government", "苏州市昆山市"),
    ("北京市政府", "北京市人民政府", "province", "government", "北京市"),
    ("教育部", "教育部", "national", "department", None),
])
def test_parse_agency(name, body, level, kind, region):
    parsed = parse_agency(name, BODIES)
    assert (parsed.body, parsed.level, parsed.kind, parsed.region) == (body, level, kind, region)


def _infer(path: Path):
    document = load(path)
    report = extract_document(document)
    return infer(report, opening_text(document), BODIES)


def test_body_from_the_title():
    body = _infer(CORPUS / "seed_shanghai_2020.txt")  # "2020年上海市政府信息公开工作年度报告"
    assert (body.agency, body.body, body.level, body.year) == ("上海市", "上海市人民政府", "province", 2020)
    assert body.sources == {"agency": "title", "year": "title"}
    assert body.region_code is None  # never guessed


def test_body_from_the_title_behind_page_chrome():
    # The page's first title-like line is the CMS breadcrumb "…>政府信息公开年报"; the title
    # below it names the body.
    body = _infer(FIXTURES / "generated" / "gen_s180_000_html_2021.html")
    assert (body.agency, body.level, body.kind, body.year) == ("河西区民政局", "county", "department", 2024)
    assert body.sources["agency"] == "title"


def test_manifest_overrides(tmp_path):
    (tmp_path / "reports").mkdir()
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,agency,region_code,year\n"
                        "reports/a.txt,沭阳县人民政府,321322,2023\n"
                        "reports/b.txt,,,\n", encoding="utf-8")
    entries = read_manifest(manifest)
    entry = entries[str((tmp_path / "reports" / "a.txt").resolve())]
    body = apply_manifest(_infer(CORPUS / "shuyang_county_2025_ocr.txt"), entry, BODIES)
    # The OCR'd title reads 沐阳县; the manifest corrects agency and year and adds the code.
    assert (body.body, body.level, body.region, body.region_code, body.year) == \
        ("沭阳县人民政府", "county", "沭阳县", "321322", 2023)
    assert body.sources == {"agency": "manifest", "region_code": "manifest", "year": "manifest"}
    blank = entries[str((tmp_path / "reports" / "b.txt").resolve())]
    assert (blank.agency, blank.region_code, blank.year) == (None, None, None)


@pytest.mark.parametrize("text, message", [
    ("file,agency\nx.txt,甲\n", "needs a 'path' column"),
    ("path,agency,province\nx.txt,甲,乙\n", "unknown manifest column(s) province"),
    ("path,year\nx.txt,二〇二三\n", "is not a four-digit year"),
])
def test_manifest_errors(tmp_path, text, message):
    manifest = tmp_path / "m.csv"
    manifest.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_manifest(manifest)


def test_manifest_saved_as_gbk(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_bytes("path,agency\nx.txt,沭阳县人民政府\n".encode("gbk"))
    entry = read_manifest(manifest)[str((tmp_path / "x.txt").resolve())]
    assert entry.agency == "沭阳县人民政府"


def test_manifest_that_is_not_csv(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text('path,agency\nx.txt,"' + "甲" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="not a CSV manifest"):
        read_manifest(manifest)
