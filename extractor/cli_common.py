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


def check_knowledge(patterns_dirs: tuple[str, ...], rules_dirs: tuple[str, ...] = ()) -> None:
    """Validate every pattern and rule file a command could read, before any input: a
    mistake is one line naming the file and the entry, and nothing else is done."""
    from .audit.rules import load_rules
    from .errors import NianbaoError
    from .pipeline import check_patterns

    try:
        check_patterns(patterns_dirs)
        load_rules(rules_dirs, patterns_dirs)
    except NianbaoError as exc:
        raise fail(exc) from None


def reports_of(files: list[Path], patterns_dirs: tuple[str, ...], ocr: str,
               limits: Limits = DEFAULT_LIMITS, rules_dirs: tuple[str, ...] = ()):
    """Extract every report under `files`, one at a time; a failure is one line on stderr
    and the next file goes on. Yields (path, report or None). Bad patterns or rules, or no
    report file at all, end the command at once: nothing could succeed."""
    from .errors import NianbaoError
    from .inputs import walk
    from .pipeline import extract

    check_knowledge(patterns_dirs, rules_dirs)
    paths = walk(files)
    if not paths:
        raise fail(f"no report files in {', '.join(map(str, files))}")
    for path in paths:
        try:
            yield path, extract(path, patterns_dirs=patterns_dirs, ocr=ocr, limits=limits)
        except NianbaoError as exc:
            typer.echo(f"nianbao: {exc}", err=True)
            yield path, None
        except Exception as exc:  # a bug of ours on this file must not stop the others
            typer.echo(f"nianbao: {path}: internal error ({type(exc).__name__}: {exc})", err=True)
            yield path, None
