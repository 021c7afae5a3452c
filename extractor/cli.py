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
    FileProgress,
    LimitOption,
    BomOption,
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
        from . import __version__

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
    files: Annotated[list[Path], typer.Argument(help="Report files or directories; reports of one body in consecutive years are audited together.")],
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

    knowledge = knowledge_of(patterns, rules)
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

        out.write(render_html(list(zip(reports, results))))
    else:
        _render_findings(results, Console(file=out))
    if output is not None:
        out.close()
    if failed:
        raise typer.Exit(EXIT_INPUT)
    if fail_on != FailOn.never and any(
            SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on.value]
            for result in results for f in result.findings):
        raise typer.Exit(EXIT_FINDINGS)


def _render_findings(results, console) -> None:
    from rich.table import Table

    for result in results:
        title = f"{result.file} · {result.agency or '?'} · {result.year or '?'}"
        if result.previous:
            title += f" (with {result.previous})"
        if not result.findings:
            console.print(f"[bold]{title}[/bold]: ", end="")
            console.print(_no_findings(result), markup=False)
            continue
        table = Table(title=title, title_justify="left", show_lines=False)
        for column in ("severity", "rule", "expected", "printed", "cause"):
            table.add_column(column, no_wrap=True)
        # Chinese has no spaces to wrap at: fold the message rather than cut it with "…".
        table.add_column("message", overflow="fold", ratio=1)
        colours = {"error": "red", "warning": "yellow", "info": "blue"}
        for f in result.findings:
            table.add_row(f"[{colours[f.severity]}]{f.severity}[/]", f.rule, str(f.expected),
                          str(f.actual), f.likely_cause, f.message_zh)
        console.print(table)


def _no_findings(result) -> str:
    """How much was checked: "no findings" after no check at all says nothing."""
    checked = sum(t.checked for t in result.rules)
    skipped = sum(t.skipped for t in result.rules)
    rules = sum(1 for t in result.rules if t.checked)
    if not checked:
        return f"no findings, but no check could run ({skipped} skipped: no values to check)"
    return f"no findings: {checked} checks of {rules} rules held ({skipped} skipped)"


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
        _render_evaluation(result, Console(file=out))
    if output is not None:
        out.close()
    if any(d.error for d in result.documents):
        raise typer.Exit(EXIT_INPUT)


def _render_evaluation(result, console) -> None:
    from rich.table import Table

    from .schema import RELIABLE

    table = Table(title="extraction and audit against truth", title_justify="left")
    # The file name must stay whole to be found again; the short counts fold if they must.
    table.add_column("document", overflow="fold")
    for column in ("exact", "missing", "wrong", "extra", "findings", "unexpected errors"):
        table.add_column(column, overflow="fold")
    for d in result.documents:
        if d.error:
            table.add_row(d.file, f"[red]{d.error}[/red]", "", "", "", "", "")
            continue
        colour = "green" if d.exact == d.cells else "yellow"
        table.add_row(d.file, f"[{colour}]{d.exact}/{d.cells}[/]", str(len(d.missing)),
                      str(len(d.wrong)), str(len(d.extra)),
                      f"{d.findings_matched}/{d.findings_expected} (found {d.findings_found})",
                      str(len(d.unexpected_errors)))
    console.print(table)
    for d in result.documents:
        for w in d.wrong[:10]:
            console.print(f"  {d.file}: {w.key} expected {w.expected} got {w.got} "
                          f"(confidence {w.confidence:g}{'' if w.flagged else ', not flagged'})")
        for key in d.missing[:10]:
            console.print(f"  {d.file}: {key} missing")
        for message in d.unexpected_errors + d.missed_findings:
            console.print(f"  {d.file}: finding {message}")
    precision = "—" if result.findings_precision is None else f"{result.findings_precision:.1%}"
    recall = "—" if result.findings_recall is None else f"{result.findings_recall:.1%}"
    wrong = (f"{result.wrong} wrong, {result.wrong - result.wrong_unflagged} of them flagged "
             f"(confidence < {RELIABLE:g}); ") if result.wrong else ""
    console.print(f"[bold]cells {result.exact}/{result.cells} exact ({result.exact_rate:.2%}); "
                  f"{wrong}findings precision {precision}, recall {recall}[/bold]")


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
