"""Legacy reports (2008–2018): no standard tables, a 政府信息公开情况统计表 and figures in the prose.

    from extractor.legacy import extract_legacy
    report = extract_legacy(document)   # None when the document is not a legacy report

`knowledge.py` compiles patterns/legacy.yaml; `text.py` flattens the document into one
compact text with provenance; `table.py` finds the 统计表 rows; `settle.py` decides columns
and digit splits with the table identities of patterns/rules.yaml and the prose; `prose.py`
reads the narrative's figures; `reading.py` turns both into values, claims and warnings.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..bodies import infer as infer_body
from ..bodies import opening_text
from ..document import Document
from ..meta import report_meta
from ..schema import Meta, Report, Section, Warning
from ..segment import segment
from .knowledge import LegacyKnowledge, legacy_knowledge
from .reading import LegacyReading, read_legacy

__all__ = ["LegacyKnowledge", "LegacyReading", "extract_legacy", "legacy_knowledge",
           "read_legacy"]


def extract_legacy(document: Document, patterns_dirs: tuple[str, ...] = ()) -> Report | None:
    """The `Report` of a legacy report (format `legacy`), or None when `document` prints the
    labels of the 2019/2021 formats or neither a 统计表 nor the words of a legacy report."""
    reading = read_legacy(document, legacy_knowledge(patterns_dirs))
    if reading is None:
        return None
    seg = segment(document, patterns_dirs)
    meta = report_meta(document, seg, patterns_dirs)
    report = Report(
        meta=Meta(source=Path(document.path).name, path=document.path, sha256=document.sha256,
                  kind=document.kind, page_count=document.page_count, title=meta.title,
                  agency=meta.agency, year=meta.year, format="legacy",
                  extractor_version=__version__),
        sections=[Section(number=s.number, key=s.key, heading=s.heading,
                          page_start=s.page_start, page_end=s.page_end) for s in seg.sections],
        tables=[reading.table] if reading.table else [],
        values=reading.values,
        claims=reading.claims,
        warnings=[Warning(code="document", message=m) for m in document.warnings]
        + reading.warnings)
    body = infer_body(report, opening_text(document), patterns_dirs)
    report.meta.body, report.meta.level, report.meta.region = body.body, body.level, body.region
    return report
