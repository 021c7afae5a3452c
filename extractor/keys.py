"""Canonical keys as values: a table, a row (or item, block, indicator) and a column (or field).

`applications.denied.state_secret.natural_person` is Key("applications", "denied.state_secret",
"natural_person"): the table is the first part, the column the last, the row what lies between
(a row of a group keeps its dot). Keys are built and taken apart here and nowhere else, so a
stage never assembles a key with an f-string or splits one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

TABLES = ("active", "applications", "review_litigation", "legacy")


@dataclass(frozen=True, slots=True, order=True)
class Key:
    table: str
    row: str
    column: str

    @classmethod
    def parse(cls, text: str) -> Key:
        """A canonical key from its text; ValueError when it is not one. Each text is parsed
        once: a report's few hundred keys recur in every report."""
        return _parse(text)

    @classmethod
    def _parse(cls, text: str) -> Key:
        table, _, rest = text.partition(".")
        row, _, column = rest.rpartition(".")
        if table not in TABLES or not row or not column:
            raise ValueError(f"{text!r} is not a canonical key (table.row.column)")
        return cls(table, row, column)

    def __str__(self) -> str:
        return f"{self.table}.{self.row}.{self.column}"

    @property
    def group(self) -> str | None:
        """The group of a table-3 sub-row (denied for denied.state_secret), else None."""
        head, dot, _ = self.row.partition(".")
        return head if dot else None

    def with_column(self, column: str) -> Key:
        return Key(self.table, self.row, column)


@lru_cache(maxsize=16384)
def _parse(text: str) -> Key:
    return Key._parse(text)


def join_key(table: str, row: str, column: str) -> str:
    """The text of a canonical key: join_key("applications", "granted", "total")."""
    return str(Key(table, row, column))
