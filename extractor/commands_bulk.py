"""The bulk commands: `nianbao batch`, `nianbao export`, `nianbao history`, `nianbao serve`.

`register(app)` adds them to the `nianbao` typer app. As in cli.py, errors become one line on
stderr and exit code 2 here and only here.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (
    EXIT_INPUT,
    BomOption,
    LimitOption,
    OcrMode,
    OcrOption,
    PatternsOption,
    RulesOption,
    fail,
    knowledge_of,
    limits_of,
    quiet,
)
from .errors import NianbaoError


class Executor(str, Enum):
    local = "local"
    dask = "dask"


class ExportFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"
    xlsx = "xlsx"


class HistoryFormat(str, Enum):
    table = "table"
    csv = "csv"
    parquet = "parquet"


def _years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    first, _, last = text.partition("-")
    if not (first.isdigit() and (not last or last.isdigit())):
        raise fail(f"--years {text!r}: give a year or a range such as 2019-2025")
    span = int(first), int(last or first)
    if span[0] > span[1]:
        raise fail(f"--years {text!r}: the earlier year comes first ({span[1]}-{span[0]})")
    return span


def batch(
    paths: Annotated[list[Path], typer.Argument(help="Report files or directories to walk.")],
    store: Annotated[Path, typer.Option("--store", help="The DuckDB store to write (created if missing).")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes (local executor).")] = os.cpu_count() or 1,
    manifest: Annotated[Path | None, typer.Option("--manifest", help="CSV with columns path, agency, region_code, year overriding the inferred metadata.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Per-file time limit in seconds.")] = 120.0,
    executor: Annotated[Executor, typer.Option("--executor", help="Run the workers locally or on a Dask cluster.")] = Executor.local,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:PORT.")] = None,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Try again the files that failed in an earlier run.")] = False,
    allow_failures: Annotated[bool, typer.Option("--allow-failures", help="Exit 0 even when files failed (they are still listed).")] = False,
    patterns: PatternsOption = None,
    rules: RulesOption = None,
    ocr: OcrOption = OcrMode.auto,
    limit: LimitOption = None,
) -> None:
    """Extract and audit every report under PATHS into a store; resumable, one bad file never stops it."""
    from rich.console import Console

    from .batch import run_batch
    from .batch_task import Options

    console = Console(stderr=True)
    options = Options(knowledge=knowledge_of(patterns, rules), ocr=ocr.value,
                      limits=limits_of(limit))
    try:
        summary = run_batch(
            paths, store, jobs=jobs, manifest=manifest, timeout=timeout, options=options,
            executor=executor.value, scheduler=scheduler, retry_errors=retry_errors,
            progress=None if quiet() else _BatchProgress(console))
    except NianbaoError as exc:
        raise fail(exc) from None
    if not quiet():
        _print_summary(console, summary, store)
    for line in summary.conflicts:
        console.print("[yellow]warning[/] two copies of one report differ: ", end="")
        console.print(line, markup=False, soft_wrap=True)
    failed = summary.failed_files + summary.failed_before
    for outcome in failed:  # the message starts with the file's path
        console.print(f"[red]failed[/] {outcome.kind}: ", end="")
        console.print(outcome.message, markup=False, soft_wrap=True)
    if summary.failed_before:
        console.print(f"{len(summary.failed_before)} of these failed in an earlier run: "
                      "--retry-errors tries them again", markup=False)
    if failed and not allow_failures:
        raise typer.Exit(EXIT_INPUT)


class _BatchProgress:
    """A rich progress bar: files done, files/s, ETA, failures so far."""

    def __init__(self, console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Speed(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"{task.speed or 0:5.1f} files/s")

        self.progress = Progress(
            TextColumn("batch"), BarColumn(), MofNCompleteColumn(), Speed(),
            TimeRemainingColumn(), TextColumn("[red]{task.fields[failed]} failed"),
            console=console)
        self.failed = 0

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("batch", total=total, failed=0)
        self.progress.start()

    def advance(self, failed: bool = False) -> None:
        self.failed += failed
        self.progress.update(self.task, advance=1, failed=self.failed)

    def stop(self) -> None:
        self.progress.stop()


def _print_summary(console, summary, store: Path) -> None:
    from rich.table import Table

    table = Table(title=f"batch → {store}", title_justify="left", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    rows = [("files found", summary.found), ("stored", summary.stored),
            ("already in the store", summary.skipped), ("same content as another file",
                                                        summary.duplicates),
            ("failed", summary.failed)]
    rows += [(f"  {kind}", n) for kind, n in sorted(summary.failures.items())]
    if summary.failed_before:
        rows.append(("failed in an earlier run", len(summary.failed_before)))
    if summary.manifest_unused:
        rows.append(("[yellow]manifest rows naming no file found", summary.manifest_unused))
    rate = summary.processed / summary.seconds if summary.seconds else 0.0
    rows += [("time", f"{summary.seconds:.1f} s"), ("files/s", f"{rate:.1f}")]
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)


def export(
    store: Annotated[Path, typer.Argument(help="A store written by `nianbao batch`.")],
    to: Annotated[Path, typer.Option("--to", help="Directory to write <table>.<format> files into.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="File format.")] = ExportFormat.parquet,
    bom: BomOption = False,
    patterns: PatternsOption = None,
) -> None:
    """Write the store's tables (reports, values, findings, errors) as Parquet or CSV files,
    or one Excel workbook (xlsx: the tables as printed, a row per report, the findings)."""
    from .store import Store

    try:
        with Store(store, read_only=True) as opened:
            if fmt == ExportFormat.xlsx:
                written = [_export_xlsx(opened, to / f"{store.stem}.xlsx",
                                        knowledge_of(patterns))]
            else:
                written = opened.export(to, fmt.value, bom=bom)
    except NianbaoError as exc:
        raise fail(exc) from None
    for path in written:
        typer.echo(str(path))


def _export_xlsx(opened, target: Path, knowledge) -> Path:
    from .xlsx import store_entries, write_xlsx

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_xlsx(target, store_entries(opened), knowledge.layouts)
    except OSError as exc:
        raise fail(f"{target}: cannot write ({exc.strerror})") from None
    return target


def history(
    store: Annotated[Path, typer.Argument(help="A store written by `nianbao batch`.")],
    body: Annotated[str | None, typer.Option("--body", help="Only this body (its name, or a part of it).")] = None,
    fmt: Annotated[HistoryFormat, typer.Option("--format", "-f", help="table prints the panels; csv and parquet write panel, checks and findings files.")] = HistoryFormat.table,
    to: Annotated[Path | None, typer.Option("--to", help="Directory for the csv or parquet files.")] = None,
    years: Annotated[str | None, typer.Option("--years", help="Years of the panel, e.g. 2019-2025 (default: each body's first to last report).")] = None,
    keys: Annotated[bool, typer.Option("--keys", help="Also print every key of every year (the full panel), not only the harmonized series.")] = False,
    rules: RulesOption = None,
    patterns: PatternsOption = None,
    bom: BomOption = False,
) -> None:
    """One harmonized series per body across the years (legacy, 2019 and 2021 formats), the
    cross-year rules, and missing years reconstructed."""
    from .history import build_history
    from .store import Store

    span = _years(years)
    if fmt != HistoryFormat.table and to is None:
        raise fail(f"history -f {fmt.value} needs --to DIR")
    knowledge = knowledge_of(patterns, rules)
    try:
        with Store(store, read_only=True) as opened:
            result = build_history(opened, body=body, years=span, knowledge=knowledge)
    except NianbaoError as exc:
        raise fail(exc) from None
    if body and result.panel.empty:
        raise fail(f"{store}: no report of a body named like {body!r}")
    if fmt == HistoryFormat.table:
        from .terminal import render_history

        render_history(result, keys)
        return
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"{to}: cannot create ({exc.strerror})") from None
    for name in ("panel", "series", "checks", "findings"):
        frame = getattr(result, name)
        target = to / f"{name}.{fmt.value}"
        if fmt == HistoryFormat.csv:
            if "value_exact" in frame:  # 29130, not 29130.0
                frame = frame.assign(value=frame["value_exact"])
            frame.to_csv(target, index=False, encoding="utf-8-sig" if bom else "utf-8")
        else:
            frame.to_parquet(target, index=False)
        typer.echo(str(target))


def serve(
    store: Annotated[Path, typer.Argument(help="A store written by `nianbao batch`.")],
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; the default serves this machine only.")] = "127.0.0.1",
    rules: RulesOption = None,
    patterns: PatternsOption = None,
) -> None:
    """A local read-only web viewer over a store: bodies, reports as printed with their
    findings and evidence, a body across the years, all findings; CSV and XLSX downloads."""
    from .view import serve as run

    try:
        run(store, host=host, port=port, knowledge=knowledge_of(patterns, rules))
    except NianbaoError as exc:
        raise fail(exc) from None


def register(app: typer.Typer) -> None:
    """Add `batch`, `export`, `history` and `serve` to the nianbao app."""
    app.command()(batch)
    app.command()(export)
    app.command()(history)
    app.command()(serve)
