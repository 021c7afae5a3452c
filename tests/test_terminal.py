"""What a terminal user expects of `nianbao` (issue 12, item 5): no traceback anywhere, also on a
console without Chinese; --version, completion, -v/-q, standard input; progress on stderr only;
tables that fit 80 columns with low-confidence cells marked in plain text; a blank template said
to be blank; `Report.value` telling a typo from a blank."""

import json
import os
import subprocess
import sys

import pytest
from rich.cells import cell_len

from extractor.pipeline import extract

from .conftest import CORPUS, FIXTURES

NIANBAO = [sys.executable, "-m", "extractor.cli"]


def run(*args, stdin: bytes | None = None, **env):
    done = subprocess.run([*NIANBAO, *map(str, args)], capture_output=True, input=stdin,
                          timeout=300, env={**os.environ, **env})
    return done.returncode, done.stdout.decode("utf-8", "replace"), \
        done.stderr.decode("utf-8", "replace")


def test_history_of_a_store_with_blank_cells(corpus_store):
    """The store holds the blank template (every cell blank): history printed it as
    `NotRenderableError: unable to render float` once; pinned."""
    code, out, err = run("history", corpus_store, "--keys")
    assert code == 0 and "Traceback" not in err, err
    assert "三明市人民政府 — harmonized series" in out


@pytest.mark.parametrize("command", ["extract", "audit", "history", "eval"])
def test_a_console_without_chinese_gets_one_line_not_a_traceback(corpus_store, command):
    args = {"history": [corpus_store], "eval": [CORPUS, "--truth", CORPUS / "truth"]}.get(
        command, [CORPUS / "sanming_city_2021.txt"])
    code, out, err = run(command, *args, PYTHONIOENCODING="ascii")
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "nianbao: this console's encoding (ascii) cannot print Chinese: set "
        "PYTHONIOENCODING=utf-8 (or a UTF-8 locale), or write to a file with -o")
    # Writing to a file works on such a console.
    if command == "extract":
        assert run(command, *args, "-f", "json", "-o", os.devnull,
                   PYTHONIOENCODING="ascii")[0] == 0


def test_an_error_naming_a_chinese_file_on_an_ascii_console(tmp_path):
    missing = tmp_path / "报告.pdf"
    code, _, err = run("extract", missing, PYTHONIOENCODING="ascii")
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.strip().endswith(".pdf: no such file")


def test_version_and_completion():
    from extractor import __version__

    assert run("--version")[:2] == (0, f"nianbao {__version__}\n")
    code, out, _ = run("--show-completion", "bash")
    assert code == 0 and "_NIANBAO_COMPLETE" in out and "complete " in out


def test_quiet_and_verbose():
    pingtan = CORPUS / "pingtan_2023_page.txt"  # warnings: ambiguous digit runs
    _, normal, err = run("extract", pingtan)
    assert "warning ambiguous_digits" in normal and err == ""
    _, quiet, err = run("-q", "extract", pingtan)
    assert "warning" not in quiet and err == "" and "二、主动公开政府信息情况" in quiet
    _, verbose, err = run("-v", "extract", pingtan, "-f", "json")
    lines = err.splitlines()
    assert lines[0].startswith(f"nianbao: {pingtan}: format 2021, 200 values, 3 warnings, ")
    assert lines[1].startswith(f"nianbao: {pingtan}: warning ambiguous_digits: ")
    json.loads(verbose)
    code, _, err = run("-q", "-v", "extract", pingtan)
    assert (code, err) == (2, "nianbao: -v and -q: choose one\n")


@pytest.mark.parametrize("name", ["sanming_city_2021.txt", "shuyang_county_fgj_2023.html"])
def test_standard_input_is_read_by_its_content(name):
    data = (CORPUS / name).read_bytes()
    code, out, err = run("extract", "-", "-f", "json", stdin=data)
    assert code == 0, err
    piped = json.loads(out)
    assert piped["meta"]["source"] == "<stdin>"
    assert piped["values"] == json.loads(run("extract", CORPUS / name, "-f", "json")[1])["values"]
    code, out, _ = run("audit", "-", stdin=data)
    assert code in (0, 1) and out.startswith("<stdin> · ")


