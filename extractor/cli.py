"""The `nianbao` command line. The only place errors become messages and exit codes.

Exit codes: 0 clean, 1 findings at or above --fail-on (audit), 2 usage or input error.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    BomOption,
    FileProgress,
    LimitOption,
    OcrMode,
    OcrOption,
    PatternsOption,
    RulesOption,
    Verbosity,
    fail,
    knowledge_of,
    limits_of,
    quiet,
    reports_of,
    show_logs,
)
from .commands_bulk import register
from .inputs import walk

app = typer.Typer(
    no_args_is_help=True,
    help="Extract and audit 政府信息公开工作年度报告 (government information-disclosure annual reports).",
    pretty_exceptions_enable=False,
)
register(app)


def _show_version(shown: bool) -> None:
    if shown:
        from .version import __version__

        typer.echo(f"nianbao {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also a line per file, every warning, and the traceback of an internal error, on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only results and errors: no progress, summaries or warnings.")] = False,
) -> None:
    """Options for every command; they come before the command: `nianbao -q extract …`."""
    if verbose and quiet:
        raise fail("-v and -q: choose one")
    Verbosity.level = Verbosity.VERBOSE if verbose else Verbosity.QUIET if quiet else Verbosity.NORMAL
    show_logs()


class ExtractFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def _writer(output: Optional[Path]):
    if output is None:
        return sys.stdout
    try:
        return output.open("w", encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output}: cannot write ({exc.strerror})") from None


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="Report files (PDF, HTML, DOCX, text) or directories.")],
    fmt: Annotated[ExtractFormat, typer.Option("--format", "-f", help="Output format.")] = ExtractFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    patterns: PatternsOption = None,
    rules: RulesOption = None,
    ocr: OcrOption = OcrMode.auto,
    limit: LimitOption = None,
    bom: BomOption = False,
) -> None:
    """Extract the three standard tables of each report into the canonical schema."""
    from rich.console import Console

    from .export import BOM, report_json, tidy_csv
    from .terminal import render

    knowledge = knowledge_of(patterns, rules)
    limits = limits_of(limit)
    if fmt == ExtractFormat.xlsx:
        _extract_xlsx(files, output, knowledge, ocr.value, limits)
        return
    out = _writer(output)
    if bom and fmt == ExtractFormat.csv:
        out.write(BOM)
    failed = False
    first_csv = True
    console = Console(file=out) if fmt == ExtractFormat.table else None
    for _, report in reports_of(files, knowledge, ocr.value, limits):
        if report is None:
            failed = True
            continue
        if fmt == ExtractFormat.json:
            out.write(report_json(report) + "\n")
        elif fmt == ExtractFormat.csv:
            out.write(tidy_csv([report], header=first_csv))
            first_csv = False
        else:
            render(report, console, knowledge, warnings=not quiet())
        out.flush()
    if output is not None:
        out.close()
    if failed:
        raise typer.Exit(EXIT_INPUT)


def _extract_xlsx(files: list[Path], output: Optional[Path], knowledge, ocr: str,
                  limits) -> None:
    """One workbook (extractor/xlsx.py) of every report with its audit's findings."""
    from .audit import audit
    from .xlsx import Entry, write_xlsx

    if output is None:
        raise fail("extract -f xlsx needs -o FILE.xlsx (a workbook is not terminal text)")
    extracted = list(reports_of(files, knowledge, ocr, limits))
    entries = [Entry(report, audit(report, knowledge=knowledge).findings)
               for _, report in extracted if report is not None]
    try:
        write_xlsx(output, entries, knowledge.layouts)
    except OSError as exc:
        raise fail(f"{output}: cannot write ({exc.strerror})") from None
    if len(entries) < len(extracted):
        raise typer.Exit(EXIT_INPUT)


class AuditFormat(str, Enum):
    table = "table"
    json = "json"
    html = "html"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


@app.command()
def audit(
    files: Annotated[Optional[list[Path]], typer.Argument(help="Report files or directories; reports of one body in consecutive years are audited together.")] = None,
    store: Annotated[Optional[Path], typer.Option("--store", help="Report the audits a `nianbao batch` store holds instead, without extracting again.")] = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="Output format.")] = AuditFormat.table,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a finding is at least this severe.")] = FailOn.error,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    rules: RulesOption = None,
    patterns: PatternsOption = None,
    ocr: OcrOption = OcrMode.auto,
    limit: LimitOption = None,
) -> None:
    """Audit each report's arithmetic and prose against its tables (and across years)."""
    from rich.console import Console

    from .audit import audit_series
    from .audit.model import SEVERITY_ORDER
    from .schema import dumps

    if bool(files) == bool(store):
        raise fail("audit: give report files, or --store STORE")
    knowledge = knowledge_of(patterns, rules)
    if store is not None:
        reports, results = _stored_audits(store)
        failed = False
    else:
        extracted = list(reports_of(files, knowledge, ocr.value, limits_of(limit)))
        reports = [report for _, report in extracted if report is not None]
        failed = len(reports) < len(extracted)
        results = audit_series(reports, knowledge=knowledge)
    out = _writer(output)
    if fmt == AuditFormat.json:
        for result in results:
            out.write(dumps(result.model_dump(mode="python")) + "\n")
    elif fmt == AuditFormat.html:
        from .audit.html import render_html

        out.write(render_html(list(zip(reports, results)), knowledge.layouts))
    else:
        from .terminal import render_findings

        render_findings(results, Console(file=out))
    if output is not None:
        out.close()
    if failed:
        raise typer.Exit(EXIT_INPUT)
    if fail_on != FailOn.never and any(
            SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on.value]
            for result in results for f in result.findings):
        raise typer.Exit(EXIT_FINDINGS)


