"""nianbao batch / export: the store, bad files, crashes, time limits, kill -9, Dask.

Default suite: the corpus and generated samples with corrupted files, a kill -9 in the middle
of a 60-file run, a crashing and a hanging file, a Dask LocalCluster run (each a few seconds).
Slow (NIANBAO_SLOW=1): the acceptance run of benchmarks/bench_batch.py — the corpus plus 1,000
generated reports with 5 % corrupted, and kill -9 in the middle of it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq
import pymupdf
import pytest
import typer
from typer.testing import CliRunner

from extractor import __version__, extract
from extractor.batch import run_batch
from extractor.batch_task import Job, Options, Stored, extract_file, sha256_file
from extractor.commands_bulk import register
from extractor.errors import NianbaoError
from extractor.knowledge import Knowledge
from extractor.store import SCHEMAS, TABLES, Store

from .conftest import CORPUS, FIXTURES

ROOT = FIXTURES.parent
SCANNED = CORPUS / "huaian_city_2024_scanned.pdf"
# Without the OCR extra the scanned report is a failure (ocr_unavailable), like a bad file.
HAS_OCR = all(importlib.util.find_spec(m) is not None for m in ("rapidocr", "onnxruntime"))
GOOD = [p for p in sorted(CORPUS.glob("*.*")) if HAS_OCR or p != SCANNED] + \
    sorted((FIXTURES / "generated").glob("gen_*"))


def snapshot(path: Path) -> dict[str, list[tuple]]:
    with Store(path, read_only=True) as store:
        return store.snapshot()


def corrupt_inputs(directory: Path) -> dict[str, str]:
    """Bad files of every kind next to the good ones: path → the error kind expected."""
    directory.mkdir(parents=True, exist_ok=True)
    pdf = (CORPUS / "huaian_city_2024.pdf").read_bytes()
    (directory / "truncated.pdf").write_bytes(pdf[: len(pdf) // 10])
    docx = (FIXTURES / "generated" / "gen_s104_000_docx_hybrid.docx").read_bytes()
    (directory / "truncated.docx").write_bytes(docx[: len(docx) // 2])
    (directory / "random.pdf").write_bytes(bytes((i * 7919 + 13) % 256 for i in range(4096)))
    with pymupdf.open(CORPUS / "huaian_city_2024.pdf") as doc:
        doc.save(directory / "encrypted.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256,
                 user_pw="secret", owner_pw="owner")
    # Two empty files: the same (empty) content, still one error row each.
    (directory / "empty.txt").write_bytes(b"")
    (directory / "empty_too.html").write_bytes(b"")
    return {str(directory / "truncated.pdf"): "damaged",
            str(directory / "truncated.docx"): "damaged",
            str(directory / "random.pdf"): "unsupported",
            str(directory / "encrypted.pdf"): "encrypted",
            str(directory / "empty.txt"): "empty",
            str(directory / "empty_too.html"): "empty"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The good documents plus bad ones, and a second copy of one good file."""
    root = tmp_path_factory.mktemp("inputs")
    good = root / "good"
    good.mkdir()
    for path in GOOD:
        shutil.copy(path, good / path.name)
    shutil.copy(CORPUS / "pingtan_2023_page.txt", good / "zz_copy_of_pingtan_2023.txt")
    bad = corrupt_inputs(root / "bad")
    if not HAS_OCR:
        shutil.copy(SCANNED, good / SCANNED.name)
        bad[str(good / SCANNED.name)] = "ocr_unavailable"
    return root, bad


@pytest.fixture(scope="module")
def local_store(inputs, tmp_path_factory) -> Path:
    root, bad = inputs
    store = tmp_path_factory.mktemp("local") / "results.duckdb"
    summary = run_batch([root], store, jobs=2)
    assert summary.found == len(GOOD) + 1 + len(bad)
    return store


