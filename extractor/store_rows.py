"""The rows that store one report: built in the batch worker that extracted it, as plain Python.

The one process that owns the store makes them into Arrow tables and inserts them
(`store.Store.add_reports`). Kept apart from store.py so a worker never imports DuckDB or Arrow:
each would hold ~50 MiB more resident memory, for nothing it does (docs/PERFORMANCE.md).
Column names and order are store.py's `_COLUMNS`; tests/test_batch.py holds the two together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .audit.model import AuditResult
from .bodies import Body
from .schema import Report, dumps

Row = dict[str, Any]


@dataclass
class ReportRows:
    """One report's rows for the store, ready to insert (one dict per row, by column name)."""

    sha256: str
    extractor_version: str
    reports: list[Row]
    values: list[Row]
    findings: list[Row]


def _exact(value: int | Decimal | None) -> str | None:
    if value is None:
        return None
    return str(value) if isinstance(value, int) else format(value, "f")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def report_rows(report: Report, body: Body, audit: AuditResult, seconds: float) -> ReportRows:
    """The rows that store `report` (with its body and single-report audit)."""
    meta = report.meta
    key = {"sha256": meta.sha256, "extractor_version": meta.extractor_version}
    fingerprint = {"patterns_fingerprint": meta.patterns_fingerprint}
    reports = [key | fingerprint | {
        "path": meta.path, "source": meta.source, "file_kind": meta.kind,
        "page_count": meta.page_count, "title": meta.title, "agency": body.agency,
        "body": body.body, "level": body.level, "body_kind": body.kind, "region": body.region,
        "region_code": body.region_code, "year": body.year, "format": meta.format,
        "metadata_sources": json.dumps(body.sources, ensure_ascii=False),
        "n_values": len(report.values), "n_findings": len(audit.findings),
        "worst": audit.worst(), "seconds": round(seconds, 4),
        "meta": dumps(meta.model_dump()),
        "sections": dumps([s.model_dump() for s in report.sections]),
        "tables": dumps([t.model_dump() for t in report.tables]),
        "claims": dumps([c.model_dump() for c in report.claims]),
        "warnings": dumps([w.model_dump() for w in report.warnings]),
    }]
    values = [key | {
        "ordinal": i, "key": v.key, "table_name": v.table,
        "value": None if v.value is None else float(v.value), "value_exact": _exact(v.value),
        "raw": v.raw, "null_reason": v.null_reason, "unit": v.unit, "page": v.page,
        "bbox": v.bbox, "span": v.span, "confidence": v.confidence, "derived": v.derived,
        "note": v.note,
    } for i, v in enumerate(report.values + report.derived)]
    findings = [key | {
        "ordinal": i, "rule": f.rule, "rule_number": f.rule_number, "severity": f.severity,
        "expected": _text(f.expected), "actual": _text(f.actual),
        "difference": _text(f.difference), "tolerance": f.tolerance,
        "likely_cause": f.likely_cause, "keys": [c.key for c in f.cells],
        "message_zh": f.message_zh, "message_en": f.message_en, "claim": f.claim,
        "cells": dumps([c.model_dump() for c in f.cells]),
    } for i, f in enumerate(audit.findings)]
    return ReportRows(sha256=meta.sha256, extractor_version=meta.extractor_version,
                      reports=reports, values=values, findings=findings)
