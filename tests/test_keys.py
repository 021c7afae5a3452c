"""Canonical keys as values (extractor/keys.py): parsed once, built in one place."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from extractor.keys import TABLES, Key, join_key

EXTRACTOR = Path(__file__).resolve().parent.parent / "extractor"
parts = st.from_regex(r"[a-z_]{1,10}", fullmatch=True)


@given(table=st.sampled_from(TABLES), row=st.lists(parts, min_size=1, max_size=3), column=parts)
def test_a_key_reads_back_into_its_table_row_and_column(table, row, column):
    text = join_key(table, ".".join(row), column)
    key = Key.parse(text)
    assert (key.table, key.row, key.column, str(key)) == (table, ".".join(row), column, text)
    assert key.group == (row[0] if len(row) > 1 else None)


def test_real_keys_of_each_table():
    key = Key.parse("applications.denied.state_secret.natural_person")
    assert (key.table, key.row, key.column, key.group) == (
        "applications", "denied.state_secret", "natural_person", "denied")
    assert str(key.with_column("total")) == "applications.denied.state_secret.total"
    assert Key.parse("active.fees.amount_10k_yuan").row == "fees"
    assert Key.parse("legacy.applications.received").column == "received"


@pytest.mark.parametrize("text", ["applications.total", "nosuch.a.b", "applications..total", ""])
def test_what_is_not_a_key_is_refused(text):
    with pytest.raises(ValueError):
        Key.parse(text)


def test_no_stage_assembles_a_full_key_with_an_f_string():
    """Keys are built by keys.join_key: an f-string "applications.{row}.{column}" elsewhere
    is a key assembled by hand."""
    by_hand = regex.compile(r'f"(?:applications|active|review_litigation)\.\{[^}]+\}\.\{')
    found = [f"{path.relative_to(EXTRACTOR)}:{n}" for path in EXTRACTOR.rglob("*.py")
             for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
             if by_hand.search(line)]
    assert found == []
