"""The pipeline, one direction: load → segment → locate → map → normalize → schema.

`extract` is the whole job for one file; each stage is a module of its own and can be run and
tested alone. Audit and export read the `Report` this returns.
"""

from __future__ import annotations

from pathlib import Path

from .bodies import infer as infer_body
from .bodies import opening_text
from .claims import extract_claims
from .codes import Code
from .document import Document
from .errors import DamagedInput, NotAReport
from .keys import join_key
from .knowledge import Knowledge
from .legacy import LegacyReading, read_legacy
from .limits import DEFAULT_LIMITS, Limits
from .load import load
from .meta import report_meta
from .schema import Meta, ReadingReport, Report, Section, TableReport, Value, Warning
from .segment import Segmentation, segment
from .tables.locate import locate, table_text
from .tables.model import MappedCell, ReadContext, TableReading
from .tables.reading import Scored, read_table
from .version import __version__


def extract(path: str | Path, *, knowledge: Knowledge | None = None, ocr: str = "auto",
            limits: Limits = DEFAULT_LIMITS) -> Report:
    """Read one report file into a canonical `Report` with `knowledge` (the shipped patterns
    when None), within `limits` (docs/limits.md)."""
    document = load(path, ocr=ocr, limits=limits)
    return extract_document(document, knowledge=knowledge, limits=limits)


def extract_document(document: Document, *, knowledge: Knowledge | None = None,
                     limits: Limits = DEFAULT_LIMITS) -> Report:
    knowledge = knowledge or Knowledge.default()
    seg = segment(document, knowledge.headings)
    # A legacy report (2008–2018: a 统计表 and prose, no standard tables) has its own reader;
    # it declines every document that prints the labels of the 2019/2021 formats.
    legacy = read_legacy(document, knowledge.legacy)
    if legacy is not None:
        return _legacy_report(document, seg, legacy, knowledge)
    tpl = knowledge.templates
    located = locate(seg, tpl)
    # The prose is read first: its figures help settle tables that lost their cell borders.
    claims = extract_claims(document, seg, knowledge.claims)
    ctx = ReadContext(tpl, knowledge.identities, claims, knowledge.claims)
    readings: dict[str, TableReading] = {}
    scores: dict[str, list[Scored]] = {}
    for name, table in located.items():
        if not table.grids:
            table.region = table_text(seg, name)
        readings[name], scores[name] = read_table(table, ctx)
    values, warnings = _normalize(readings, knowledge, limits.max_number_digits)
    if document.damaged and not values:
        raise DamagedInput(f"{document.path}: the file is damaged or truncated; "
                           "no table could be read")
    if not seg.sections and not values:
        raise NotAReport(f"{document.path}: does not look like a 政府信息公开工作年度报告 "
                         "(no section headings and no standard table found)")
    warnings = [Warning(code=Code.DOCUMENT, message=m) for m in document.warnings] + warnings
    for name, table in located.items():
        if not any(v.table == name for v in values):
            warnings.append(Warning(code=Code.TABLE_MISSING,
                                    message=f"table {knowledge.section_ordinal(name)} ({name}) "
                                            "not found"))
    if values and all(v.value is None for v in values):
        warnings.append(Warning(code="no_values", message="the tables are found but no cell "
                                "holds a number: a blank template, or a form not filled in"))
    meta = report_meta(document, seg, knowledge.metadata)
    report = Report(
        meta=Meta(
            source=Path(document.path).name, path=document.path, sha256=document.sha256,
            kind=document.kind, page_count=document.page_count, title=meta.title,
            agency=meta.agency, year=meta.year, format=_format(readings),
            extractor_version=__version__, patterns_fingerprint=knowledge.fingerprint),
        sections=_sections(seg),
        tables=[TableReport(table=name, found=bool(readings[name].cells),
                            strategy=readings[name].strategy, pages=table.pages,
                            rows_matched=readings[name].rows_matched,
                            rows_expected=readings[name].rows_expected,
                            confidence=readings[name].confidence,
                            readings=[_reading_report(s, i == 0)
                                      for i, s in enumerate(scores[name])])
                for name, table in located.items()],
        values=values,
        warnings=warnings,
    )
    report.derived = _derived_totals(report, tpl)
    report.claims = claims
    _set_body(report, document, knowledge)
    return report


