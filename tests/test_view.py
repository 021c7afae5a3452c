"""nianbao serve: the viewer over a store made by `nianbao batch` from the bundled reports.

The `browser` tests drive Debian's headless Chromium (/usr/bin/chromium with its
/usr/bin/chromedriver, through Selenium) against `nianbao serve` running in a subprocess:
bodies → a body → a report → a finding, the filters, the downloads. They skip, saying why,
where Chromium is not installed. `--screenshots DIR` saves a PNG of each page they visit.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import duckdb
import openpyxl
import pandas as pd
import pytest

from extractor.knowledge import Knowledge
from extractor.schema import RELIABLE

from .conftest import CORPUS, NIANBAO, truth

pytest.importorskip("starlette",
                    reason="the viewer's extra is not installed: pip install -e '.[view]'")

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CHROME_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--window-size=1280,1000")
TABLES = Knowledge.default().patterns.tables


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def server(corpus_store):
    port = free_port()
    process = subprocess.Popen([*NIANBAO, "serve", str(corpus_store), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nianbao serve did not start: {process.stderr.read()}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=30)


def report_sha(store: Path, name: str) -> str:
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute("SELECT sha256 FROM reports WHERE path LIKE ?",
                           [f"%/{name}"]).fetchone()[0]


# -- without a browser: what the server answers -------------------------------------------------

def test_pages_answer_with_a_policy_that_loads_and_runs_nothing_from_elsewhere(server):
    for path in ("/", "/findings", "/body/" + quote("淮安市人民政府")):
        status, headers, body = get(server + path)
        assert status == 200
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script" not in policy  # no script at all
        assert b"<script" not in body and b"http://" not in body.replace(
            b"http://www.w3.org/2000/svg", b"")
    assert get(server + "/report/" + "0" * 64)[0] == 404
    assert get(server + "/body/" + quote("不存在的机关"))[0] == 404


def test_a_source_file_is_served_as_read_and_sandboxed(server, corpus_store):
    sha = report_sha(corpus_store, "shuyang_county_fgj_2023.html")
    status, headers, body = get(f"{server}/file/{sha}")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert "沭阳县发展和改革局" in body.decode("utf-8")
    sha = report_sha(corpus_store, "huaian_city_2024.pdf")
    status, headers, body = get(f"{server}/file/{sha}")
    assert headers["content-type"] == "application/pdf"
    assert hashlib.sha256(body).hexdigest() == sha


def test_the_store_is_only_read(corpus_store, server):
    before = hashlib.sha256(corpus_store.read_bytes()).hexdigest()
    for path in ("/", "/findings?severity=error&download=xlsx", "/body/" + quote("平潭综合实验区")):
        assert get(server + path)[0] == 200
    assert hashlib.sha256(corpus_store.read_bytes()).hexdigest() == before
    from extractor.view.data import Catalog

    catalog = Catalog(corpus_store, Knowledge.default())  # a second reader beside the server: read-only allows it
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            catalog.store.con.execute("CREATE TABLE scribble (i INTEGER)")
    finally:
        catalog.close()


def test_a_taken_port_or_a_missing_extra_is_one_line(corpus_store, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*NIANBAO, "serve", str(corpus_store), "--port", str(port)],
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == f"nianbao: cannot listen on 127.0.0.1:{port} " \
                                  "(Address already in use)"
    done = subprocess.run([*NIANBAO, "serve", str(corpus_store.with_name("none.duckdb"))],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr.strip()) == (
        2, f"nianbao: {corpus_store.with_name('none.duckdb')}: no such store")
    import importlib.util

    from extractor import view

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvicorn" else real(name, *a))
    with pytest.raises(view.ViewError) as missing:
        view.require()
    checkout = Path(view.__file__).resolve().parent.parent.parent
    assert str(missing.value) == f"the viewer needs uvicorn: pip install -e '{checkout}[view]'"


def test_year_on_year_change_and_the_chart_marks():
    from extractor.view.charts import Point, bar_chart
    from extractor.view.pages import _with_changes

    series = pd.DataFrame({"series": ["granted"] * 4 + ["denied"], "year": [2014, 2019, 2020, 2021,
                                                                          2020],
                           "value_exact": ["64", "77", None, "99", "5"]})
    changes = _with_changes(series, ["denied", "granted"])
    assert changes["series"].tolist() == ["denied", "granted", "granted", "granted", "granted"]
    granted = changes[changes["series"] == "granted"].set_index("year")
    assert granted.loc[2019, ["change", "change_percent", "change_since"]].tolist() == \
        ["+13", "+20.3%", 2014]
    assert pd.isna(granted.loc[2020, "change"])  # no figure that year
    assert granted.loc[2021, ["change", "change_since"]].tolist() == ["+22", 2019]
    svg = bar_chart("予以公开", [Point(2019, 77.0), Point(2020, 50.0, "reconstructed"),
                                Point(2021, None, "reconstructed", 90.0, 110.0)],
                    [2018, 2019, 2020, 2021])
    assert svg.count("class='bar'") == 1 and svg.count("class='rebuilt'") == 1
    assert svg.count("class='interval'") == 1 and "<script" not in svg
    # Heights in proportion: the tallest mark (110, the interval's top) reaches the top line.
    assert "y2='16.0'" in svg and "height='58.8'" in svg  # 77 of 110 over 84 px


# -- in Chromium ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium is not installed (the test extra)")
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROME_ARGS:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture
def shoot(request, browser):
    """shoot(name): with --screenshots DIR, the page as DIR/<name>.png (its whole height)."""
    target = request.config.getoption("--screenshots")

    def take(name: str) -> None:
        if target is None:
            return
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(max(height, 600), 2000))
        Path(target).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(target) / f"{name}.png"))
        browser.set_window_size(1280, 1000)
    return take


def follow(driver, element) -> None:
    """Click a link or button and wait for the next page (the old one gone)."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(page))