def _stored_audits(store: Path) -> tuple[list, list]:
    """The reports of a store and their stored single-report audits (no tallies: the store
    keeps findings), by body and year."""
    from .audit.model import AuditResult
    from .errors import NianbaoError
    from .store import Store
    from .version import __version__

    try:
        with Store(store, read_only=True) as opened:
            rows = opened.con.execute(
                "SELECT sha256, source, agency, year FROM reports WHERE extractor_version = ? "
                "ORDER BY body, year, path", [__version__]).fetchall()
            if not rows:
                raise fail(f"{store}: no report read by nianbao {__version__} "
                           "(nianbao batch reads them)")
            reports = [opened.report(sha, __version__) for sha, *_ in rows]
            results = [AuditResult(file=source, agency=agency, year=year,
                                   findings=opened.findings(sha, __version__))
                       for sha, source, agency, year in rows]
    except NianbaoError as exc:
        raise fail(exc) from None
    return reports, results


class EvalFormat(str, Enum):
    table = "table"
    json = "json"


@app.command(name="eval")
def evaluate_command(
    files: Annotated[list[Path], typer.Argument(help="Documents (or directories) with truth files.")],
    truth: Annotated[Path, typer.Option("--truth", help="Directory of truth files (<stem>.json).")],
    fmt: Annotated[EvalFormat, typer.Option("--format", "-f")] = EvalFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    patterns: PatternsOption = None,
    rules: RulesOption = None,
    limit: LimitOption = None,
) -> None:
    """Score extraction (exact cells, missing, wrong, extra) and audit (findings against the
    truth's inconsistencies) on documents with known answers."""
    from rich.console import Console

    from .evaluate import evaluate
    from .pipeline import extract as run
    from .schema import dumps

    if not truth.is_dir():
        raise fail(f"{truth}: not a directory of truth files")
    limits = limits_of(limit)
    knowledge = knowledge_of(patterns, rules)
    documents = [p for p in walk(files) if p.parent.resolve() != truth.resolve()]
    with FileProgress(len(documents), "eval") as shown:
        def extract_one(path: Path):
            shown.working_on(path)
            try:
                return run(path, knowledge=knowledge, limits=limits)
            finally:
                shown.advance()

        result = evaluate(documents, truth, extract_one, knowledge)
    if not result.documents:
        raise fail(f"no document with a truth file in {truth}")
    out = _writer(output)
    if fmt == EvalFormat.json:
        out.write(dumps(result.model_dump(mode="python")) + "\n")
    else:
        from .terminal import render_evaluation

        render_evaluation(result, Console(file=out))
    if output is not None:
        out.close()
    if any(d.error for d in result.documents):
        raise typer.Exit(EXIT_INPUT)


@app.command()
def schema(
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
) -> None:
    """Print the JSON Schema of the Report (the contract of `extract -f json`)."""
    import json

    from .schema import json_schema

    out = _writer(output)
    out.write(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n")
    if output is not None:
        out.close()


def main() -> None:
    """The `nianbao` command: no traceback reaches the user (an internal error is one line,
    its traceback with -v), also on a console whose encoding has no Chinese."""
    # Error lines name files, often in Chinese: on such a console they are escaped, not lost.
    if hasattr(sys.stderr, "reconfigure"):
        sys.stderr.reconfigure(errors="backslashreplace")
    try:
        app(prog_name="nianbao")
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", "?")
        typer.echo(f"nianbao: this console's encoding ({encoding}) cannot print Chinese: set "
                   "PYTHONIOENCODING=utf-8 (or a UTF-8 locale), or write to a file with -o",
                   err=True)
        sys.exit(EXIT_INPUT)
    except Exception as exc:
        if Verbosity.level >= Verbosity.VERBOSE:
            raise
        typer.echo(f"nianbao: internal error ({type(exc).__name__}: {exc}); -v shows where",
                   err=True)
        sys.exit(EXIT_INPUT)


if __name__ == "__main__":  # pragma: no cover
    main()
