"""What every `nianbao` command shares: exit codes, common options, the one-line error."""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .limits import DEFAULT_LIMITS, Limits

EXIT_FINDINGS = 1
EXIT_INPUT = 2


class OcrMode(str, Enum):
    auto = "auto"
    never = "never"
    always = "always"


PatternsOption = Annotated[
    list[Path] | None,
    typer.Option("--patterns", help="A directory of extra pattern files (repeatable)."),
]
RulesOption = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="A directory of extra rules*.yaml files (repeatable)."),
]
OcrOption = Annotated[OcrMode, typer.Option(help="OCR pages without a usable text layer.")]
LimitOption = Annotated[
    list[str] | None,
    typer.Option("--limit", metavar="NAME=VALUE",
                 help="Change one limit of docs/limits.md, e.g. max_pages=5000 (repeatable)."),
]
BomOption = Annotated[bool, typer.Option(
    "--bom", help="CSV in UTF-8 with a byte-order mark, so Excel on Chinese Windows reads it.")]


def fail(message: object) -> typer.Exit:
    """Print `nianbao: message` on stderr; returns the exit to raise."""
    typer.echo(f"nianbao: {message}", err=True)
    return typer.Exit(EXIT_INPUT)


def limits_of(settings: list[str] | None) -> Limits:
    """The limits with the command line's `--limit NAME=VALUE` settings applied."""
    try:
        return DEFAULT_LIMITS.override(settings or [])
    except ValueError as exc:
        raise fail(f"--limit: {exc}") from None


def knowledge_of(patterns: list[Path] | None, rules: list[Path] | None = None):
    """The knowledge a command works with, loaded once before any input: a mistake in a
    pattern or rule file is one line naming the file and the entry, and nothing else is done."""
    from .errors import NianbaoError
    from .knowledge import Knowledge

    try:
        return Knowledge.load(tuple(str(p) for p in patterns or ()),
                              tuple(str(p) for p in rules or ()))
    except NianbaoError as exc:
        raise fail(exc) from None


STDIN = Path("-")


def reports_of(files: list[Path], knowledge, ocr: str, limits: Limits = DEFAULT_LIMITS):
    """Extract every report under `files` with `knowledge`, one at a time (`-` is standard
    input, read by its content like any file); a failure is one line on stderr and the next
    file goes on. Yields (path, report or None). No report file at all ends the command at
    once: nothing could succeed."""
    from .inputs import walk

    paths = walk(files)
    if not paths:
        raise fail(f"no report files in {', '.join(map(str, files))}")
    with FileProgress(len(paths), "extract") as shown:
        for path in paths:
            shown.working_on(path)
            yield path, _report_of(path, knowledge, ocr, limits)
            shown.advance()


def _report_of(path: Path, knowledge, ocr: str, limits: Limits):
    import sys
    import time

    from .errors import NianbaoError
    from .load import load_bytes
    from .pipeline import extract, extract_document

    start = time.perf_counter()
    try:
        if path == STDIN:
            document = load_bytes(sys.stdin.buffer.read(), Path("<stdin>"), ocr=ocr,
                                  limits=limits)
            report = extract_document(document, knowledge=knowledge, limits=limits)
        else:
            report = extract(path, knowledge=knowledge, ocr=ocr, limits=limits)
    except NianbaoError as exc:
        typer.echo(f"nianbao: {exc}", err=True)
        return None
    except Exception as exc:  # a bug of ours on this file must not stop the others
        typer.echo(f"nianbao: {path}: internal error ({type(exc).__name__}: {exc})", err=True)
        if verbose():
            import traceback

            traceback.print_exc()
        return None
    note(f"{report.meta.path}: format {report.meta.format}, {len(report.values)} values, "
         f"{len(report.warnings)} warnings, {time.perf_counter() - start:.1f} s")
    if verbose():
        for w in report.warnings:
            typer.echo(f"nianbao: {path}: warning {w.code}: {w.message}", err=True)
    return report

class Verbosity:
    """How much a command says besides its results, set once by `nianbao -q/-v`: quiet prints
    results and errors only; verbose adds a line per file, every warning on stderr, and the
    traceback of an internal error."""

    QUIET, NORMAL, VERBOSE = -1, 0, 1
    level = NORMAL


def verbose() -> bool:
    return Verbosity.level >= Verbosity.VERBOSE


def quiet() -> bool:
    return Verbosity.level <= Verbosity.QUIET


def note(message: str) -> None:
    """A line on stderr in verbose mode only."""
    if verbose():
        typer.echo(f"nianbao: {message}", err=True)


class Bars:
    """The one live display on stderr (rich shows one at a time): a bar over the files of a run
    and one over the OCR pages of a file. Only on a terminal, never with -q, gone when done, so
    piped output and logs stay as they were."""

    progress = None
    console = None

    @classmethod
    def add(cls, label: str, total: int):
        """A new bar (its task id), or None where bars are not shown."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        cls.console = cls.console or Console(stderr=True)
        if quiet() or not cls.console.is_interactive:
            return None
        if cls.progress is None:
            cls.progress = Progress(TextColumn("{task.fields[label]}"), BarColumn(),
                                    MofNCompleteColumn(), TimeRemainingColumn(),
                                    TextColumn("{task.description}"), console=cls.console,
                                    transient=True)
            cls.progress.start()
        return cls.progress.add_task("", total=total, label=label)

    @classmethod
    def update(cls, task, **changes) -> None:
        if task is not None and cls.progress is not None:
            cls.progress.update(task, **changes)

    @classmethod
    def remove(cls, task) -> None:
        if task is None or cls.progress is None:
            return
        cls.progress.refresh()  # the bar's last state is drawn before it goes
        cls.progress.remove_task(task)
        if not cls.progress.tasks:
            cls.progress.stop()
            cls.progress = None


class FileProgress:
    """A bar over the files of a run (`extract DIR`, `audit`, `eval`), for more than one file."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.task = total, label, None

    def __enter__(self) -> FileProgress:
        if self.total > 1:
            self.task = Bars.add(self.label, self.total)
        return self

    def __exit__(self, *exc) -> None:
        Bars.remove(self.task)

    def working_on(self, path: Path) -> None:
        Bars.update(self.task, description=path.name)

    def advance(self) -> None:
        Bars.update(self.task, advance=1)


class PageProgress(logging.Handler):
    """The stages' log records on stderr: with -v each as a line; those that count steps of a
    long job (`extra={"step": (done, total)}`: OCR pages) as a bar."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.task = None

    def emit(self, record: logging.LogRecord) -> None:
        if verbose():
            line = f"nianbao: {record.getMessage()}"
            if Bars.progress is not None:  # above the bars, not through them
                Bars.progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
            else:
                typer.echo(line, err=True)
        step = getattr(record, "step", None)
        if step is None:
            return
        done, total = step
        if self.task is None:
            self.task = Bars.add(getattr(record, "job", "working"), total)
        Bars.update(self.task, completed=done)
        if done >= total:
            Bars.remove(self.task)
            self.task = None


def show_logs() -> None:
    """Route the stages' logging (the `extractor` loggers) to stderr as PageProgress shows it."""
    logger = logging.getLogger("extractor")
    logger.setLevel(logging.INFO)
    if not any(isinstance(h, PageProgress) for h in logger.handlers):
        logger.addHandler(PageProgress())