def test_batch_stores_every_good_report_and_one_error_row_per_bad_file(inputs, local_store):
    _, bad = inputs
    with Store(local_store, read_only=True) as store:
        stored = dict(store.con.execute(
            "SELECT source, sha256 FROM reports WHERE extractor_version = ?", [__version__]).fetchall())
        errors = store.con.execute("SELECT path, kind, message FROM errors").fetchall()
        # Every good file is stored once (its copy has the same content: not stored again).
        assert set(stored) == {p.name for p in GOOD}
        assert {path: kind for path, kind, _ in errors} == bad
        assert all(message.startswith(path) for path, _, message in errors)
        # What is stored is what `extract` gives, exactly.
        seed = extract(CORPUS / "seed_shanghai_2020.txt")
        assert store.report(seed.meta.sha256, __version__).values == seed.values
        row = store.con.execute(
            "SELECT body, level, year, format, n_values, n_findings, worst FROM reports "
            "WHERE source = 'seed_shanghai_2020.txt'").fetchone()
        assert row == ("上海市人民政府", "province", 2020, "2019", 198, 7, "error")
        # The seed's row-sum finding (29126 vs 29130) is in the findings table.
        assert store.con.execute(
            "SELECT expected, actual FROM findings f JOIN reports r USING (sha256) "
            "WHERE r.source = 'seed_shanghai_2020.txt' AND rule = 'row_sum'").fetchall() == \
            [("29126", "29130")]
        value = store.con.execute(
            'SELECT value, value_exact, raw, page, derived FROM "values" v JOIN reports r '
            "USING (sha256) WHERE r.source = 'pingtan_2023_page.txt' "
            "AND key = 'active.fees.amount_10k_yuan'").fetchone()
        assert value == (5949.088667, "5949.088667", "5949.088667", 1, False)


def test_a_second_run_skips_everything(inputs, local_store):
    root, bad = inputs
    before = snapshot(local_store)
    summary = run_batch([root], local_store, jobs=2)
    # The bad files are failures again (from the store, not tried again), not "in the store".
    assert (summary.stored, summary.failed, summary.skipped) == (0, 0,
                                                                 summary.found - len(bad))
    assert sorted((f.path, f.kind) for f in summary.failed_before) == sorted(bad.items())
    assert snapshot(local_store) == before


def test_dask_run_equals_local_run(inputs, local_store, tmp_path):
    from distributed import LocalCluster

    root, _ = inputs
    store = tmp_path / "dask.duckdb"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        summary = run_batch([root], store, executor="dask", scheduler=cluster.scheduler_address)
    assert summary.stored == len(GOOD)
    assert snapshot(store) == snapshot(local_store)


def misbehaving(job: Job, options: Options):
    """A worker task that dies on 'crash' files and hangs on 'hang' files."""
    name = Path(job.path).name
    if name.startswith("crash"):
        os._exit(3)
    if name.startswith("hang"):
        time.sleep(60)
    return extract_file(job, options)


def test_a_dying_or_hanging_worker_is_replaced_and_recorded(tmp_path):
    for name, source in [("crash.txt", "pingtan_2023_page.txt"), ("hang.txt", "pingtan_2024_page.txt"),
                         ("ok_a.txt", "pingtan_2023_page.txt"), ("ok_b.txt", "seed_shanghai_2020.txt")]:
        # The crash file has the same content as ok_a: when it fails, ok_a still runs.
        shutil.copy(CORPUS / source, tmp_path / name)
    store = tmp_path / "s.duckdb"
    start = time.perf_counter()
    summary = run_batch([tmp_path], store, jobs=1, timeout=3, task=misbehaving)
    assert time.perf_counter() - start < 30
    assert summary.stored == 2 and dict(summary.failures) == {"crashed": 1, "timeout": 1}
    with Store(store, read_only=True) as opened:
        errors = dict(opened.con.execute("SELECT path, kind FROM errors").fetchall())
        stored = {r[0] for r in opened.con.execute("SELECT path FROM reports").fetchall()}
    assert errors == {str(tmp_path / "crash.txt"): "crashed", str(tmp_path / "hang.txt"): "timeout"}
    assert stored == {str(tmp_path / "ok_a.txt"), str(tmp_path / "ok_b.txt")}
    # Run again without --retry-errors: the timed-out file is a failure, not "in the store".
    summary = run_batch([tmp_path], store, jobs=1)
    # (crash.txt's content is stored, as ok_a.txt: that one is in the store.)
    assert [(Path(f.path).name, f.kind) for f in summary.failed_before] == [("hang.txt", "timeout")]
    assert summary.skipped == 3
    # Retrying the failures with a well-behaved worker: hang.txt is stored and its error row
    # goes; crash.txt is not tried again, its content is stored (as ok_a.txt).
    summary = run_batch([tmp_path], store, jobs=1, retry_errors=True)
    assert (summary.stored, summary.skipped, summary.failed) == (1, 3, 0)
    with Store(store, read_only=True) as opened:
        errors = dict(opened.con.execute("SELECT path, kind FROM errors").fetchall())
    assert errors == {str(tmp_path / "crash.txt"): "crashed"}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_batch", ROOT / "benchmarks" / "bench_batch.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def copies(directory: Path, count: int) -> Path:
    """`count` distinct files (each a bundled text or HTML report with its own trailing line,
    so its own sha256) for runs long enough to kill in the middle."""
    sources = [p for p in GOOD if p.suffix in (".txt", ".md", ".html")]
    directory.mkdir(parents=True)
    for i in range(count):
        source = sources[i % len(sources)]
        tail = f"<!-- {i} -->" if source.suffix == ".html" else f"\n{i}\n"
        (directory / f"{i:03d}_{source.name}").write_bytes(source.read_bytes() + tail.encode())
    return directory


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path):
    docs = copies(tmp_path / "docs", 60)
    corrupt_inputs(docs / "bad")
    reference = tmp_path / "reference.duckdb"
    run_batch([docs], reference, jobs=2)
    killed = tmp_path / "killed.duckdb"
    assert _bench().kill_midway(docs, killed, after=20, jobs=2) == -signal.SIGKILL
    with Store(killed, read_only=True) as store:  # opening replays the committed transactions
        kept = store.con.execute("SELECT (SELECT count(*) FROM reports) + "
                                 "(SELECT count(*) FROM errors)").fetchone()[0]
    assert 20 <= kept < 66
    summary = run_batch([docs], killed, jobs=2)
    assert summary.skipped + len(summary.failed_before) == kept
    assert summary.processed == 66 - kept
    assert snapshot(killed) == snapshot(reference)


