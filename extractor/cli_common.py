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


def fail(message: object) -> typer.Exit:
    """Print `nianbao: message` on stderr; returns the exit to raise."""
    typer.echo(f"nianbao: {message}", err=True)
    return typer.Exit(EXIT_INPUT)
