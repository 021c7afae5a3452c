"""patterns/ as data: validated, extensible by a user's directory, and the docs match the code."""

import json
from pathlib import Path

import pytest

from extractor import extract
from extractor.codes import Code
from extractor.errors import PatternsError
from extractor.knowledge import Knowledge
from extractor.schema import Warning, json_schema

from .conftest import CORPUS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_json_schema_in_docs_is_current():
    assert json.loads((DOCS / "report.schema.json").read_text(encoding="utf-8")) == json_schema()


def test_user_patterns_add_a_label_synonym(tmp_path):
    source = (CORPUS / "seed_shanghai_2020.txt").read_text(encoding="utf-8")
    renamed = tmp_path / "renamed.txt"
    renamed.write_text(source.replace("其他对外管理服务事项", "对外管理事务清单"), encoding="utf-8")
    assert extract(renamed).value("active.other_services.decisions") is None
    extra = tmp_path / "patterns"
    extra.mkdir()
    (extra / "tables.yaml").write_text(
        "active:\n  items:\n    other_services:\n      labels: [对外管理事务清单]\n", encoding="utf-8")
    report = extract(renamed, knowledge=Knowledge.load((str(extra),)))
    assert report.value("active.other_services.decisions") == 77300440
    # The shipped labels are extended, not replaced.
    assert report.value("active.licensing.decisions") == 12854581


def test_user_patterns_add_a_heading_variant(tmp_path):
    source = (CORPUS / "seed_shanghai_2020.txt").read_text(encoding="utf-8")
    odd = tmp_path / "odd.txt"
    odd.write_text(source.replace("六、其他需要报告的事项", "六、需要说明的其他情况"), encoding="utf-8")
    assert 6 not in [s.number for s in extract(odd).sections]
    extra = tmp_path / "patterns"
    extra.mkdir()
    (extra / "headings.yaml").write_text(
        "sections:\n  - number: 6\n    key: other\n    titles: [需要说明的其他情况]\n",
        encoding="utf-8")
    assert 6 in [s.number for s in extract(odd, knowledge=Knowledge.load((str(extra),))).sections]


def test_invalid_patterns_are_a_clear_error(tmp_path):
    (tmp_path / "tables.yaml").write_text("active:\n  items: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(PatternsError, match="invalid patterns"):
        Knowledge.load((str(tmp_path),))
    (tmp_path / "tables.yaml").write_text("active: [unclosed\n", encoding="utf-8")
    with pytest.raises(PatternsError, match="not valid YAML"):
        Knowledge.load((str(tmp_path),))


@pytest.mark.parametrize("name, text, message", [
    ("bodies.yaml", "places:\n  - level: prefecture\n    suffixes: [市]\n    max_stem: 4\n",
     "invalid patterns/bodies.yaml at places.4.level: Input should be 'national'"),
    ("bodies.yaml", "trim: '[unclosed'\n", "invalid patterns/bodies.yaml at trim: not a regular"),
    ("bodies.yaml", "opening_agency: ['本报告由(.+?)编制']\n",
     "invalid patterns/bodies.yaml at opening_agency.2: needs the named group(s) agency"),
    ("metadata.yaml", "title_markers: ['(?P<x']\n",
     "invalid patterns/metadata.yaml at title_markers.2: not a regular expression"),
    ("metadata.yaml", "title_exclude: [a, b]\n",
     "invalid patterns/metadata.yaml at title_exclude: Input should be a valid string"),
])
def test_metadata_and_body_patterns_are_validated(tmp_path, name, text, message):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(PatternsError) as raised:
        Knowledge.load((str(tmp_path),))
    assert str(raised.value).startswith(message)


def test_formats_are_told_apart_by_what_only_they_print():
    tpl = Knowledge.default().templates
    assert tpl.app_format_of({"granted", "other.total"}) == "2019"
    assert tpl.app_format_of({"granted", "other.overdue_fee", "other.other"}) == "2021"
    assert tpl.app_format_of({"granted", "denied.state_secret"}) is None
    assert tpl.active_format_of({"decisions", "made", "in_force"}) == "2021"
    assert tpl.active_format_of({"decisions", "prior_items", "change"}) == "2019"
    assert tpl.active_format_of({"decisions"}) == tpl.newest_format == "2021"


def test_every_warning_code_is_documented_once():
    text = (DOCS / "schema.md").read_text(encoding="utf-8")
    for code in Code:
        assert text.count(f"| `{code.value}` |") == 1, code
    with pytest.raises(ValueError):
        Warning(code="rows_unreadable", message="a code the enum does not know")