def submit(driver) -> None:
    follow(driver, driver.find_element("css selector", "form.filters button"))


def by_css(driver, selector: str):
    return driver.find_elements("css selector", selector)


def only_local_and_no_script(driver, base: str) -> None:
    """Nothing the page loaded came from elsewhere, and the page has no script."""
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(base) for url in loaded), loaded
    assert not by_css(driver, "script")


def shown_value(value) -> str:
    return "" if value is None else format(Decimal(str(value)).normalize(), "f")


@pytest.mark.browser
def test_bodies_search_and_filters(server, browser, shoot):
    browser.get(server + "/")
    names = [a.text for a in by_css(browser, "#bodies a.body")]
    assert "淮安市人民政府" in names and "平潭综合实验区" in names
    pingtan = next(row for row in by_css(browser, "#bodies tbody tr")
                   if row.find_element("css selector", "a.body").text == "平潭综合实验区")
    years = [a.text for a in pingtan.find_elements("css selector", ".years a")]
    assert years == ["2013", "2014", "2016", "2023", "2024"]
    shoot("bodies")
    only_local_and_no_script(browser, server)
    browser.find_element("name", "q").send_keys("淮安")
    submit(browser)
    assert [a.text for a in by_css(browser, "#bodies a.body")] == ["淮安市人民政府"]
    browser.get(server + "/")
    from selenium.webdriver.support.select import Select

    Select(browser.find_element("name", "level")).select_by_visible_text("county")
    submit(browser)
    levels = [row.find_elements("css selector", "td")[1].text
              for row in by_css(browser, "#bodies tbody tr")]
    assert levels and set(levels) == {"county"}


@pytest.mark.browser
def test_body_then_report_as_printed(server, browser, shoot, corpus_store):
    browser.get(server + "/")
    follow(browser, browser.find_element("link text", "淮安市人民政府"))
    assert browser.find_element("tag name", "h1").text == "淮安市人民政府"
    received = browser.find_element(
        "css selector", "tr[data-series='applications_received'] td[data-year='2024']")
    assert received.text.split()[0] == "3119"
    assert len(by_css(browser, "#charts svg.chart")) == 5
    follow(browser, browser.find_element("link text", "2024"))
    assert "/report/" in browser.current_url
    expected = truth("huaian_city_2024")["values"]
    for key, value in expected.items():
        cell = browser.find_element("css selector", f"td[data-key='{key}']")
        assert cell.text == shown_value(value), key
    labels = [th.text for th in by_css(browser, "#table-applications th.label")]
    for row in TABLES.applications.rows:
        if row.formats is None or "2021" in row.formats:
            assert f"{row.number}{row.labels[0]}" in labels
    headings = {th.text for th in by_css(browser, "#table-applications thead th")} - {""}
    assert headings == {text for c in TABLES.applications.columns
                        for text in (*c.under, c.labels[0])}
    shoot("report")
    only_local_and_no_script(browser, server)
    file_link = browser.find_element("css selector", "a.file").get_attribute("href")
    body = get(file_link)[2]
    assert hashlib.sha256(body).hexdigest() == report_sha(corpus_store, "huaian_city_2024.pdf")


