"""What every `nianbao` command shares: exit codes, common options, the one-line error."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

EXIT_FINDINGS = 1
EXIT_INPUT = 2


class OcrMode(str, Enum):
    auto = "auto"
    never = "never"
    always = "always"


PatternsOption = Annotated[
    Optional[list[Path]],
    typer.Option("--patterns", help="A directory of extra pattern files (repeatable)."),
]
OcrOption = Annotated[OcrMode, typer.Option(help="OCR pages without a usable text layer.")]
BomOption = Annotated[bool, typer.Option(
    "--bom", help="CSV in UTF-8 with a byte-order mark, so Excel on Chinese Windows reads it.")]


def fail(message: object) -> typer.Exit:
    """Print `nianbao: message` on stderr; returns the exit to raise."""
    typer.echo(f"nianbao: {message}", err=True)
    return typer.Exit(EXIT_INPUT)


def reports_of(files: list[Path], patterns_dirs: tuple[str, ...], ocr: str):
    """Extract every report under `files`, one at a time; a failure is one line on stderr
    and the next file goes on. Yields (path, report or None). Bad patterns, or no report
    file at all, end the command at once: nothing could succeed."""
    from .errors import NianbaoError
    from .inputs import walk
    from .pipeline import check_patterns, extract

    try:
        check_patterns(patterns_dirs)
    except NianbaoError as exc:
        raise fail(exc) from None
    paths = walk(files)
    if not paths:
        raise fail(f"no report files in {', '.join(map(str, files))}")
    for path in paths:
        try:
            yield path, extract(path, patterns_dirs=patterns_dirs, ocr=ocr)
        except NianbaoError as exc:
            typer.echo(f"nianbao: {exc}", err=True)
            yield path, None
        except Exception as exc:  # a bug of ours on this file must not stop the others
            typer.echo(f"nianbao: {path}: internal error ({type(exc).__name__}: {exc})", err=True)
            yield path, None
