"""tables/settle.py: choosing among rows' readings with the identities across rows."""

from extractor.knowledge import Knowledge
from extractor.tables.digits import Digits, plain_splits, reading_of, sum_splits
from extractor.tables.settle import GUESSED, SETTLED, doubted, settle

TPL = Knowledge.default().templates
IDENTITIES = Knowledge.default().identities
COLUMNS = TPL.app_column_order


def keys(rows):
    return {row: [f"applications.{row}.{c}" for c in COLUMNS] for row in rows}


def readings(text: str):
    digits = Digits.plain(text)
    return [reading_of(digits, s) for s in sum_splits(digits, 7)]


def no_prose(_values):
    return 0


def test_the_column_identities_choose_the_split():
    """Pingtan 2023: 予以公开 "220000022" splits 22 0 … 22 or 2 20 0 … 22; only the first lets
    the outcomes add up to （七）总计 in every column."""
    rows = {"granted": readings("220000022"), "total_handled": readings("220000022")}
    assert len(rows["granted"]) == 2
    instances = [i for i in IDENTITIES.for_table("applications", "2021")
                 if i.identity == "outcomes_total"]
    # With only these two rows the outcomes identity is granted = total_handled per column.
    rows["total_handled"] = [r for r in rows["total_handled"] if r.values[0] == 22]
    settled = settle(rows, keys(rows), [_only(i, rows) for i in instances], no_prose)
    assert settled.chosen["granted"].values == (22, 0, 0, 0, 0, 0, 22)
    assert settled.confidence["granted"] == SETTLED


def test_what_the_identities_leave_open_is_a_guess():
    rows = {"granted": readings("220000022")}
    settled = settle(rows, keys(rows), [], no_prose)
    assert settled.confidence["granted"] == GUESSED
    assert settled.chosen["granted"].values == (22, 0, 0, 0, 0, 0, 22)  # the more plausible


def test_a_row_a_misprint_explains_as_well_is_doubted():
    """"610000016" adds up as 6 10 0 0 0 0 16, but if the publisher printed 61 for 16 the
    columns say so: the reading is in doubt."""
    chosen = {"unavailable.not_held": readings("610000016")[0],
              "total_handled": reading_of(Digits.plain("1600000016"), (16, 0, 0, 0, 0, 0, 16))}
    assert chosen["unavailable.not_held"].values == (6, 10, 0, 0, 0, 0, 16)
    instances = [_only(i, chosen) for i in IDENTITIES.for_table("applications", "2021")
                 if i.identity in ("row_sum", "outcomes_total")]
    alternatives = {"unavailable.not_held": [reading_of(Digits.plain("610000016"), s)
                                             for s in plain_splits(Digits.plain("610000016"), 7)]}
    assert doubted(chosen, alternatives, keys(chosen), [i for i in instances if i]) == {
        "unavailable.not_held"}


def test_a_row_that_explains_the_table_is_not_doubted():
    good = reading_of(Digits.plain("1600000016"), (16, 0, 0, 0, 0, 0, 16))
    chosen = {"unavailable.not_held": good, "total_handled": good}
    instances = [_only(i, chosen) for i in IDENTITIES.for_table("applications", "2021")
                 if i.identity in ("row_sum", "outcomes_total")]
    alternatives = {"unavailable.not_held": [reading_of(Digits.plain("1600000016"), s)
                                             for s in plain_splits(Digits.plain("1600000016"), 7)]}
    assert doubted(chosen, alternatives, keys(chosen), [i for i in instances if i]) == set()


def _only(instance, rows):
    """The instance restricted to the rows at hand (the others are not printed here)."""
    from dataclasses import replace

    row_of = lambda t: t.key.split(".", 1)[1].rsplit(".", 1)[0]  # noqa: E731
    left = tuple(t for t in instance.left if row_of(t) in rows)
    right = tuple(t for t in instance.right if row_of(t) in rows)
    return replace(instance, left=left, right=right) if left and right else None
