import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CORPUS = FIXTURES / "corpus"


# Tests that generate documents skip without the document generator (tools/docgen): the main
# suite runs without it (`pytest.importorskip("docgen", reason=NO_DOCGEN)`).
NO_DOCGEN = "the document generator is not installed (pip install -e tools/docgen)"


def needs_soffice(test):
    """The test makes PDFs with LibreOffice: marked `soffice`, skipped where it is missing."""
    missing = shutil.which("soffice") is None and shutil.which("libreoffice") is None
    skip = pytest.mark.skipif(missing, reason="LibreOffice is not installed (no soffice on PATH)")
    return pytest.mark.soffice(skip(test))


def truth(stem: str) -> dict:
    return json.loads((CORPUS / "truth" / f"{stem}.json").read_text(encoding="utf-8"))


def canon(value):
    return None if value is None else Decimal(str(value)).normalize()


def differences(report, expected: dict) -> dict:
    """Every truth cell that does not come out exactly, and every extra non-null key."""
    got = {v.key: v.value for v in report.values}
    wrong = {k: (v, got.get(k, "missing")) for k, v in expected["values"].items()
             if k not in got and v is not None or k in got and canon(got[k]) != canon(v)}
    extra = {k: v for k, v in got.items() if k not in expected["values"] and v is not None}
    return {"wrong": wrong, "extra": extra}


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS


# -- a store made by `nianbao batch` from the bundled reports (the viewer's and exports' tests) --

NIANBAO = [sys.executable, "-m", "extractor.cli"]
# A generated PDF with findings, so a finding's evidence is a page crop (the corpus's only
# text-layer PDF, Huaian 2024, has none).
WITH_PDF_FINDINGS = FIXTURES / "generated" / "gen_s109_000_pdf_2019.pdf"


def pytest_addoption(parser):
    parser.addoption("--screenshots", metavar="DIR", default=None,
                     help="browser tests: save a PNG of each page they visit into DIR")


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory) -> Path:
    """fixtures/corpus (and one generated PDF) through `nianbao batch`, at absolute paths so
    the viewer finds the files wherever it runs. No OCR: the scanned PDF is one failed file."""
    root = tmp_path_factory.mktemp("corpus_store")
    files = root / "reports"
    shutil.copytree(CORPUS, files)
    shutil.copy(WITH_PDF_FINDINGS, files / WITH_PDF_FINDINGS.name)
    store = root / "results.duckdb"
    done = subprocess.run([*NIANBAO, "batch", str(files), "--store", str(store), "--jobs", "2",
                           "--ocr", "never", "--allow-failures"], capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    return store
