"""Token streams: a table's text as the labels it prints and the runs of numbers between them.

Web dumps keep a table as text in three shapes: the whole page on one line (cells run together,
a space at some boundaries), one cell or HTML span per line (a number may break over two
lines), and dumps that drop empty cells. A `Run` is the numbers after one label, with the kind
of gap the text had between each two digits (nothing, a line break, a separator), so that
`digits.py` can read the cells back. Grids are serialized into the same form (a tab between
cells, a blank cell as a mark of its own), so one token-stream reader serves every source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..document import TextLine
from ..segment import TextRegion
from ..textnorm import nfkc
from .digits import HARD, NONE, SOFT, Digits
from .locate import LocatedTable

MARKS = "—–−－―/／无"  # printed no-value marks: each is a cell of its own
BLANK_MARK = "∅"  # a grid's blank cell in a serialized table: a cell printed empty
_ALL_MARKS = MARKS + BLANK_MARK
DIGIT = regex.compile(rf"[\d{_ALL_MARKS}]")  # where a run may start


@lru_cache(maxsize=8)
def _run_pattern(units: tuple[str, ...]):
    """Digits, marks and spaces; a count unit after a number ("1件0件") separates cells."""
    unit = "|".join(regex.escape(u) for u in sorted(units, key=len, reverse=True))
    after = rf"(?:(?<=\d)(?:{unit}))" if unit else "(?!)"
    cell = rf"[\d{_ALL_MARKS}]"
    space = r"[ \t\u3000\r\n]"
    return regex.compile(rf"{space}*({cell}(?:{cell}|{space}|{after})*(?:\.\d+)?)")

_NEXT_NUMBERING = regex.compile(r"\s*[.、．](?!\d)")


@dataclass(frozen=True, slots=True)
class Run:
    """The digits of one printed row with where each came from. A no-value mark stands in
    the digits as a "0" cell between hard gaps and is printed back as itself."""

    digits: Digits
    positions: tuple[int, ...]  # offset in the region text of each digit
    marks: Mapping[int, str]  # digit index → the mark printed there ("" for a blank cell)

    @property
    def text(self) -> str:
        return self.digits.text

    def piece(self, lo: int, hi: int) -> tuple[int, int]:
        """Region-text offsets of digits[lo:hi]."""
        return self.positions[lo], self.positions[hi - 1] + 1

    def printed(self, lo: int, hi: int) -> str:
        return self.marks.get(lo, self.digits.text[lo:hi])


def _gap(whitespace: str) -> int:
    if not whitespace:
        return NONE
    if "\t" in whitespace or not any(c in "\r\n" for c in whitespace):
        return HARD
    return SOFT


def run_at(text: str, start: int, end: int, *, decimal: bool = False,
           numbering: int | None = None, units: tuple[str, ...] = ()) -> Run | None:
    """The number run opening text[start:end]; `numbering` is the next row's printed number
    ("…0000002.其他法律…": the final 2 belongs to the next label, not to this row); `units`
    are count units that may follow a number ("1件") and separate it from the next."""
    found = _run_pattern(units).match(text, start, end)
    if not found:
        return None
    raw_start, raw = found.start(1), found.group(1)
    if "." in raw and not decimal:
        raw = raw[: raw.index(".")]
    after = raw_start + len(raw)
    if _NEXT_NUMBERING.match(text, after, end):
        stripped = raw.rstrip()
        tail = str(numbering) if numbering is not None else stripped[-1:]
        compact_digits = "".join(stripped.split())
        if stripped.endswith(tail) and len(compact_digits) > len(tail):
            raw = stripped[: -len(tail)]
        elif compact_digits.isdigit() and len(compact_digits) <= 2:
            return None  # "3.其他": the next row's numbering, not a value
    digits: list[str] = []
    positions: list[int] = []
    gaps: list[int] = []
    marks: dict[int, str] = {}
    pending = ""  # whitespace since the last digit
    after_mark = False
    for i, ch in enumerate(raw):
        if ch in _ALL_MARKS or ch.isdigit():
            is_mark = ch in _ALL_MARKS
            gap = HARD if (is_mark or after_mark) else _gap(pending)
            gaps.append(HARD if not digits else gap)
            if is_mark:
                marks[len(digits)] = "" if ch == BLANK_MARK else ch
            digits.append("0" if is_mark else ch)
            positions.append(raw_start + i)
            pending, after_mark = "", is_mark
        elif ch.isspace():
            pending += ch
        else:  # a unit after a number: a separator
            pending += "\t"
    if not digits:
        return None
    return Run(Digits("".join(digits), tuple(gaps)), tuple(positions), marks)


# ------------------------------------------------------------------ finding labels

def _label_pattern(label: str) -> str:
    """A regex for a printed label: any spacing, either width of brackets, colons, commas."""
    classes = {"(": r"[(（]", ")": r"[)）]", ":": r"[:：]", ",": r"[,，、]", "、": r"[,，、]",
               "“": r"[“”\"]?", "”": r"[“”\"]?", '"': r"[“”\"]?"}
    return r"\s*".join(classes.get(ch, regex.escape(ch)) for ch in nfkc(label) if not ch.isspace())


@lru_cache(maxsize=1024)
def compiled(labels: tuple[str, ...]):
    return regex.compile("|".join(_label_pattern(x) for x in sorted(labels, key=len, reverse=True)))


def find(text: str, labels: tuple[str, ...], start: int, end: int | None = None,
         longer: tuple[str, ...] = ()) -> tuple[int, int] | None:
    """The first place one of `labels` is printed in text[start:end]; with `longer` (every
    label the table prints), not where it is the start of a longer one ("其他" in "其他处理")."""
    stop = len(text) if end is None else end
    others = compiled(longer) if longer else None
    for found in compiled(labels).finditer(text, start, stop):
        if others is not None:
            rival = others.match(text, found.start(), stop)
            if rival is not None and rival.end() > found.end():
                continue
        return found.start(), found.end()
    return None


# ------------------------------------------------------------------ grids as token streams

def serialized(table: LocatedTable) -> TextRegion | None:
    """A table's rows (grid rows and the text lines between them) as one text: a tab between
    cells, a line per row, a blank value cell as BLANK_MARK. Each cell keeps its provenance."""
    parts: list[str] = []
    pieces: list[tuple[int, TextLine, int]] = []
    length = 0
    for row in table.rows:
        for i, cell in enumerate([c for c in row.own if c.text.strip()] + row.values):
            text = cell.text.replace("\t", " ").replace("\n", " ")
            if not text.strip():
                text = BLANK_MARK
            # Every cell boundary of a grid is a separator, a row's end included.
            separator = "\t" if i else ("\t\n" if parts else "")
            parts.append(separator)
            length += len(separator)
            pieces.append((length, TextLine(text=text, page=cell.page, bbox=cell.bbox,
                                            span=cell.span, confidence=cell.confidence), 0))
            parts.append(text)
            length += len(text)
    if not pieces:
        return None
    return TextRegion("".join(parts), pieces)
