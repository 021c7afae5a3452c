"""The one arithmetic: identities declared once (patterns/identities.yaml), one term parser, and
the stages that use them (audit rules, the legacy reader, history reconstruction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.arithmetic import Term
from extractor.audit import audit
from extractor.errors import PatternsError
from extractor.knowledge import Knowledge
from extractor.legacy.arith import table_identities, verdict
from extractor.rulebook import SumCheck
from extractor.schema import Report

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"

keys = st.from_regex(r"[a-z_]{1,8}(\.[a-z_*]{1,8}){1,3}", fullmatch=True)


@given(sign=st.booleans(), optional=st.booleans(),
       source=st.sampled_from(["", "previous:", "prose:"]), key=keys)
def test_a_term_reads_back_as_it_was_written(sign, optional, source, key):
    text = ("-" if sign else "") + ("?" if optional else "") + source + key
    term = Term.parse(text)
    assert (term.sign, term.optional, term.key) == (-1 if sign else 1, optional, key)
    assert (term.previous, term.prose) == (source == "previous:", source == "prose:")
    assert str(term) == text


def test_every_shipped_sum_rule_names_an_identity():
    """A sum is declared once: no shipped rule writes its own terms."""
    knowledge = Knowledge.default()
    sums = [r for r in knowledge.rules if isinstance(r.check, SumCheck)]
    assert len(sums) >= 20
    for rule in sums:
        assert rule.identity in knowledge.identities.specs, rule.id
        spec = knowledge.identities.specs[rule.identity]
        assert rule.check.sum == spec.sum and rule.check.other == spec.other


def test_a_rule_naming_an_unknown_identity_is_a_clear_error(tmp_path):
    (tmp_path / "rules_mine.yaml").write_text("""
rules:
  - id: mine
    description: {zh: 笔误, en: a typo}
    severity: error
    identity: row_summ
    message: {zh: "{expected}", en: "{expected}"}
""", encoding="utf-8")
    with pytest.raises(PatternsError, match="row_summ"):
        Knowledge.load(rules_dirs=(str(tmp_path),))


def test_a_rule_narrows_its_identity_to_one_column():
    """L1 and L3 check one identity (applications received = the channels), in the year's
    column and in the running totals' column."""
    rules = {r.id: r for r in Knowledge.default().rules}
    assert rules["L1_channels_sum"].identity == rules["L3_channels_sum_cumulative"].identity
    assert rules["L1_channels_sum"].for_each == {"col": [""]}
    assert rules["L3_channels_sum_cumulative"].for_each == {"col": [".cumulative"]}


def test_a_user_identity_changes_what_the_audit_checks(tmp_path):
    """Identities are user-extensible data: a patterns directory that redeclares the row sum
    (replacing the shipped one of that name) without the 其他 column makes the rows of
    Huai'an 2024 that have such applicants fail it."""
    (tmp_path / "identities.yaml").write_text("""
identities:
  row_sum:
    table: applications
    for_each: {row: "@rows"}
    sum: ["applications.{row}.natural_person", "applications.{row}.commercial",
          "applications.{row}.research", "applications.{row}.social_welfare",
          "applications.{row}.legal_services"]
    equals: ["applications.{row}.total"]
""", encoding="utf-8")
    truth = json.loads((CORPUS / "truth" / "huaian_city_2024.json").read_text("utf-8"))
    report = _report_from_truth(truth)
    shipped = audit(report, knowledge=Knowledge.default())
    mine = audit(report, knowledge=Knowledge.load(patterns_dirs=(str(tmp_path),)))
    assert "row_sum" not in {f.rule for f in shipped.findings}
    assert truth["values"]["applications.new_received.other_org"] == 4
    failing = {f.cells[-1].key for f in mine.findings if f.rule == "row_sum"}
    assert "applications.new_received.total" in failing


def test_the_legacy_reader_and_the_audit_share_the_legacy_identities():
    knowledge = Knowledge.default()
    legacy = knowledge.legacy
    found = table_identities(legacy.identities, legacy.blank_skipping,
                             {"legacy.applications.received"})
    names = {i.instance.identity for i in found}
    assert {"legacy_channels_sum", "legacy_answers_sum", "legacy_produced_sum",
            "legacy_active_channels", "legacy_cumulative_at_least_year"} <= names
    assert not any(t.prose or t.previous for i in found for t in i.instance.terms)
    # The audit skips a blank in L3_cumulative_at_least_year, so the reader does too.
    at_least = next(i for i in found if i.instance.identity == "legacy_cumulative_at_least_year")
    assert not at_least.blank_is_zero
    assert verdict(at_least, {"legacy.applications.received": 5,
                              "legacy.applications.received.cumulative": None}) == 0
    assert verdict(at_least, {"legacy.applications.received": 5,
                              "legacy.applications.received.cumulative": 4}) == -1
    answers = next(i for i in found if i.instance.identity == "legacy_answers_sum"
                   and dict(i.instance.bindings)["col"] == "")
    assert verdict(answers, {"legacy.responses.granted": 3, "legacy.responses.denied": 1,
                             "legacy.responses.total": 4}) == 1


def _report_from_truth(truth: dict) -> Report:
    """A report holding exactly the truth file's values (every one read with certainty)."""
    values = [{"key": k, "table": k.split(".")[0], "value": v, "raw": "" if v is None else str(v),
               "null_reason": None if v is not None else "blank", "confidence": 1.0}
              for k, v in truth["values"].items()]
    return Report.model_validate({
        "meta": {"source": truth["file"], "path": truth["file"], "sha256": "0" * 64,
                 "kind": "pdf", "page_count": 1, "year": truth["year"],
                 "format": truth["format"], "extractor_version": "test"},
        "values": values})
