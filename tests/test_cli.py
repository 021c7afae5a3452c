"""The command line: output formats, exit codes, one-line errors for bad input."""

import csv
import io
import json
import os
import subprocess
import sys

import pymupdf
import pytest

from .conftest import CORPUS

NIANBAO = [sys.executable, "-m", "extractor.cli"]


def run(*args, cwd=None):
    return subprocess.run([*NIANBAO, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_json_one_object_per_file():
    single = run("extract", CORPUS / "huaian_city_2024.pdf", "-f", "json")
    assert single.returncode == 0
    lines = single.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["meta"]["format"] == "2021" and data["meta"]["year"] == 2024
    assert data["meta"]["agency"] == "淮安市人民政府"
    value = next(v for v in data["values"] if v["key"] == "applications.new_received.total")
    assert value["value"] == 3119 and value["raw"] == "3119" and value["page"] == 4
    assert len(value["bbox"]) == 4 and value["confidence"] == 1.0
    fee = next(v for v in data["values"] if v["key"] == "active.fees.amount_10k_yuan")
    assert fee["value"] == 96171.6

    several = run("extract", CORPUS / "huaian_city_2024.pdf", CORPUS / "seed_shanghai_2020.txt",
                  "-f", "json")
    objects = [json.loads(line) for line in several.stdout.strip().splitlines()]
    assert [o["meta"]["source"] for o in objects] == ["huaian_city_2024.pdf",
                                                      "seed_shanghai_2020.txt"]


def test_csv_is_the_tidy_table(tmp_path):
    out = tmp_path / "values.csv"
    result = run("extract", CORPUS / "seed_shanghai_2020.txt", "-f", "csv", "-o", out)
    assert result.returncode == 0 and result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["file", "body", "agency", "year", "format", "key", "value", "raw",
                             "page", "confidence"]
    assert {(r["body"], r["agency"], r["year"], r["format"]) for r in rows} == {
        ("上海市人民政府", "上海市", "2020", "2019")}
    assert len(rows) == 198
    # The file as given, so two reports with one name in different folders stay apart.
    assert {r["file"] for r in rows} == {str(CORPUS / "seed_shanghai_2020.txt")}
    amount = next(r for r in rows if r["key"] == "active.procurement.amount_yuan")
    assert amount["value"] == "27225290916" and amount["raw"] == "27225290916元"


def test_table_output_on_a_wide_terminal():
    """Printed labels in printed order, whole on one line when there is room; no key column
    (80 columns: tests/test_terminal.py)."""
    result = subprocess.run([*NIANBAO, "extract", str(CORPUS / "huaian_city_2024.pdf")],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0
    assert "三、收到和处理政府信息公开申请情况" in result.stdout
    rows = {cells[0]: cells[1:] for line in result.stdout.splitlines()
            if (cells := [c.strip() for c in line.strip("│ ").split("│")]) and len(cells) > 1}
    assert rows["一、本年新收政府信息公开申请数量"] == ["3001", "53", "0", "0", "61", "4", "3119"]
    assert rows["行政事业性收费"] == ["96171.6"]
    assert rows["复议后起诉"] == ["12", "1", "1", "6", "20"]


def bad_inputs(tmp_path):
    pdf = (CORPUS / "huaian_city_2024.pdf").read_bytes()
    cases = {}
    encrypted = tmp_path / "encrypted.pdf"
    pymupdf.open(CORPUS / "huaian_city_2024.pdf").save(
        encrypted, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    cases["encrypted"] = (encrypted, "encrypted")
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(pdf[:3000])
    cases["truncated"] = (truncated, "truncated")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    cases["empty"] = (empty, "empty")
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(os.urandom(4096))
    cases["random bytes"] = (noise, "not a PDF, HTML, DOCX or text")
    other = pymupdf.open()
    other.new_page().insert_text((72, 72), "Invoice 2024-001 total 1,234.00")
    invoice = tmp_path / "invoice.pdf"
    other.save(invoice)
    cases["not a report"] = (invoice, "does not look like")
    zipped = tmp_path / "archive.zip"
    import zipfile
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("a.txt", "x")
    cases["zip"] = (zipped, "not a Word")
    cases["missing"] = (tmp_path / "nowhere.pdf", "no such file")
    return cases


@pytest.mark.parametrize("case", ["encrypted", "truncated", "empty", "random bytes",
                                  "not a report", "zip", "missing"])
def test_bad_input_one_line_error_exit_2(tmp_path, case):
    path, says = bad_inputs(tmp_path)[case]
    result = run("extract", path, "-f", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nianbao: ") and says in lines[0]
    assert "Traceback" not in result.stderr


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run("extract", empty, CORPUS / "seed_shanghai_2020.txt", "-f", "json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["meta"]["source"] == "seed_shanghai_2020.txt"
    assert "empty" in result.stderr


def test_missing_table_is_a_warning_not_a_failure(tmp_path):
    text = (CORPUS / "seed_shanghai_2020.txt").read_text(encoding="utf-8")
    start = text.index("04. 政府信息公开行政复议")
    end = text.index("05. 政府信息公开工作存在")
    cut = tmp_path / "no_table4.txt"
    cut.write_text(text[:start] + text[end:], encoding="utf-8")
    result = run("extract", cut, "-f", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert any(w["code"] == "table_missing" and "四" in w["message"] for w in data["warnings"])
    assert not any(v["key"].startswith("review_litigation") for v in data["values"])
    assert len(data["values"]) == 198 - 15


def test_usage_error_exit_2():
    result = run("extract", CORPUS / "seed_shanghai_2020.txt", "-f", "yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_bug_on_one_file_does_not_stop_the_others():
    """An unexpected error (a bug of ours) on one file is one line; the batch goes on."""
    code = ("import sys; import extractor.pipeline as p; real = p.extract\n"
            "def extract(path, **kw):\n"
            "    if str(path).endswith('.pdf'): raise KeyError('boom')\n"
            "    return real(path, **kw)\n"
            "p.extract = extract\n"
            f"sys.argv = ['nianbao', 'extract', {str(CORPUS / 'huaian_city_2024.pdf')!r}, "
            f"{str(CORPUS / 'seed_shanghai_2020.txt')!r}, '-f', 'json']\n"
            "from extractor.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert json.loads(result.stdout)["meta"]["source"] == "seed_shanghai_2020.txt"
    assert result.stderr.strip().splitlines() == [
        f"nianbao: {CORPUS / 'huaian_city_2024.pdf'}: internal error (KeyError: 'boom')"]


def test_audit_messages_fold_on_a_narrow_screen():
    """Chinese messages have no spaces to wrap at: on 80 columns they fold, nothing is cut."""
    result = subprocess.run([*NIANBAO, "audit", str(CORPUS / "seed_shanghai_2020.txt")],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 1
    messages = "".join(line.split("│")[-2].strip() for line in result.stdout.splitlines()
                       if line.startswith("│"))
    assert "…" not in messages
    assert "各类申请人之和为29126，总计栏印为29130（差4）" in messages.replace(" ", "")
