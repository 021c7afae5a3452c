"""`nianbao eval` on a doctored truth, and the generator's documents round-tripping exactly."""

import json
import subprocess
import sys

import pytest

from extractor import extract
from extractor.evaluate import evaluate

from .conftest import CORPUS, FIXTURES, NO_DOCGEN, needs_soffice


def test_eval_reports_wrong_missing_extra_and_findings(tmp_path):
    truth = json.loads((CORPUS / "truth" / "seed_shanghai_2020.json").read_text(encoding="utf-8"))
    truth["values"]["applications.granted.total"] = 11221  # the document prints 11220
    truth["values"]["active.procurement.projects_2"] = 5  # a key nianbao never produces
    del truth["values"]["active.regulations.new_made"]  # so the extracted 12 is extra
    truth["published_inconsistencies"].append({"rule": "4 table 四 block sum", "severity": "error",
                                               "cells": ["review_litigation.review.total"]})
    truth_dir = tmp_path / "truth"
    truth_dir.mkdir()
    (truth_dir / "seed_shanghai_2020.json").write_text(json.dumps(truth, ensure_ascii=False),
                                                       encoding="utf-8")
    result = evaluate([CORPUS / "seed_shanghai_2020.txt", CORPUS / "template_2021_blank.docx"],
                      truth_dir, extract)
    [doc] = result.documents  # the template has no truth: not scored
    assert [(w.key, w.expected, w.got, w.flagged) for w in doc.wrong] == [
        ("applications.granted.total", 11221, 11220, False)]  # read with full confidence
    assert doc.missing == ["active.procurement.projects_2"]
    assert doc.extra == ["active.regulations.new_made"]
    assert (doc.cells, doc.exact) == (198, 196)
    assert (doc.findings_expected, doc.findings_matched) == (8, 7)
    assert doc.missed_findings == ["4 table 四 block sum: "]
    assert doc.unexpected_errors == []
    assert result.findings_recall == pytest.approx(7 / 8)
    assert (result.wrong, result.wrong_unflagged) == (1, 1)


def test_eval_tells_flagged_from_silent_errors(tmp_path):
    """A wrong value read at low confidence was flagged to the user; eval counts it apart."""
    truth = json.loads((CORPUS / "truth" / "pingtan_2023_page.json").read_text(encoding="utf-8"))
    truth["values"]["active.normative_documents.in_force"] = 471  # read from a digit run at 0.6
    truth["values"]["applications.granted.total"] += 1  # split uniquely by the sums: 0.9
    (tmp_path / "pingtan_2023_page.json").write_text(json.dumps(truth, ensure_ascii=False),
                                                     encoding="utf-8")
    result = evaluate([CORPUS / "pingtan_2023_page.txt"], tmp_path, extract)
    assert {w.key: (w.confidence, w.flagged) for w in result.documents[0].wrong} == {
        "active.normative_documents.in_force": (0.6, True),
        "applications.granted.total": (0.9, False)}
    assert (result.wrong, result.wrong_unflagged) == (2, 1)


def test_checked_in_generated_sample_is_small_and_complete():
    sample = FIXTURES / "generated"
    docs = [p for p in sample.iterdir()
            if p.is_file() and p.suffix in (".pdf", ".docx", ".html", ".txt", ".md")]
    assert len(docs) >= 5
    assert sum(p.stat().st_size for p in sample.rglob("*") if p.is_file()) < 1_000_000
    for p in docs:
        data = json.loads((sample / "truth" / f"{p.stem}.json").read_text(encoding="utf-8"))
        assert data["file"] == p.name


def test_checked_in_generated_sample_is_exact():
    sample = FIXTURES / "generated"
    documents = sorted(p for p in sample.iterdir() if p.is_file())
    result = evaluate(documents, sample / "truth", extract)
    assert len(result.documents) == len(documents)
    assert result.exact == result.cells
    assert all(not d.unexpected_errors and not d.missed_findings for d in result.documents)


@needs_soffice
def test_generated_documents_round_trip(tmp_path):
    """A fixed seed's mix of layouts and formats, PDFs included, comes back exactly and the
    injected inconsistencies are found with no other error."""
    pytest.importorskip("docgen", reason=NO_DOCGEN)
    subprocess.run([sys.executable, "-m", "docgen", "--seed", "2026", "--count", "40",
                    "--out", str(tmp_path)], check=True, capture_output=True, timeout=600)
    documents = sorted(p for p in tmp_path.iterdir() if p.is_file())
    result = evaluate(documents, tmp_path / "truth", extract)
    assert len(result.documents) == 40
    assert {p.suffix for p in documents} >= {".pdf", ".docx", ".html", ".txt", ".md"}
    failures = {d.file: (d.wrong[:3], d.missing[:3]) for d in result.documents if d.exact != d.cells}
    assert failures == {}
    assert [d.file for d in result.documents if d.unexpected_errors or d.missed_findings] == []