def test_cli_batch_export_and_errors(inputs, local_store, tmp_path):
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    store = tmp_path / "cli.duckdb"
    scanned = CORPUS / "huaian_city_2024_scanned.pdf"
    result = runner.invoke(app, ["batch", str(CORPUS), "--store", str(store), "--jobs", "2",
                                 "--ocr", "never"])
    # A failed file is listed by name and reason at the end, and the exit is not 0.
    assert result.exit_code == 2, result.output
    assert "stored" in result.output and "files/s" in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("failed ")]
    assert failed == [f"failed not_a_report: {scanned}: does not look like a 政府信息公开工作年度报告 "
                      "(no section headings and no standard table found)"]
    # Run again: the file is a failure still (from the store), not "already in the store".
    result = runner.invoke(app, ["batch", str(CORPUS), "--store", str(store), "--jobs", "2",
                                 "--ocr", "never", "--allow-failures"])
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("failed ")] == failed
    assert "1 of these failed in an earlier run" in result.output
    for fmt in ("parquet", "csv"):
        result = runner.invoke(app, ["export", str(local_store), "--to", str(tmp_path / fmt),
                                     "-f", fmt])
        assert result.exit_code == 0, result.output
    with Store(local_store, read_only=True) as opened:
        counts = {t: opened.con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for t in TABLES}
    assert {t: pq.read_metadata(tmp_path / "parquet" / f"{t}.parquet").num_rows
            for t in TABLES} == counts
    assert (tmp_path / "csv" / "values.csv").read_text(encoding="utf-8").count("\n") == \
        counts["values"] + 1
    result = runner.invoke(app, ["export", str(tmp_path / "missing.duckdb"), "--to", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == f"nianbao: {tmp_path / 'missing.duckdb'}: no such store"
    result = runner.invoke(app, ["batch", str(CORPUS), "--store", str(store),
                                 "--manifest", str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "cannot read the manifest" in result.output


def test_worker_outcome_is_a_value_not_an_exception(tmp_path):
    path = CORPUS / "pingtan_2023_page.txt"
    changed = extract_file(Job(str(path), "0" * 64), Options())  # hashed before an edit
    assert not isinstance(changed, Stored) and changed.kind == "changed"
    missing = extract_file(Job(str(tmp_path / "gone.pdf"), "0" * 64), Options())
    assert (missing.kind, missing.message) == ("not_found", f"{tmp_path / 'gone.pdf'}: no such file")


def test_a_workers_rows_name_every_column_of_the_store():
    """Rows travel from the worker as plain dicts (store_rows.py) and become Arrow tables in the
    store's process, where a missing key would be a silent null: the names must match."""
    seed = CORPUS / "seed_shanghai_2020.txt"
    outcome = extract_file(Job(str(seed), sha256_file(seed)), Options())
    assert isinstance(outcome, Stored) and outcome.rows.findings  # the seed has findings
    for table in ("reports", "values", "findings"):
        for row in getattr(outcome.rows, table):
            assert list(row) == SCHEMAS[table].names, table


@pytest.mark.skipif(os.environ.get("NIANBAO_SLOW") != "1",
                    reason="the 1,000-file acceptance run; set NIANBAO_SLOW=1")
def test_acceptance_1000_generated_reports_with_5_percent_corrupted(tmp_path):
    outcome = _bench().acceptance(tmp_path, count=1000, seed=2025, fraction=0.05)
    assert outcome["unexpected_failures"] == []
    assert outcome["missing_error_rows"] == [] and outcome["extra_error_rows"] == []
    assert outcome["good_stored"] == outcome["good_files"]
    assert outcome["kill_resume_equal"]


@pytest.mark.parametrize("name", ["01_batch_and_shares.ipynb", "02_audit_a_series.ipynb",
                                  "03_legacy_history.ipynb"])
def test_notebook_runs_top_to_bottom(name):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    # Chinese labels are drawn (matplotlib warns of every glyph its font lacks).
    assert "missing from font" not in text and "no font with Chinese glyphs" not in text
    if name.startswith("01"):
        # The bundled scan needs the OCR extra; without it, it is the one failure.
        assert ("0 failed" if HAS_OCR else "1 failed {'ocr_unavailable': 1}") in text
        assert any("image/png" in o.get("data", {}) for o in outputs)
    elif name.startswith("03"):
        assert "L2_running_total" in text and "2949" in text and "close" in text
        assert any("image/png" in o.get("data", {}) for o in outputs)
    else:
        assert "carry_over_across_years" in text and "31194" in text


def test_mistakes_in_the_invocation_are_found_before_the_store_is_made(tmp_path):
    patterns = tmp_path / "patterns"
    patterns.mkdir()
    (patterns / "metadata.yaml").write_text("year_patterns: ['(\\d{4})年']\n", encoding="utf-8")
    store = tmp_path / "s.duckdb"
    with pytest.raises(NianbaoError, match=r"^invalid patterns/metadata\.yaml at year_patterns\.2: "
                       r"needs the named group\(s\) year$"):
        run_batch([CORPUS], store, options=Options(knowledge=Knowledge.load((str(patterns),))))
    with pytest.raises(NianbaoError, match="needs --scheduler"):
        run_batch([CORPUS], store, executor="dask")
    assert not store.exists()


def test_manifest_rows_that_name_no_file_are_counted(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / "pingtan_2024_page.txt", docs)
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,agency\ndocs/pingtan_2024_page.txt,平潭综合实验区管委会\n"
                        "docs/pingtan_2O24_page.txt,平潭综合实验区管委会\n", encoding="utf-8")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["batch", str(docs), "--store", str(tmp_path / "s.duckdb"),
                                      "--manifest", str(manifest), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "manifest rows naming no file found" in result.output
    row = [line for line in result.output.splitlines() if "naming no file" in line][0]
    assert row.rstrip(" │").endswith("1")


class _SpyStore:
    def __init__(self, log: list) -> None:
        self.log = log

    def add_reports(self, reports) -> None:
        if reports:
            self.log.append(("write", len(reports)))

    def add_error(self, *args) -> None:
        self.log.append(("error",))


class _Burst:
    """Files that finish all at once, except the last, which takes its time."""

    slots = 1000

    def __init__(self, log: list, interrupt: bool = False) -> None:
        self.jobs: list[Job] = []
        self.log, self.interrupt = log, interrupt

    @property
    def pending(self) -> int:
        return len(self.jobs)

    def submit(self, job: Job) -> None:
        self.jobs.append(job)

    def completed(self, timeout=None):
        from types import SimpleNamespace

        if len(self.jobs) > 1:
            done, self.jobs = self.jobs[:-1], self.jobs[-1:]
        elif self.interrupt:
            raise KeyboardInterrupt
        elif timeout is not None:
            time.sleep(timeout)
            self.log.append(("waited",))
            return []
        else:
            done, self.jobs = self.jobs, []
        return [Stored(job.path, SimpleNamespace(sha256=job.sha256)) for job in done]


@pytest.mark.parametrize("interrupt", [False, True])
def test_finished_reports_share_transactions_and_none_is_held_back(tmp_path, interrupt):
    from extractor.batch import WRITE_GROUP, Summary, _drive

    files = []
    for i in range(WRITE_GROUP + 9):
        files.append(tmp_path / f"{i}.txt")
        files[-1].write_text(f"report {i}")
    log: list = []
    summary = Summary(found=len(files))

    def run():
        _drive(iter(files), _Burst(log, interrupt), _SpyStore(log), set(), {}, {}, summary, None)

    if interrupt:  # Ctrl-C while waiting: what had finished is written on the way out
        with pytest.raises(KeyboardInterrupt):
            run()
        assert log == [("write", WRITE_GROUP), ("write", 8)]
    else:  # a full group at once; the rest after WRITE_DELAY, not after the slow file
        run()
        assert log == [("write", WRITE_GROUP), ("waited",), ("write", 8), ("write", 1)]
    assert summary.stored == WRITE_GROUP + 8 + (0 if interrupt else 1)


def test_other_patterns_read_the_store_again(tmp_path):
    """batch re-run with other --patterns used to say "already in the store" and keep the
    results of the old patterns; the store's key now includes the patterns' fingerprint."""
    docs = tmp_path / "docs"
    docs.mkdir()
    source = (CORPUS / "seed_shanghai_2020.txt").read_text(encoding="utf-8")
    (docs / "renamed.txt").write_text(source.replace("其他对外管理服务事项", "对外管理事务清单"),
                                      encoding="utf-8")
    store = tmp_path / "s.duckdb"
    first = run_batch([docs], store, jobs=1)
    assert first.stored == 1
    assert run_batch([docs], store, jobs=1).skipped == 1  # same patterns: nothing to do
    patterns = tmp_path / "patterns"
    patterns.mkdir()
    (patterns / "tables.yaml").write_text(
        "active:\n  items:\n    other_services:\n      labels: [对外管理事务清单]\n", encoding="utf-8")
    knowledge = Knowledge.load((str(patterns),))
    again = run_batch([docs], store, jobs=1, options=Options(knowledge=knowledge))
    assert (again.stored, again.skipped) == (1, 0)
    with Store(store, read_only=True) as opened:
        rows = opened.con.execute("SELECT sha256, patterns_fingerprint FROM reports").fetchall()
        assert len(rows) == 1 and rows[0][1] == knowledge.fingerprint  # the old reading replaced
        report = opened.report(rows[0][0], __version__)
    assert report.value("active.other_services.decisions") == 77300440


def test_two_copies_of_one_report_with_different_numbers_are_a_warning(tmp_path):
    """The same body and year from files of other content: the same numbers (a re-saved copy)
    say nothing; different numbers are a warning naming both files, not a silent pick."""
    text = (CORPUS / "sanming_city_2021.txt").read_text(encoding="utf-8")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text + "\n\n", encoding="utf-8")
    summary = run_batch([tmp_path], tmp_path / "s.duckdb", jobs=1)
    assert summary.stored == 2 and summary.conflicts == []
    received = extract(tmp_path / "a.txt").get("applications.new_received.total")
    assert received.span
    start, end = received.span
    changed = text[:start] + str(received.value + 1) + text[end:]
    (tmp_path / "c.txt").write_text(changed, encoding="utf-8")
    summary = run_batch([tmp_path], tmp_path / "s.duckdb", jobs=1)
    value = received.value
    assert summary.conflicts == [
        f"三明市人民政府 2021: {tmp_path / 'a.txt'} and {tmp_path / 'c.txt'} differ in 1 cells "
        f"(applications.new_received.total {value} vs {value + 1})"]


def test_notebooks_find_a_font_with_chinese_glyphs(monkeypatch, capsys):
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    monkeypatch.syspath_prepend(str(ROOT / "notebooks"))
    from cjk_font import use_cjk_font

    with plt.rc_context():
        name = use_cjk_font()
        assert name is not None and plt.rcParams["font.sans-serif"][0] == name
        path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
        assert FT2Font(path).get_char_index(ord("申")) != 0
    # None installed: an instruction, not boxes in silence.
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    assert use_cjk_font() is None
    assert "sudo apt-get install fonts-noto-cjk" in capsys.readouterr().out
