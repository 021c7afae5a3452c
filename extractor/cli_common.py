"""What every `nianbao` command shares: exit codes, common options, the one-line error."""

from __future__ import annotations

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


def reports_of(files: list[Path], knowledge, ocr: str, limits: Limits = DEFAULT_LIMITS):
    """Extract every report under `files` with `knowledge`, one at a time; a failure is one
    line on stderr and the next file goes on. Yields (path, report or None). No report file
    at all ends the command at once: nothing could succeed."""
    from .errors import NianbaoError
    from .inputs import walk
    from .pipeline import extract

    paths = walk(files)
    if not paths:
        raise fail(f"no report files in {', '.join(map(str, files))}")
    for path in paths:
        try:
            yield path, extract(path, knowledge=knowledge, ocr=ocr, limits=limits)
        except NianbaoError as exc:
            typer.echo(f"nianbao: {exc}", err=True)
            yield path, None
        except Exception as exc:  # a bug of ours on this file must not stop the others
            typer.echo(f"nianbao: {path}: internal error ({type(exc).__name__}: {exc})", err=True)
            yield path, None
