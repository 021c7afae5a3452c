"""The 政府信息公开情况统计表 of a legacy report: its rows, their units and their value tokens.

Rows are found by their labels (patterns/legacy.yaml `table.rows`, in any order), wherever
the text puts them: space-separated cells, one cell per line, grid cells, or cells run together
with no separator at all. What follows a label up to the next row's numbering is the row's
zone: an optional unit, then value tokens. A token is a run of digits between certain cell
boundaries (whitespace, a cell border); in a dump that runs cells together, one token may hold
both columns, and `settle.py` splits it. Which columns the table has (本年度, 历年累计, their
order) is read from its header.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from ..textnorm import similarity
from .knowledge import LegacyKnowledge, label_form
from .text import EMPTY_CELL, Flat

DIGITS = "0123456789"
_JOIN_ROWS = 12  # characters of numbering and punctuation allowed between two rows
_UNKNOWN_ROW = 40  # a stretch this long with values in it may be a row we do not know
_HEADER_BACK = 240  # how far before the first row the header may start
RENAMED = 0.8  # the highest confidence of a row whose label is not listed
_SENTENCE_END = regex.compile(r"[。！？!?]")
_PROSE_MARK = regex.compile(r"[。！？!?;；]|[,，](?!\d{3})")


@dataclass
class Token:
    text: str
    start: int
    end: int

    @property
    def blank(self) -> bool:
        return self.text == EMPTY_CELL

    @property
    def digits(self) -> bool:
        return self.text.isdigit()


@dataclass
class Row:
    key: str
    label: str  # as printed
    start: int  # the label in Flat.text
    end: int
    unit: str | None = None
    tokens: list[Token] = field(default_factory=list)
    score: float = 1.0  # 1 for a listed label; below 0.9 for a renamed one
    damaged: bool = False  # text that is not a value stands among its values
    zone_end: int = 0  # where the next row's numbering or label begins

    @property
    def values_end(self) -> int:
        return self.tokens[-1].end if self.tokens else self.end


@dataclass
class Table:
    start: int  # header (or first row) in Flat.text
    end: int  # after the last row's values
    rows: list[Row]
    columns: tuple[str, ...]  # ("year", "cumulative") in printed order, or ("year",)
    run_together: bool  # no cell boundary between a row's values anywhere
    header: bool
    unknown: list[str] = field(default_factory=list)  # printed rows no label matched


def find_table(flat: Flat, kn: LegacyKnowledge) -> Table | None:
    """The 统计表 of `flat`, or None when no stretch of text holds enough labelled rows."""
    text = flat.text
    hits = [(m.start(), m.end(), kn.row_of_label.get(label_form(m.group())))
            for m in kn.row_labels.finditer(text)]
    hits = [h for h in hits if h[2] is not None and _row_continues(flat, h[1], kn)]
    if not hits:
        return None
    rows: list[Row] = []
    clusters: list[list[Row]] = []
    unknown: list[list[str]] = []
    for index, (start, end, key) in enumerate(hits):
        limit = hits[index + 1][0] if index + 1 < len(hits) else len(text)
        limit = _before_numbering(flat, end, limit, kn)
        row = Row(key=key, label=flat.printed(start, end), start=start, end=end, zone_end=limit)
        stop = _read_zone(flat, row, end, limit, kn)
        extra, names = [], []
        if index + 1 < len(hits):
            extra, names, stop = _unknown_rows(flat, stop, limit, kn)
            # Digits left unread inside a row ("728O4 76424"): the row is damaged, not short.
            row.damaged = bool(row.tokens) and any(ch in DIGITS for ch in text[stop:limit])
        joined = bool(rows) and _joins(flat, rows[-1], start, kn)
        if not joined:
            clusters.append([])
            unknown.append([])
        clusters[-1] += [row, *extra]
        unknown[-1] += names
        rows.append(extra[-1] if extra else row)
    best = max(range(len(clusters)), key=lambda i: len(_valued_keys(clusters[i])))
    chosen = clusters[best]
    if len(_valued_keys(chosen)) < kn.spec.detect.min_rows:
        return None
    header_start, columns, header = _header(flat, chosen[0].start, kn)
    if columns is None:
        columns = ("year", "cumulative") if any(len(r.tokens) >= 2 for r in chosen) else ("year",)
    separated = any(len([t for t in r.tokens if not t.blank]) >= 2 or
                    any(t.blank for t in r.tokens) for r in chosen)
    run_together = (len(columns) == 2 and not separated and
                    any(len(t.text) >= 2 and t.digits for r in chosen for t in r.tokens))
    end = max(r.values_end for r in chosen)
    return Table(start=header_start, end=end, rows=chosen, columns=columns,
                 run_together=run_together, header=header, unknown=unknown[best])


_HAN = regex.compile(r"\p{Han}")


def _row_continues(flat: Flat, end: int, kn: LegacyKnowledge) -> bool:
    """A label ends where its row goes on: a boundary, a unit, a value, punctuation, the next
    row; never inside a longer word (依申请公开信息数 in 受理依申请公开信息数量)."""
    text = flat.text
    if end >= len(text) or flat.gap[end] or not _HAN.match(text[end]):
        return True
    return (any(text.startswith(u, end) for u in kn.table_units)
            or any(text.startswith(m, end) for m, _ in kn.null_marks)
            or bool(kn.numbering_start.match(text, end).group())
            or bool(kn.row_labels.match(text, end)))


def _valued_keys(rows: list[Row]) -> set[str]:
    return {r.key for r in rows if r.tokens}


def _before_numbering(flat: Flat, start: int, limit: int, kn: LegacyKnowledge) -> int:
    """Where the numbering of the row label at `limit` begins ("其中：1、", "2.", "（三）").
    Arabic numbering glued to the digits before it is one digit ("3460853762、" = …376 | 2、);
    a bare number without a separator is numbering only when a boundary precedes it and the
    label follows at once ("0 3不予公开答复数")."""
    if limit >= len(flat.text):
        return limit
    found = kn.numbering.search(flat.text, start, limit)
    if found is None or found.start() == limit:
        return limit
    at = found.start()
    arabic = _ARABIC.search(found.group())
    if arabic is None:
        return at
    words_before = arabic.start() > 0  # "其中：" in front of the number
    first = at + arabic.start(1)
    last = at + arabic.end(1)
    for i in range(first + 1, last):  # numbering never spans a cell boundary
        if flat.gap[i]:
            first = at = i
    if arabic.group(2) is None and not words_before:
        bare_ok = flat.gap[first] and not flat.gap[limit]
        return at if bare_ok else limit
    if words_before:  # nothing glued to the number
        return at
    glued = first > 0 and flat.text[first - 1] in DIGITS and not flat.gap[first]
    return last - 1 if glued else at


_ARABIC = regex.compile(r"(\d+)(\p{P})?$")


def _read_zone(flat: Flat, row: Row, start: int, limit: int, kn: LegacyKnowledge) -> int:
    """The unit and value tokens after a row label; returns where they stop."""
    text = flat.text
    i = start
    while i < limit and text[i] in ":：":
        i += 1
    bracket = i < limit and text[i] in "(（"  # "主动公开信息数（条）"
    at = i + 1 if bracket else i
    unit = next((u for u in kn.table_units if text.startswith(u, at) and at + len(u) <= limit), None)
    if unit and (not bracket or text.startswith((")", "）"), at + len(unit))):
        row.unit = unit
        i = at + len(unit) + (1 if bracket else 0)
    while i < limit:
        ch = text[i]
        if ch in DIGITS:
            j = i + 1
            while j < limit and not flat.gap[j] and (
                    text[j] in DIGITS or (text[j] in ",." and j + 1 < limit
                                          and text[j + 1] in DIGITS and not flat.gap[j + 1])):
                j += 1
            row.tokens.append(Token(text[i:j], i, j))
            i = j
            if row.unit is None:  # a unit printed after the number ("316条")
                unit = next((u for u in kn.table_units if text.startswith(u, i)), None)
                if unit and (i + len(unit) >= limit or text[i + len(unit)] not in DIGITS):
                    row.unit = unit
                    i += len(unit)
            continue
        mark = EMPTY_CELL if ch == EMPTY_CELL else next(
            (m for m, _ in kn.null_marks if text.startswith(m, i) and i + len(m) <= limit), None)
        if mark is None:
            break
        row.tokens.append(Token(mark, i, i + len(mark)))
        i += len(mark)
    return i


def _label_before_values(kn: LegacyKnowledge) -> regex.Pattern:
    units = "|".join(regex.escape(u) for u in kn.table_units)
    return regex.compile(rf"[^\d{EMPTY_CELL}]{{2,30}}?(?=(?:{units})?[\d{EMPTY_CELL}—/-])")


def _unknown_rows(flat: Flat, stop: int, limit: int, kn: LegacyKnowledge
                  ) -> tuple[list[Row], list[str], int]:
    """Rows between two known ones whose labels are not listed: matched fuzzily to a listed
    label (a renamed row), else reported by name; and where reading stopped."""
    rows: list[Row] = []
    names: list[str] = []
    text = flat.text
    while stop < limit and limit - stop <= _UNKNOWN_ROW * 3:
        label = _label_before_values(kn).match(text, stop, limit)
        if label is None or _PROSE_MARK.search(label.group()):
            break
        row = Row(key="", label=flat.printed(label.start(), label.end()), start=label.start(),
                  end=label.end())
        after = _read_zone(flat, row, label.end(), limit, kn)
        if not row.tokens:
            break
        choice = _fuzzy(label_form(label.group()), kn)
        if choice is None:
            names.append(row.label)
        else:
            row.key, row.score = choice
            rows.append(row)
        stop = after
    return rows, names, stop


def _fuzzy(form: str, kn: LegacyKnowledge) -> tuple[str, float] | None:
    scored = sorted(((max(similarity(form, label) for label in labels), key)
                     for key, labels in kn.label_keys.items()), reverse=True)
    if not scored or scored[0][0] < kn.spec.table.fuzzy_accept:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.05 and scored[1][1] != scored[0][1]:
        return None  # two rows fit as well: do not guess
    return scored[0][1], round(min(scored[0][0], RENAMED), 3)


def _joins(flat: Flat, previous: Row, start: int, kn: LegacyKnowledge) -> bool:
    """Whether a row label at `start` continues the table of `previous`: close after it,
    with no sentence punctuation between (a table has none; prose around it has)."""
    between = start - previous.values_end
    if _PROSE_MARK.search(flat.text, previous.end, start):
        return False
    if previous.tokens:  # rows we do not know, or a heading of the table's own (二、依申请公开情况)
        return between <= _UNKNOWN_ROW * 3
    return between <= _JOIN_ROWS  # a row printed without values, right before the next


def _header(flat: Flat, first_row: int, kn: LegacyKnowledge
            ) -> tuple[int, tuple[str, ...] | None, bool]:
    """Where the table starts and its value columns in printed order (None: no header)."""
    text = flat.text
    lower = max(0, first_row - _HEADER_BACK)
    header = None
    for found in kn.header.finditer(text, lower, first_row):
        header = found
    if header is not None:
        start = header.start()
    else:
        ends = list(_SENTENCE_END.finditer(text, lower, first_row))
        start = ends[-1].end() if ends else max(lower, first_row - 40)
    cumulative = kn.cumulative_header.search(text, start, first_row)
    year = kn.year_header.search(text, start, first_row)
    if cumulative is None:
        return start, (("year",) if year else None), header is not None
    if year is not None and cumulative.start() < year.start():
        return start, ("cumulative", "year"), True
    return start, ("year", "cumulative"), True
