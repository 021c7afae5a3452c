"""Hard limits on what one input file can make nianbao do, in one settings object.

Formats allow absurd values: a `gridSpan` of 10⁹, a PDF that claims 2·10⁹ pages, a cell of 29
digits, a 1 MB DOCX whose XML inflates to 1 GB. Each is bounded here, so no input costs more
than time and memory in proportion to its size. Past a limit, nianbao either reads the rest
and warns (naming the limit) or refuses the file with a `LimitExceeded` error naming it.
Every limit, its default and what happens past it: docs/limits.md. Override them with
`extract(path, limits=Limits(max_pages=5000))` or `nianbao extract --limit max_pages=5000`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    # Refused before reading: larger files are archives or images, not reports.
    max_file_bytes: int = 256 * MiB
    # PDF pages read; later pages are skipped with a warning.
    max_pages: int = 2_000
    # HTML elements or DOCX XML elements; more is refused before the markup is parsed.
    max_markup_elements: int = 1_000_000
    # DOCX: all members inflated together; refused (from the archive's directory) beforehand.
    max_inflated_bytes: int = 128 * MiB
    # DOCX: a member over 1 MiB inflating more than this many times its packed size is a bomb.
    max_inflate_ratio: int = 200
    # rowspan, colspan, gridSpan, gridBefore: larger values are cut to this, with a warning.
    max_span: int = 100
    # Rows and columns of one table; the rest is dropped with a warning.
    max_table_rows: int = 50_000
    max_table_columns: int = 500
    # Characters of one table cell; a longer cell is cut with a warning.
    max_cell_chars: int = 5_000
    # Digits (integer and fraction) of one printed number; more is an unreadable cell.
    max_number_digits: int = 18

    def override(self, settings: list[str]) -> Limits:
        """These limits with `NAME=VALUE` settings applied (ValueError naming a bad one)."""
        known = {f.name for f in fields(self)}
        changes: dict[str, int] = {}
        for setting in settings:
            name, _, value = setting.partition("=")
            name = name.strip().replace("-", "_")
            if name not in known:
                raise ValueError(f"unknown limit {name!r} (known: {', '.join(sorted(known))})")
            try:
                number = int(value.strip().replace("_", ""))
            except ValueError:
                raise ValueError(f"limit {name} needs a whole number, not {value!r}") from None
            if number < 1:
                raise ValueError(f"limit {name} must be at least 1, not {number}")
            changes[name] = number
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()