def _legacy_report(document: Document, seg: Segmentation, reading: LegacyReading,
                   knowledge: Knowledge) -> Report:
    """The `Report` of a legacy report (format `legacy`): its 统计表 and prose figures."""
    meta = report_meta(document, seg, knowledge.metadata)
    report = Report(
        meta=Meta(source=Path(document.path).name, path=document.path, sha256=document.sha256,
                  kind=document.kind, page_count=document.page_count, title=meta.title,
                  agency=meta.agency, year=meta.year, format="legacy",
                  extractor_version=__version__, patterns_fingerprint=knowledge.fingerprint),
        sections=_sections(seg),
        tables=[reading.table] if reading.table else [],
        values=reading.values,
        claims=reading.claims,
        warnings=[Warning(code=Code.DOCUMENT, message=m) for m in document.warnings]
        + reading.warnings)
    _set_body(report, document, knowledge)
    return report


def _set_body(report: Report, document: Document, knowledge: Knowledge) -> None:
    body = infer_body(report, opening_text(document), knowledge.bodies)
    report.meta.body, report.meta.level, report.meta.region = body.body, body.level, body.region


def _reading_report(scored: Scored, chosen: bool) -> ReadingReport:
    reading = scored.reading
    return ReadingReport(strategy=reading.strategy or "none", chosen=chosen, score=scored.score,
                         rows_matched=reading.rows_matched, rows_expected=reading.rows_expected,
                         identities_checked=scored.identities_checked,
                         identities_held=scored.identities_held, confidence=reading.confidence)


def _normalize(readings: dict[str, TableReading], knowledge: Knowledge,
               max_digits: int) -> tuple[list[Value], list[Warning]]:
    values: list[Value] = []
    warnings: list[Warning] = []
    seen: set[str] = set()
    for reading in readings.values():
        warnings += [Warning(code=c, message=m, keys=k) for c, m, k in reading.warnings]
        for mapped in reading.cells:
            if mapped.key in seen:
                warnings.append(Warning(code=Code.DUPLICATE, keys=[mapped.key],
                                        message=f"{mapped.key} printed twice; the first is kept"))
                continue
            seen.add(mapped.key)
            values.append(_value(mapped, knowledge, max_digits))
    for v in values:
        if v.null_reason == "unreadable":
            why = f" ({v.note})" if v.note and not v.note.startswith("not a number") else ""
            warnings.append(Warning(code=Code.UNREADABLE, keys=[v.key], page=v.page,
                                    message=f"{v.key}: cell text {v.raw!r} is not a number{why}"))
    return values, warnings


def _value(mapped: MappedCell, knowledge: Knowledge, max_digits: int) -> Value:
    cell = mapped.cell
    numbers = knowledge.numbers
    parsed = numbers.parse(cell.text, mapped.kind, max_digits=max_digits)
    value = parsed.value
    if mapped.kind == "amount" and value is not None and mapped.unit:
        # A unit printed in the cell wins over the header's; both are converted to canonical.
        value = numbers.convert(value, parsed.unit or mapped.printed_unit or mapped.unit,
                                mapped.unit)
    notes = [n for n in (mapped.note, parsed.note) if n]
    return Value(
        key=mapped.key, table=mapped.table, value=value, raw=cell.text,
        null_reason=parsed.null_reason, unit=mapped.unit if mapped.kind == "amount" else None,
        confidence=round(min(mapped.confidence, parsed.confidence, cell.confidence), 3),
        page=cell.page, bbox=[round(x, 2) for x in cell.bbox] if cell.bbox else None,
        span=list(cell.span) if cell.span else None, note="; ".join(notes) or None)


def _format(readings: dict[str, TableReading]) -> str:
    """The tables' format when they agree (a variant of table 2 names the report's format:
    "2019-variant"), hybrid when they do not, legacy when neither table was found."""
    active = readings["active"].format
    apps = readings["applications"].format
    if active and apps:
        return active if active.split("-")[0] == apps else "hybrid"
    return active or apps or "legacy"


def _sections(seg: Segmentation) -> list[Section]:
    return [Section(number=s.number, key=s.key, heading=s.heading, page_start=s.page_start,
                    page_end=s.page_end) for s in seg.sections]


def _derived_totals(report: Report, tpl) -> list[Value]:
    """Group totals (不予公开 etc.) summed from their printed members, per applicant column."""
    printed = {v.key: v for v in report.values}
    derived = []
    rows = tpl.tables.applications.rows
    for total_key, group in tpl.tables.applications.derived_totals.items():
        members = [r.key for r in rows if r.group == group]
        for column in tpl.app_column_order:
            key = join_key("applications", total_key, column)
            if key in printed or not members:
                continue
            parts = [printed.get(join_key("applications", m, column)) for m in members]
            # A blank member makes the total unknown, not smaller.
            if any(p is None or p.value is None for p in parts):
                continue
            derived.append(Value(
                key=key, table="applications", value=sum(p.value for p in parts), raw="",
                confidence=min(p.confidence for p in parts), derived=True,
                note="sum of " + ", ".join(m.split(".")[-1] for m in members)))
    return derived
