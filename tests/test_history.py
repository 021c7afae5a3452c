"""nianbao history: the panel, the cross-year rules, and missing years reconstructed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from extractor.audit import audit
from extractor.bodies import infer, opening_text
from extractor.commands_bulk import register
from extractor.history import build_history
from extractor.knowledge import Knowledge
from extractor.load import load
from extractor.pipeline import extract_document
from extractor.store import Store
from extractor.store_rows import report_rows

from .conftest import CORPUS, NO_DOCGEN

APPLICANTS = Knowledge.default().templates.app_column_order[:-1]
ITEMS_2019 = ("licensing", "other_services", "punishment", "coercion", "fees")


def store_of(files: list[Path], path: Path) -> Path:
    """A store holding `files`, written in this process (what a batch would write)."""
    with Store(path) as store:
        for file in files:
            document = load(file)
            report = extract_document(document)
            store.add_reports([(report_rows(report, infer(report, opening_text(document), Knowledge.default().bodies),
                                            audit(report), 0.0), str(file))])
    return path


def test_pingtan_two_year_panel_with_the_carry_over_rule(tmp_path):
    store = store_of([CORPUS / "pingtan_2023_page.txt", CORPUS / "pingtan_2024_page.txt"],
                     tmp_path / "s.duckdb")
    with Store(store, read_only=True) as opened:
        history = build_history(opened, body="平潭")
    panel = history.panel
    assert history.bodies == ["平潭综合实验区"]
    assert sorted(panel["year"].unique()) == [2023, 2024]
    assert set(panel["status"]) == {"printed", "derived"}  # both years printed: nothing rebuilt
    assert (panel["status"] == "printed").groupby(panel["year"]).sum().to_dict() == {2023: 200, 2024: 200}
    value = panel.set_index(["year", "key"])["value_exact"]
    assert value[(2023, "applications.carried_forward.total")] == "0"
    assert value[(2024, "applications.new_received.total")] == "218"
    checks = history.checks.set_index("rule")
    assert checks.loc["carry_over_across_years", ["year", "previous_year", "checked", "failed"]] \
        .tolist() == [2024, 2023, 7, 0]
    finding = history.findings.iloc[0]
    assert (finding.rule, finding.expected, finding.actual) == ("in_force_across_years", "499", "440")


def test_a_missing_year_from_the_next_report_and_its_year_on_year_claims(tmp_path):
    store = store_of([CORPUS / "seed_shanghai_2020.txt"], tmp_path / "s.duckdb")
    with Store(store, read_only=True) as opened:
        history = build_history(opened, body="上海市人民政府", years=(2019, 2020))
    rebuilt = history.panel[history.panel["status"] == "reconstructed"]
    assert set(rebuilt["year"]) == {2019} and set(rebuilt["source"]) == {"seed_shanghai_2020.txt"}
    by_key = rebuilt.groupby("key")
    # 上年结转 of 2020, column by column, is 2019's 结转下年度.
    forward = by_key.get_group("applications.carried_forward.natural_person")
    assert forward[["value", "method"]].values.tolist() == [[1327.0, "carried_over of 2020 (rule 7)"]]
    # "接收…29130件，较2019年下降6.62%": 2019's count is an interval, not a value.
    received = by_key.get_group("applications.new_received.total").iloc[0]
    assert pd.isna(received.value_exact) and (received.low, received.high) == (31194.0, 31198.0)
    # 2019's licensing items: 上一年项目数量 of 2020, and "行政许可710项，比2019年减少183项".
    items = by_key.get_group("active.licensing.prior_items+active.licensing.change")
    assert sorted(items["method"]) == ["183项 down in 2020: count − change",
                                       "prior_items of 2020 (rule 8)"]
    assert set(items["value"]) == {893.0}


# -- a generated 2019–2025 series of one body -----------------------------------------------

@pytest.fixture(scope="module")
def series(tmp_path_factory) -> tuple[Path, dict[int, dict]]:
    """One body's reports 2019–2025 from the fixture generator (HTML pages), with their truth
    files: values as printed and the inconsistencies the generator put in on purpose."""
    pytest.importorskip("docgen", reason=NO_DOCGEN)
    out = tmp_path_factory.mktemp("series")
    subprocess.run([sys.executable, "-m", "docgen", "--seed", "7", "--count", "1",
                    "--series", "2019-2025", "--layout", "html", "--out", str(out)],
                   check=True, capture_output=True)
    truth = {}
    for path in (out / "truth").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        truth[data["year"]] = data
    return out, truth


def _history(directory: Path, store: Path, drop: int | None = None, years=None):
    files = [p for p in sorted(directory.glob("gen_*")) if f"_y{drop}_" not in p.name]
    with Store(store_of(files, store), read_only=True) as opened:
        return build_history(opened, years=years)


def _broken(truth: dict[int, dict], rule: str) -> set[tuple[int, str]]:
    """(year, key) of the cells the generator broke for a cross-year rule on purpose."""
    return {(year, cell) for year, data in truth.items()
            for item in data["published_inconsistencies"] if item["rule"].startswith(rule)
            for cell in item["cells"]}


def test_series_cross_year_findings_are_the_ones_put_in(series, tmp_path):
    directory, truth = series
    history = _history(directory, tmp_path / "s.duckdb")
    assert history.bodies == ["四川省人民政府"]
    assert sorted(history.panel["year"].unique()) == list(range(2019, 2026))
    carry = history.findings[history.findings["rule"] == "carry_over_across_years"]
    found = {(row.year, key) for row in carry.itertuples() for key in row.keys
             if key.startswith("applications.carried_over.") and not key.endswith(".total")}
    assert found == {(y, k) for y, k in _broken(truth, "7 ") if not k.endswith(".total")}
    checks = history.checks.groupby("rule")[["checked", "failed"]].sum()
    assert checks.loc["carry_over_across_years", "checked"] == 6 * 7
    assert checks.loc["prior_items_across_years", "checked"] > 0
    assert checks.loc["prior_items_across_years", "failed"] == len(_broken(truth, "8 "))


def test_series_dropped_year_is_reconstructed_from_its_neighbours(series, tmp_path):
    directory, truth = series
    history = _history(directory, tmp_path / "s.duckdb", drop=2020)
    year = history.panel[history.panel["year"] == 2020]
    assert set(year["status"]) == {"reconstructed"}
    got = year.set_index("key")
    before, dropped, after = (truth[y]["values"] for y in (2019, 2020, 2021))
    name = {y: truth[y]["file"] for y in (2019, 2021)}
    for column in APPLICANTS + ["total"]:
        over, forward = (f"applications.{r}.{column}" for r in ("carried_over", "carried_forward"))
        if before[forward] is not None:  # what 2019 printed as 结转下年度
            assert (got.loc[over, "value"], got.loc[over, "source"]) == (before[forward], name[2019])
        if after[over] is not None:  # what 2021 printed as 上年结转
            assert (got.loc[forward, "value"], got.loc[forward, "source"]) == (after[over], name[2021])
        # Where the generator kept rule 7, that is the dropped report's own figure.
        if (2021, over) not in _broken(truth, "7 ") and after[over] is not None:
            assert got.loc[forward, "value"] == (dropped[forward] or 0)
    for item in ITEMS_2019:
        key = f"active.{item}.prior_items"
        expected = before[key] + before[f"active.{item}.change"]
        assert got.loc[key, "value"] == expected
        assert got.loc[key, "method"] == "prior_items + change of 2019 (rule 8)"
        if (2020, key) not in _broken(truth, "8 "):
            assert expected == dropped[key]
    assert set(zip(history.checks["year"], history.checks["previous_year"])) == \
        {(2022, 2021), (2023, 2022), (2024, 2023), (2025, 2024)}


def test_series_first_year_dropped_is_reconstructed_from_the_next(series, tmp_path):
    directory, truth = series
    history = _history(directory, tmp_path / "s.duckdb", drop=2019, years=(2019, 2025))
    got = history.panel[history.panel["year"] == 2019].set_index("key")
    assert set(got["status"]) == {"reconstructed"}
    following = truth[2020]["values"]
    for item in ITEMS_2019:
        assert got.loc[f"active.{item}.prior_items+active.{item}.change", "value"] == \
            following[f"active.{item}.prior_items"]
    for column in APPLICANTS + ["total"]:
        printed = following[f"applications.carried_over.{column}"]
        key = f"applications.carried_forward.{column}"
        assert (got.loc[key, "value"] if key in got.index else None) == printed


def test_cli_history(tmp_path):
    store = store_of([CORPUS / "pingtan_2023_page.txt", CORPUS / "pingtan_2024_page.txt",
                      CORPUS / "seed_shanghai_2020.txt"], tmp_path / "s.duckdb")
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["history", str(store), "--body", "平潭"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "2024 with 2023: carry_over_across_years — 7 checked, 0 failed" in result.output
    assert "上海市" not in result.output
    result = runner.invoke(app, ["history", str(store), "-f", "csv", "--to", str(tmp_path / "out"),
                                 "--years", "2019-2020", "--body", "上海市人民政府"])
    assert result.exit_code == 0, result.output
    panel = pd.read_csv(tmp_path / "out" / "panel.csv")
    assert set(panel["status"]) == {"printed", "derived", "reconstructed"}
    assert (tmp_path / "out" / "checks.csv").exists() and (tmp_path / "out" / "findings.csv").exists()
    result = runner.invoke(app, ["history", str(store), "-f", "parquet"])
    assert result.exit_code == 2 and "needs --to DIR" in result.output
    result = runner.invoke(app, ["history", str(store), "--body", "不存在"])
    assert result.exit_code == 2 and "no report of a body named like '不存在'" in result.output
    result = runner.invoke(app, ["history", str(store), "--years", "2024-2019"])
    assert result.exit_code == 2 and "the earlier year comes first (2019-2024)" in result.output


# -- one body from 2013 to 2024: legacy and modern reports in one harmonized series -----------

PINGTAN = [CORPUS / "legacy" / f"pingtan_shiyanqu_{y}.txt" for y in (2013, 2014, 2016)] + \
    [CORPUS / f"pingtan_{y}_page.txt" for y in (2023, 2024)]


@pytest.fixture(scope="module")
def pingtan_store(tmp_path_factory) -> Path:
    return store_of(PINGTAN, tmp_path_factory.mktemp("pingtan") / "s.duckdb")


def test_both_eras_in_one_series(pingtan_store):
    with Store(pingtan_store, read_only=True) as opened:
        history = build_history(opened, body="平潭")
    assert history.bodies == ["平潭综合实验区"]  # 平潭综合实验区管委会 (2014) is the same body
    series = history.series.set_index(["year", "series"])
    granted_2014, granted_2024 = series.loc[(2014, "granted")], series.loc[(2024, "granted")]
    assert (granted_2014.value_exact, granted_2014.exactness, granted_2014["keys"],
            granted_2014.source) == ("1", "close", "legacy.responses.granted",
                                     "pingtan_shiyanqu_2014.txt")
    assert (granted_2024.value_exact, granted_2024.exactness, granted_2024.format) == \
        ("71", "exact", "2021")
    assert series.loc[(2023, "denied")]["keys"] == "applications.denied.total.total"
    assert series.loc[(2023, "denied")].status == "derived"  # the sum of the 8 reasons
    assert series.loc[(2013, "proactively_disclosed")].value_exact == "72804"
    # 2015 has no report: its figure follows from the running totals around it (L2).
    rebuilt = series.loc[(2015, "proactively_disclosed")]
    assert (rebuilt.value_exact, rebuilt.status) == ("2949", "reconstructed")  # 85376−3460−78967
    assert "L2" in rebuilt.note
    # The application series restarted (2014: 1 in total, 2016: 0): no 2015 figure from it.
    assert (2015, "applications_received") not in series.index
    checks = history.checks.set_index(["year", "rule"])
    assert checks.loc[(2014, "L2_running_total"), "failed"] == 0
    assert checks.loc[(2014, "L2_running_total"), "checked"] >= 10


def test_cli_history_prints_the_series_with_its_exactness(pingtan_store, tmp_path):
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["history", str(pingtan_store), "--body", "平潭"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "legacy" in result.output and "2021" in result.output and "no report" in result.output
    assert "1≈" in result.output  # 2014 granted, close to the 2021 予以公开
    assert "(2949)" in result.output  # 2015, reconstructed
    assert "2014 with 2013: L2_running_total" in result.output
    result = runner.invoke(app, ["history", str(pingtan_store), "-f", "parquet",
                                 "--to", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    series = pd.read_parquet(tmp_path / "out" / "series.parquet")
    assert {"exactness", "reason", "keys", "status", "source"} <= set(series.columns)


def test_cli_history_with_blank_cells(tmp_path):
    """Blank cells are NaN in the panel: the rendering must not hand rich a float."""
    store = store_of([CORPUS / "shuyang_county_fgj_2023.html"], tmp_path / "s.duckdb")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["history", str(store), "--keys"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "applications.new_received.commercial" in result.output


def test_a_bad_crosswalk_is_one_clear_error(tmp_path, pingtan_store):
    patterns = tmp_path / "patterns"
    patterns.mkdir()
    (patterns / "crosswalk.yaml").write_text(
        "series:\n  granted:\n    from:\n      - {formats: [legacy], keys: [legacy.responses.granted],"
        " exactness: roughly, reason: x}\n", encoding="utf-8")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["history", str(pingtan_store), "--patterns", str(patterns)])
    assert result.exit_code == 2
    assert result.output.startswith("nianbao: invalid patterns/crosswalk.yaml at series.granted")
