"""Warning codes: what a `Warning` in a `Report` says, one documented meaning each."""

from __future__ import annotations

from enum import Enum


class Code(str, Enum):
    """Each member's comment is its meaning; docs/schema.md lists them (a test keeps it so)."""

    # The loader: a repaired PDF, pages read by OCR, a guessed or repaired encoding, a limit hit.
    DOCUMENT = "document"
    # A standard table of the report was not found at all.
    TABLE_MISSING = "table_missing"
    # Tables were found but not one cell holds a number (a blank template, a form not filled in).
    NO_VALUES = "no_values"
    # A table was found but some of the template's rows were not.
    ROWS_MISSING = "rows_missing"
    # A row without a readable label, placed by its position among its neighbours.
    ROW_INFERRED = "row_inferred"
    # A printed row whose label matches no row the table can have (legacy 统计表).
    ROW_UNKNOWN = "row_unknown"
    # A row whose cells cannot be split into the table's columns; its values are left out.
    ROW_UNREADABLE = "row_unreadable"
    # Table 3's applicant columns were not named by a header: laid out in the template's order.
    COLUMNS_INFERRED = "columns_inferred"
    # Table 4's header was not recognised: cells laid out in the template's order.
    PLACED_BY_ORDER = "placed_by_order"
    # Table-2 cells a converter pulled out of their row, placed by the column their remark names.
    CELLS_INFERRED = "cells_inferred"
    # Cells laid out over cells the source did not print (dropped, or merged and printed once).
    CELLS_PLACED = "cells_placed"
    # A legacy 统计表 cell placed in the 本年度 or 历年累计 column without an identity or a prose
    # figure to prove which.
    COLUMN_UNPROVEN = "column_unproven"
    # A run of digits read more than one way: every candidate listed, and how one was chosen.
    AMBIGUOUS_DIGITS = "ambiguous_digits"
    # A run of digits no reading of which satisfies the row's (or blocks') own sums.
    DIGITS_UNSPLITTABLE = "digits_unsplittable"
    # A cell whose text is not a number: its value is null, never guessed.
    UNREADABLE = "unreadable"
    # A key printed twice: the first is kept.
    DUPLICATE = "duplicate"
    # The prose states one indicator twice with different figures (legacy reports): the first
    # is used where the table does not print it.
    PROSE_CONFLICT = "prose_conflict"

    def __str__(self) -> str:
        return self.value