@pytest.mark.browser
def test_findings_filter_then_a_finding_with_its_evidence(server, browser, shoot):
    from selenium.webdriver.support.select import Select

    browser.get(server + "/findings")
    total = int(browser.find_element("css selector", "p.meta").text.split()[0])
    counts = [int(row.find_elements("css selector", "td")[2].text)
              for row in by_css(browser, "#counts tbody tr")]
    assert sum(counts) == total > 0
    shoot("findings")
    Select(browser.find_element("name", "severity")).select_by_visible_text("error")
    submit(browser)
    badges = {b.text.lower() for b in by_css(browser, "#findings tbody .badge")}
    assert badges == {"error"}
    Select(browser.find_element("name", "rule")).select_by_visible_text("row_sum")
    submit(browser)
    rows = by_css(browser, "#findings tbody tr")
    assert {r.find_elements("css selector", "td")[1].text for r in rows} == {"row_sum"}
    shanghai = next(r for r in rows if "seed_shanghai_2020.txt" in r.text)
    follow(browser, shanghai.find_element("css selector", "a.finding-link"))
    assert browser.current_url.endswith("#finding-1")
    finding = browser.find_element("id", "finding-1")
    assert finding.find_element("css selector", ".expected").text == "29126"
    assert finding.find_element("css selector", ".actual").text == "29130"
    assert "29130" in [m.text for m in finding.find_elements("css selector", ".evidence mark")]
    shoot("report-findings")
    # A PDF report's finding: a crop of the page, the cell outlined.
    browser.get(server + "/findings?rule=row_sum")
    pdf_row = next(r for r in by_css(browser, "#findings tbody tr") if ".pdf" in r.text)
    follow(browser, pdf_row.find_element("css selector", "a.finding-link"))
    fragment = browser.current_url.rsplit("#", 1)[1]
    crop = browser.find_element("css selector", f"#{fragment} .evidence img")
    assert crop.get_attribute("src").startswith("data:image/png;base64,")
    assert browser.execute_script("return arguments[0].naturalWidth", crop) > 200
    browser.execute_script("arguments[0].scrollIntoView()", crop)
    shoot("finding-crop")


def legacy_truth(stem: str) -> dict:
    return json.loads((CORPUS / "legacy" / "truth" / f"{stem}.json").read_text("utf-8"))["values"]


@pytest.mark.browser
def test_body_across_years_with_reconstructed_values(server, browser, shoot, corpus_store):
    browser.get(server + "/body/" + quote("平潭综合实验区"))
    y2014, y2016 = (legacy_truth(f"pingtan_shiyanqu_{y}") for y in (2014, 2016))
    # 2015 has no report: 历年累计 of 2016 − 本年度 of 2016 − 历年累计 of 2014 (L2).
    y2015 = y2016["legacy.active.total.cumulative"] - y2016["legacy.active.total"] - \
        y2014["legacy.active.total.cumulative"]
    rebuilt = browser.find_element(
        "css selector", "tr[data-series='proactively_disclosed'] td[data-year='2015']")
    assert "reconstructed" in rebuilt.get_attribute("class")
    assert rebuilt.text.split()[0] == f"({y2015})"
    later = browser.find_element(
        "css selector", "tr[data-series='proactively_disclosed'] td[data-year='2016']")
    now = y2016["legacy.active.total"]
    assert later.text.split() == [str(now), f"{now - y2015:+d}",
                                  f"({(now - y2015) / y2015 * 100:+.1f}%)"]
    assert by_css(browser, "#charts svg.chart rect.bar")
    shoot("body")
    # Its 2023 report: the cells read with confidence below RELIABLE are the ones marked.
    follow(browser, browser.find_element("link text", "2023"))
    marked = {td.get_attribute("data-key") for td in by_css(browser, "td.doubt")}
    with duckdb.connect(str(corpus_store), read_only=True) as con:
        doubtful = {k for (k,) in con.execute(
            'SELECT key FROM "values" JOIN reports USING (sha256) WHERE path LIKE ? '
            "AND confidence < ? AND NOT derived",
            ["%/pingtan_2023_page.txt", RELIABLE]).fetchall()}
    assert marked == doubtful and len(doubtful) == 3
    assert all(td.text.endswith("?") for td in by_css(browser, "td.doubt"))


@pytest.mark.browser
def test_downloads_of_what_is_on_screen(server, browser, corpus_store):
    def downloaded(suffix: str) -> Path:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = [p for p in browser.downloads.iterdir() if p.suffix == suffix]
            if done:
                return done[0]
            time.sleep(0.2)
        pytest.fail(f"no {suffix} download")

    for old in browser.downloads.iterdir():
        old.unlink()
    browser.get(server + "/findings?severity=warning")
    shown = int(browser.find_element("css selector", "p.meta").text.split()[0])
    browser.find_element("link text", "CSV").click()
    path = downloaded(".csv")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert len(frame) == shown and set(frame["severity"]) == {"warning"}
    assert list(frame.columns[:5]) == ["file", "body", "agency", "year", "format"]

    browser.get(f"{server}/report/{report_sha(corpus_store, 'huaian_city_2024.pdf')}")
    browser.find_element("link text", "XLSX").click()
    book = openpyxl.load_workbook(downloaded(".xlsx"))
    sheet = book["三、收到和处理政府信息公开申请情况"]
    row = next(r for r in sheet.iter_rows(values_only=True)
               if "一、本年新收政府信息公开申请数量" in r)
    assert row[-7:] == tuple(truth("huaian_city_2024")["values"][
        f"applications.new_received.{c.key}"] for c in TABLES.applications.columns)
