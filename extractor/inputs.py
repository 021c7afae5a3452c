"""Which files a command reads: files as given, directories walked for report files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

REPORT_SUFFIXES = {".pdf", ".html", ".htm", ".shtml", ".xhtml", ".docx", ".txt", ".text", ".md"}


def walk(paths: Iterable[Path]) -> list[Path]:
    """Files as given (their content decides how they are read); directories walked for
    files with a report suffix, sorted, hidden files skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            files.append(path)
    return files