def test_progress_on_a_terminal_stderr_never_in_piped_output(tmp_path):
    files = [CORPUS / n for n in ("sanming_city_2019.txt", "sanming_city_2021.txt",
                                  "sanming_city_2023.txt")]
    quiet_run = run("extract", *files, "-f", "json")
    # stderr a terminal (as rich sees it): a bar there, stdout exactly the same JSON lines.
    code, out, err = run("extract", *files, "-f", "json", TTY_COMPATIBLE="1", TTY_INTERACTIVE="1")
    assert code == 0 and out == quiet_run[1]
    assert "extract" in err and "3/3" in err
    assert quiet_run[2] == ""  # not a terminal: no bar
    assert run("-q", "extract", *files, "-f", "json", TTY_COMPATIBLE="1",
               TTY_INTERACTIVE="1")[2] == ""
    code, _, err = run("eval", *files, "--truth", CORPUS / "truth", TTY_COMPATIBLE="1",
                       TTY_INTERACTIVE="1")
    assert code == 0 and "eval" in err and "3/3" in err


def _rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("│ ").split("│")] for line in text.splitlines()
            if line.startswith("│")]


def test_table_three_is_readable_at_80_columns():
    code, out, _ = run("extract", CORPUS / "huaian_city_2024.pdf", COLUMNS="80")
    assert code == 0
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    start = out.index("三、收到和处理政府信息公开申请情况")
    table = _rows(out[start:out.index("四、政府信息公开行政复议")])
    # The printed labels, whole once their folded lines are joined, with their numbers.
    labels, current = [], None
    for cells in table:
        if cells[1:] and any(cells[1:]) or current is None or cells[0].startswith(("（", "  ")):
            current = [cells[0], cells[1:]]
            labels.append(current)
        else:
            current[0] += cells[0]
    rows = {label.replace(" ", ""): values for label, values in labels}
    assert rows["一、本年新收政府信息公开申请数量"] == ["3001", "53", "0", "0", "61", "4", "3119"]
    assert rows["4.保护第三方合法权益"] == ["6", "0", "0", "0", "0", "0", "6"]
    assert "（三）不予公开" in rows  # a group heading, a row of its own
    # No key column anywhere.
    assert "new_received" not in out and "natural_person" not in out
    review = _rows(out[out.index("四、政府信息公开行政复议"):])
    assert review[-1] == ["复议后起诉", "12", "1", "1", "6", "20"]


def test_low_confidence_cells_are_marked_in_plain_text():
    code, out, _ = run("extract", CORPUS / "pingtan_2023_page.txt")
    assert code == 0 and "\x1b[" not in out  # a pipe: no colour, the mark is the text
    assert ["行政规范性文件", "77?", "132?", "470?"] in _rows(out)
    assert "? read with low confidence (< 0.9)" in out


def test_a_blank_template_says_so_and_no_findings_says_how_many_checks(tmp_path):
    report = extract(FIXTURES / "corpus" / "template_2021_blank.docx")
    assert [w.code for w in report.warnings] == ["no_values"]
    assert "blank template" in report.warnings[0].message
    code, out, _ = run("extract", FIXTURES / "corpus" / "template_2021_blank.docx")
    assert "warning no_values:" in out
    code, out, _ = run("audit", CORPUS / "shuyang_county_fgj_2023.html")
    assert code == 0
    assert out.strip().endswith("no findings: 118 checks of 6 rules held (0 skipped)")


def test_value_of_an_unknown_key_is_a_key_error_a_blank_cell_none():
    report = extract(FIXTURES / "corpus" / "template_2021_blank.docx")
    with pytest.raises(KeyError):
        report.value("no.such.key")
    assert report.get("applications.new_received.total").null_reason == "blank"
    assert report.value("applications.new_received.total") is None
    # A canonical key this report does not print (a 2019-format row) is None, not an error.
    assert report.value("active.licensing.prior_items") is None


def test_history_shows_printed_labels_and_a_year_on_year_column(corpus_store):
    code, out, _ = run("history", corpus_store, "--body", "三明", COLUMNS="120")
    assert code == 0
    rows = {cells[0]: cells[1:] for cells in _rows(out)}
    # 2014 legacy ≈, 2019, 2021, 2023, then the change 2021→2023.
    assert rows["收到申请"] == ["75≈", "110", "162", "302", "+140 (+86.4%)"]
    assert "year on year" in out and "2021→2023" in out
    assert "applications_received" not in out  # the key: in -f csv and --keys
