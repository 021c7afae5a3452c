"""normalize: raw cell text → typed value, keeping why a cell has no value.

Counts become int, signed changes int with their sign, amounts Decimal in the field's canonical
unit (exact: no float ever). Blank, dash, slash and 无 come back as `None` with the reason;
nothing is turned into 0. Text that is not a number comes back as `None` with reason
"unreadable" and confidence 0, so a caller can never mistake it for a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from typing import Literal

import regex

from .limits import DEFAULT_LIMITS
from .patterns import NumberPatterns
from .textnorm import nfkc

Kind = Literal["count", "signed", "amount"]
NullReason = Literal["blank", "dash", "slash", "none", "not_applicable", "unreadable"]


@dataclass(frozen=True, slots=True)
class Parsed:
    value: int | Decimal | None
    null_reason: NullReason | None = None
    unit: str | None = None  # the unit printed in the cell, if any
    confidence: float = 1.0
    note: str | None = None


_PARENTHETICAL = regex.compile(r"[(（][^()（）]*[)）]")


class Numbers:
    """numbers.yaml made into a parser: no-value markers, units, thousands separators. Parsed
    cells are remembered (a report repeats its numbers, a batch its reports)."""

    def __init__(self, patterns: NumberPatterns) -> None:
        self.null_by_text = {
            nfkc(marker).strip(): reason
            for reason, markers in patterns.null_markers.items()
            for marker in markers
        }
        self.count_units = {nfkc(u) for u in patterns.units.get("count", [])}
        self.amount_units = {nfkc(k): Decimal(str(v))
                             for k, v in patterns.units.get("amount", {}).items()}
        separators = "".join(regex.escape(nfkc(s))
                             for s in dict.fromkeys(patterns.thousands_separators))
        self.separators = regex.compile(f"[{separators}]")
        self.number = regex.compile(
            rf"^(?P<sign>[+\-−－]?)\s*(?P<digits>\d{{1,3}}(?:(?P<sep>[{separators}])\d{{3}})"
            rf"(?:(?P=sep)\d{{3}})*|\d+)(?P<fraction>\.\d+)?\s*(?P<unit>[^\d\s.]{{0,3}})$")
        self._parsed: dict[tuple, Parsed] = {}

    def units(self, kind: Literal["count", "amount", "all"] = "all") -> list[str]:
        """The units numbers.yaml knows, longest first (for building patterns that must not
        stop at 元 inside 万元)."""
        chosen = (self.count_units if kind == "count" else set(self.amount_units)
                  if kind == "amount" else self.count_units | set(self.amount_units))
        return sorted(chosen, key=len, reverse=True)

    def parse(self, raw: str, kind: Kind = "count", unit: str | None = None,
              max_digits: int | None = DEFAULT_LIMITS.max_number_digits) -> Parsed:
        """Parse one printed cell. For an amount, `unit` (元, 万元) is the unit to convert a
        unit printed in the cell into; without it the number is returned as printed. A number
        of more than `max_digits` digits is unreadable (no report counts to 10¹⁸; None: no
        limit)."""
        key = (raw, kind, unit, max_digits)
        parsed = self._parsed.get(key)
        if parsed is None:
            if len(self._parsed) > _REMEMBERED:
                self._parsed.clear()
            parsed = self._parsed[key] = self._parse(raw, kind, unit, max_digits)
        return parsed

    def _parse(self, raw: str, kind: Kind, unit: str | None, max_digits: int | None) -> Parsed:
        text = nfkc(raw).strip()
        if not text:
            return Parsed(None, "blank")
        if text in self.null_by_text:
            return Parsed(None, self.null_by_text[text])
        note = None
        bare = _PARENTHETICAL.sub("", text).strip()
        if bare != text and bare:
            note = f"remark dropped: {text[len(bare):].strip() or text}"
            text = bare
        match = self.number.match(text.replace("−", "-"))
        if not match:
            return Parsed(None, "unreadable", confidence=0.0, note=f"not a number: {raw!r}")
        digits = self.separators.sub("", match["digits"])
        printed_digits = len(digits) + max(len(match["fraction"] or "") - 1, 0)
        if max_digits is not None and printed_digits > max_digits:
            return Parsed(None, "unreadable", confidence=0.0, note=f"{printed_digits} digits, "
                          f"over the limit max_number_digits = {max_digits}")
        sign = "-" if match["sign"] in ("-", "−", "－") else ""
        printed_unit = match["unit"] or None
        if printed_unit and printed_unit not in self.count_units | self.amount_units.keys():
            return Parsed(None, "unreadable", confidence=0.0, note=f"unknown unit in {raw!r}")
        if kind == "amount":
            try:
                amount = Decimal(sign + digits + (match["fraction"] or ""))
            except InvalidOperation:
                return Parsed(None, "unreadable", confidence=0.0, note=f"not a number: {raw!r}")
            if unit and printed_unit:
                amount = self.convert(amount, printed_unit, unit)
            return Parsed(_plain(amount), unit=printed_unit, note=note)
        if match["fraction"] and match["fraction"].strip(".0"):
            return Parsed(None, "unreadable", confidence=0.0,
                          note=f"a fraction in a count: {raw!r}")
        if printed_unit in self.amount_units:
            note = f"amount unit {printed_unit} in a count cell"
        value = int(sign + digits)
        if kind == "count" and value < 0:
            return Parsed(value, unit=printed_unit, confidence=0.5, note="negative count")
        return Parsed(value, unit=printed_unit, note=note)

    def convert(self, amount: Decimal, from_unit: str, to_unit: str) -> Decimal:
        """`amount` in `from_unit` expressed in `to_unit` (元, 万元, …), exactly."""
        factors = self.amount_units
        if from_unit == to_unit or from_unit not in factors or to_unit not in factors:
            return amount
        with localcontext() as exact:  # wide enough that no digit of a long amount is rounded
            exact.prec = max(exact.prec, len(amount.as_tuple().digits) + 20)
            return _plain(amount * factors[from_unit] / factors[to_unit])

    def is_value(self, text: str) -> bool:
        """Whether a cell's text reads as a value or a no-value marker (not as a label); a
        number too long to be trusted still reads as one."""
        return self.parse(text, "amount", max_digits=None).null_reason != "unreadable"


_REMEMBERED = 65_536  # parsed cells kept per parser


def _plain(amount: Decimal) -> Decimal:
    """Drop exponent noise from unit conversion without losing printed precision."""
    if amount == amount.to_integral_value():
        return Decimal(int(amount))  # exact at any length, where quantize stops at 28 digits
    return amount.normalize()


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def parse_chinese_numeral(text: str) -> int | None:
    """二十九 → 29, 一百零五 → 105, 三万二千 → 32000; None if `text` is not such a numeral."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS and ch not in _CN_BIG
                       for ch in text):
        return None
    total = section = digit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        else:
            total += (section + digit) * _CN_BIG[ch]
            section = digit = 0
    return total + section + digit
