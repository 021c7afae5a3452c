"""A legacy report's values, claims and warnings, from its 统计表 and its prose.

Table cells become values under `legacy.<group>.<indicator>[.cumulative]` with the same
provenance and confidence as modern values (`schema.Value`, table `legacy`). A figure the
table does not print comes from the prose (table `prose`, with a note saying so); a cell the
dump dropped is taken from the prose when the prose states it. Every prose figure is also a
`Claim`, so the audit can hold the prose against the table (L4) and against itself (L5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..codes import Code
from ..schema import Claim, TableReport, Value, Warning
from .arith import table_identities, two_column_keys
from .knowledge import CUMULATIVE, PREFIX, LegacyKnowledge
from .prose import Figure, read_prose
from .settle import GUESS, Cell, Settled, settle
from .table import Table, find_table
from .text import Flat, flatten, plain_text

# A figure read from the wording around it, not from a labelled cell: flagged (below 0.9), so a
# phrasing that misreads an unseen report is never a silent error.
PROSE = 0.85


@dataclass
class LegacyReading:
    values: list[Value] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    table: TableReport | None = None


def is_legacy(flat: Flat, table: Table | None, kn: LegacyKnowledge) -> bool:
    """A legacy report: no label or heading of the 2019/2021 formats, and a 统计表 or enough of
    the words only pre-2019 reports print."""
    if kn.modern_markers.search(flat.text):
        return False
    if table is not None:
        return True
    markers = {m.group() for m in kn.legacy_markers.finditer(flat.text)}
    return len(markers) >= kn.spec.detect.min_markers


def read_legacy(document, kn: LegacyKnowledge) -> LegacyReading | None:
    """The reading of a legacy report, or None when `document` is not one."""
    if kn.modern_markers.search(plain_text(document)):
        return None  # checked first, and cheaply: a modern report is never searched for a 统计表
    flat = flatten(document)
    table = find_table(flat, kn)
    if not is_legacy(flat, table, kn):
        return None
    figures = read_prose(flat, kn, (table.start, table.end) if table else None)
    stated = _stated(figures)
    reading = LegacyReading()
    settled: list[Settled] = []
    if table is not None:
        keys = {PREFIX + r.key + (CUMULATIVE if c == "cumulative" else "")
                for r in table.rows for c in table.columns}
        identities = table_identities(kn.identities, kn.blank_skipping, two_column_keys(keys))
        settled = settle(table, kn, identities, {PREFIX + k: f.value for k, f in stated.items()})
    seen: set[str] = set()
    if table is not None:
        reading.values += _damaged(flat, table, reading.warnings, seen)
    for item in settled:
        if item.row.key in seen:
            reading.warnings.append(Warning(
                code=Code.DUPLICATE, keys=[PREFIX + item.row.key],
                message=f"{PREFIX}{item.row.key} printed twice ({item.row.label}); the first is kept"))
            continue
        seen.add(item.row.key)
        reading.values += _row_values(flat, item, table, stated, kn, reading.warnings)
    table_keys = {v.key for v in reading.values}
    for key, figure in stated.items():
        if PREFIX + key not in table_keys and figure.keyed:
            reading.values.append(_prose_value(flat, figure, "prose", kn))
    reading.claims = [_claim(flat, f) for f in figures]
    reading.warnings += _prose_conflicts(figures)
    reading.table = _table_report(table, settled, flat)
    if table is None:
        reading.warnings.append(Warning(code=Code.TABLE_MISSING, message=(
            "no 政府信息公开情况统计表 found: the figures come from the prose only")))
    else:
        reading.warnings += [Warning(code=Code.ROW_UNKNOWN, message=(
            f"统计表 row {name!r} matches no known indicator; not read")) for name in table.unknown]
    return reading


def _damaged(flat: Flat, table: Table, warnings: list[Warning], seen: set[str]) -> list[Value]:
    """A row whose cells hold text that is no number: every cell unreadable, nothing guessed."""
    values = []
    for row in table.rows:
        if not row.damaged or row.key in seen:
            continue
        seen.add(row.key)
        start = row.tokens[0].start
        raw = flat.printed(start, row.zone_end).strip()
        page, span, _, _ = flat.where(start, row.zone_end)
        for column in table.columns:
            key = PREFIX + row.key + (CUMULATIVE if column == "cumulative" else "")
            values.append(Value(key=key, table="legacy", value=None, raw=raw,
                                null_reason="unreadable", confidence=0.0, page=page,
                                span=list(span) if span else None,
                                note=f"the row's cells read {raw!r}: not numbers"))
        warnings.append(Warning(code=Code.UNREADABLE, keys=[PREFIX + row.key], page=page, message=(
            f"{PREFIX}{row.key} ({row.label}): cell text {raw!r} is not a number; not read")))
    return values


def _stated(figures: list[Figure]) -> dict[str, Figure]:
    """The first prose figure of each key (shares and audit-only counts left out)."""
    stated: dict[str, Figure] = {}
    for figure in figures:
        if figure.role == "count":
            stated.setdefault(figure.key, figure)
    return stated


def _row_values(flat: Flat, item: Settled, table: Table, stated: dict[str, Figure],
                kn: LegacyKnowledge, warnings: list[Warning]) -> list[Value]:
    row = item.row
    values = []
    confidence = min(item.confidence, row.score)
    notes = []
    if row.score < 1:
        notes.append(f"row label {row.label!r} is not listed; read as {row.key}")
        warnings.append(Warning(code=Code.ROW_INFERRED, keys=[PREFIX + row.key],
                                message=f"统计表 row {row.label!r} read as {PREFIX}{row.key}"))
    if item.option.how == "split":
        raw = "".join(c.raw for _, c in item.option.cells)
        parts = "|".join(c.raw for _, c in item.option.cells)
        notes.append(f"cells run together: {raw} read as {parts} ({item.decided_by})")
    for column, cell in item.option.cells:
        key = PREFIX + row.key + (CUMULATIVE if column == "cumulative" else "")
        figure = stated.get(key.removeprefix(PREFIX))
        if not cell.printed and figure is not None:
            values.append(_prose_value(flat, figure, "legacy", kn, dropped=True))
            continue
        note = list(notes)
        if not cell.printed:
            note.append("one value printed for two columns: this cell taken as empty")
        values.append(_cell_value(flat, key, cell, row.unit, confidence, kn, note))
    if item.decided_by == "guess":
        # Each column by the first of its header words in legacy.yaml (本年度, 历年累计).
        names = {c: getattr(kn.spec.table.columns, c)[0] for c in ("year", "cumulative")}
        shown = ", ".join(f"{names.get(c, c)} {cell.raw or '—'}"
                          for c, cell in item.option.cells)
        code = Code.AMBIGUOUS_DIGITS if item.option.how == "split" else Code.COLUMN_UNPROVEN
        warnings.append(Warning(code=code, keys=[PREFIX + row.key], message=(
            f"{PREFIX}{row.key} ({row.label}): read as {shown}; "
            f"{len(item.alternatives)} other reading(s) fit as well (confidence {GUESS})")))
    return values


def _cell_value(flat: Flat, key: str, cell: Cell, unit: str | None, confidence: float,
                kn: LegacyKnowledge, notes: list[str]) -> Value:
    value = cell.value
    canonical = kn.amounts.get(key.removeprefix(PREFIX).removesuffix(CUMULATIVE))
    if canonical and value is not None and unit in kn.amount_factors:
        value = _plain(Decimal(value) * kn.amount_factors[unit] / kn.amount_factors[canonical])
    page, span, bbox, read = flat.where(cell.start, cell.end) if cell.printed else (None,) * 3 + (1.0,)
    return Value(key=key, table="legacy", value=value,
                 raw=flat.printed(cell.start, cell.end) if cell.printed else "",
                 null_reason=cell.null_reason, unit=canonical,
                 confidence=round(min(confidence, read), 3), page=page,
                 span=list(span) if span else None,
                 bbox=[round(x, 2) for x in bbox] if bbox else None,
                 note="; ".join(notes) or None)


def _prose_value(flat: Flat, figure: Figure, table: str, kn: LegacyKnowledge,
                 dropped: bool = False) -> Value:
    page, span, bbox, read = flat.where(figure.start, figure.end)
    where = ("the 统计表 cell is not in the text; stated in the prose" if dropped
             else "stated only in the prose")
    return Value(key=PREFIX + figure.key, table=table, value=figure.value, raw=figure.raw,
                 unit=kn.amounts.get(figure.key.removesuffix(CUMULATIVE)),
                 confidence=round(min(PROSE, read), 3), page=page,
                 span=list(span) if span else None,
                 bbox=[round(x, 2) for x in bbox] if bbox else None,
                 note=f"{where}: {_excerpt(figure)}")


def _excerpt(figure: Figure) -> str:
    sentence = " ".join(figure.sentence.split())
    at = sentence.find(figure.raw) if figure.raw else -1
    if at < 0 or len(sentence) <= 60:
        return sentence[:60]
    lo = max(0, at - 30)
    return ("…" if lo else "") + sentence[lo: at + len(figure.raw) + 10] + "…"


def _claim(flat: Flat, figure: Figure) -> Claim:
    page, span, bbox, _ = flat.where(figure.start, figure.end)
    return Claim(id=PREFIX + figure.key, role=figure.role, value=figure.value,
                 unit=figure.unit or "件", decimals=figure.decimals, raw=figure.raw,
                 sentence=figure.sentence, page=page, span=list(span) if span else None,
                 bbox=list(bbox) if bbox else None, refers_to=figure.refers_to,
                 base=figure.base)


def _prose_conflicts(figures: list[Figure]) -> list[Warning]:
    by_key: dict[str, set] = {}
    for figure in figures:
        if figure.role == "count" and figure.keyed:
            by_key.setdefault(figure.key, set()).add(figure.value)
    return [Warning(code=Code.PROSE_CONFLICT, keys=[PREFIX + key], message=(
        f"the prose states {PREFIX}{key} as {', '.join(map(str, sorted(values)))}; "
        "the first is used where the table does not print it"))
        for key, values in by_key.items() if len(values) > 1]


def _table_report(table: Table | None, settled: list[Settled], flat: Flat) -> TableReport:
    if table is None:
        return TableReport(table="legacy", found=False)
    pages = sorted({p for r in table.rows for p in [flat.where(r.start, r.end)[0]] if p})
    strategy = "run-together" if table.run_together else "cells"
    return TableReport(table="legacy", found=True, strategy=strategy, pages=pages,
                       rows_matched=len(settled), rows_expected=len(table.rows),
                       confidence=round(min((s.confidence * s.row.score for s in settled),
                                            default=0.0), 3))


def _plain(amount: Decimal) -> Decimal:
    normalized = amount.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized
