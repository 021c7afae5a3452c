"""The number normalizer: printed cell text → typed value, never an invented 0."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.knowledge import Knowledge
from extractor.numbers import parse_chinese_numeral

NUMBERS = Knowledge.default().numbers
parse_number = NUMBERS.parse
is_value_text = NUMBERS.is_value
convert_amount = NUMBERS.convert

FULL_WIDTH = str.maketrans("0123456789,.+-", "０１２３４５６７８９，．＋－")


def with_thousands(n: int, sep: str = ",") -> str:
    return f"{n:,}".replace(",", sep)


@given(st.integers(min_value=0, max_value=10**12),
       st.sampled_from(["", ",", "，", " "]),
       st.booleans(),
       st.sampled_from(["", "件", "项", "个", "条"]))
def test_counts_round_trip(n, sep, full_width, unit):
    text = (with_thousands(n, sep) if sep else str(n)) + unit
    if full_width:
        text = text.translate(FULL_WIDTH)
    parsed = parse_number(text, "count")
    assert parsed.value == n and type(parsed.value) is int
    assert parsed.null_reason is None and parsed.confidence == 1.0


@given(st.integers(min_value=-10**9, max_value=10**9), st.booleans())
def test_signed_changes_keep_their_sign(n, explicit_plus):
    text = f"+{n}" if n > 0 and explicit_plus else str(n)
    assert parse_number(text, "signed").value == n


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_amounts_are_exact_decimals(amount):
    text = format(amount, "f")
    parsed = parse_number(text, "amount")
    assert isinstance(parsed.value, Decimal) and parsed.value == amount


@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_amount_units_convert_exactly(amount):
    in_yuan = parse_number(format(amount, "f") + "万元", "amount", unit="元").value
    assert in_yuan == amount * 10000
    assert convert_amount(in_yuan, "元", "万元") == amount


@given(st.sampled_from(["", " ", "—", "-", "——", "－", "/", "／", "无", "不适用"]),
       st.sampled_from(["count", "signed", "amount"]))
def test_no_value_markers_are_null_with_reason(marker, kind):
    parsed = parse_number(marker, kind)
    assert parsed.value is None
    assert parsed.null_reason in {"blank", "dash", "slash", "none", "not_applicable"}
    assert is_value_text(marker)


@given(st.text(alphabet="属于国家秘密其他法律行政法规禁止公开（）一二三、.", min_size=2, max_size=12))
def test_labels_are_never_numbers(label):
    """A row label (Chinese numerals and ordinals included) is never read as a value, nor
    mistaken for a no-value mark: it is unreadable, with no confidence."""
    parsed = parse_number(label, "count")
    assert parsed.value is None
    assert parsed.null_reason == "unreadable" and parsed.confidence == 0.0
    assert not is_value_text(label)


@pytest.mark.parametrize("text, reason", [
    ("", "blank"), ("—", "dash"), ("/", "slash"), ("无", "none"),
])
def test_null_reasons(text, reason):
    assert parse_number(text).null_reason == reason


@pytest.mark.parametrize("text, kind, unit, value", [
    ("27225290916元", "amount", "元", Decimal("27225290916")),
    ("96171.6", "amount", "万元", Decimal("96171.6")),
    ("1.5亿元", "amount", "万元", Decimal("15000")),
    ("3,119", "count", None, 3119),
    ("１２３", "count", None, 123),
    ("22（其中修订16件）", "count", None, 22),
    ("-183", "signed", None, -183),
    ("+5174", "signed", None, 5174),
    ("0", "signed", None, 0),
])
def test_printed_forms(text, kind, unit, value):
    assert parse_number(text, kind, unit).value == value


def test_fraction_in_a_count_is_not_silently_rounded():
    parsed = parse_number("12.5", "count")
    assert parsed.value is None and parsed.null_reason == "unreadable"


@given(st.integers(min_value=0, max_value=99999))
def test_chinese_numerals(n):
    digits = "零一二三四五六七八九"
    def spell(x):
        if x == 0:
            return "零"
        out, zero = "", False
        for unit, size in (("万", 10000), ("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d = x // size % 10
            if d:
                if zero and out:
                    out += "零"
                out += digits[d] + unit
                zero = False
            elif out:
                zero = True
        return out
    assert parse_chinese_numeral(spell(n)) == n


def test_chinese_numeral_short_forms():
    assert parse_chinese_numeral("十") == 10
    assert parse_chinese_numeral("二十九") == 29
    assert parse_chinese_numeral("两百") == 200
    assert parse_chinese_numeral("二十九件") is None
