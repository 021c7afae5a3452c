"""The table limits of `Limits`, applied by every loader while it builds its grids.

A loader asks `Bounds` for each span, cell text, row and column as it reads them, so an absurd
value costs nothing (a `gridSpan` of 10⁹ is cut before any loop runs over it). Each limit that
was reached gives one warning for the whole document, naming the limit and how often.
"""

from __future__ import annotations

from collections import Counter

from ..limits import Limits


class Bounds:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._hits: Counter[str] = Counter()

    def span(self, value: int) -> int:
        """A rowspan or colspan of at least 1 and at most `max_span`."""
        if value > self.limits.max_span:
            self._hits["max_span"] += 1
            return self.limits.max_span
        return max(value, 1)

    def offset(self, value: int) -> int:
        """A count of columns skipped before a row's first cell (DOCX `gridBefore`)."""
        return 0 if value < 1 else self.span(value)

    def text(self, text: str) -> str:
        """A cell's text, cut at `max_cell_chars`."""
        if len(text) > self.limits.max_cell_chars:
            self._hits["max_cell_chars"] += 1
            return text[: self.limits.max_cell_chars]
        return text

    def row_fits(self, row: int) -> bool:
        """Whether a table's row `row` (from 0) is read."""
        if row >= self.limits.max_table_rows:
            self._hits["max_table_rows"] += 1
            return False
        return True

    def column_fits(self, col: int) -> bool:
        """Whether a cell starting in column `col` (from 0) is read."""
        if col >= self.limits.max_table_columns:
            self._hits["max_table_columns"] += 1
            return False
        return True

    def bad_number(self, what: str) -> None:
        """A span or offset attribute that is not a whole number was read as its default."""
        self._hits[f"not a number: {what}"] += 1

    def warnings(self) -> list[str]:
        messages = {
            "max_span": "spans over the limit max_span = {limit} were cut to it ({n})",
            "max_cell_chars": "cells longer than max_cell_chars = {limit} characters were cut "
                              "({n})",
            "max_table_rows": "rows past max_table_rows = {limit} in one table were not read "
                              "({n})",
            "max_table_columns": "cells past column max_table_columns = {limit} were not read "
                                 "({n})",
        }
        out = []
        for name, n in self._hits.items():
            unit = "row" if name == "max_table_rows" else "cell"
            count = f"{n} {unit}{'s' if n > 1 else ''}"
            if name in messages:
                out.append(messages[name].format(limit=getattr(self.limits, name), n=count))
            else:
                out.append(f"{name.removeprefix('not a number: ')} values that are not whole "
                           f"numbers were read as the default ({count})")
        return out


def whole_number(text: str | None) -> int | None:
    """`text` as an int when it is one (spaces around allowed), else None. A number too long to
    convert cheaply stands for "huge", which any limit then cuts."""
    if text is None:
        return None
    text = text.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) > 12:
        return -(10**12) if text.startswith("-") else 10**12
    return int(text)
