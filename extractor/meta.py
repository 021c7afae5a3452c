"""Report metadata (title, agency, year) from the title lines and opening paragraph.

The patterns are data (patterns/metadata.yaml). The title is looked for in the lines before
the first section heading, where a report prints it (often over two lines: agency, then
"2024 年政府信息公开工作年度报告"); the source's own title (HTML <title>, PDF metadata) is
the fallback, because CMS and PDF producers often put a generic or site title there.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from .document import Document, TextLine
from .patterns import MetadataPatterns
from .segment import Segmentation
from .textnorm import compact

_MAX_TITLE_LINES = 25  # the title is printed near the top


@dataclass(frozen=True, slots=True)
class ReportMeta:
    title: str | None
    agency: str | None
    year: int | None


class MetadataRules:
    """metadata.yaml compiled: title markers and patterns, year patterns, what to trim."""

    def __init__(self, data: MetadataPatterns) -> None:
        self.markers = tuple(regex.compile(p) for p in data.title_markers)
        self.titles = tuple(regex.compile(p) for p in data.title_patterns)
        self.years = tuple(regex.compile(p) for p in data.year_patterns)
        self.suffix = regex.compile(data.title_suffix)
        self.prefix = regex.compile(data.title_prefix, regex.I)
        self.exclude = regex.compile(data.title_exclude)


def report_meta(document: Document, seg: Segmentation, rules: MetadataRules) -> ReportMeta:
    first_heading = seg.sections[0].start[0] if seg.sections else len(seg.flow)
    lines = [b.text for _, b in seg.flow[: min(first_heading, _MAX_TITLE_LINES)]
             if isinstance(b, TextLine)]
    title = _title_from_lines(lines, rules)
    if title is None and document.title:
        candidate = compact(document.title)
        if not rules.exclude.search(candidate) and any(m.search(candidate) for m in rules.markers):
            title = candidate
    if title:
        title = rules.suffix.sub("", rules.prefix.sub("", title)) or title
    agency = year = None
    if title:
        for pattern in rules.titles:
            found = pattern.search(title)
            if found:
                agency = found.group("agency").strip("的 ") or None
                year = int(found.group("year"))
                break
    if year is None:
        opening = compact(" ".join(b.text for _, b in seg.flow[:60] if isinstance(b, TextLine)))
        for pattern in rules.years:
            found = pattern.search(opening)
            if found:
                year = int(found.group("year"))
                break
    return ReportMeta(title=title, agency=agency, year=year)


def _title_from_lines(lines: list[str], rules: MetadataRules) -> str | None:
    """The first title-like line, joined with the line above when it lacks the agency or year
    ("淮安市人民政府" / "2024 年政府信息公开工作年度报告") and with a continuation below."""
    texts = [compact(line) for line in lines]
    for i, text in enumerate(texts):
        if rules.exclude.search(text) or not any(m.search(text) for m in rules.markers):
            continue
        previous = texts[i - 1] if i > 0 else ""
        if (previous and not any(p.search(text) for p in rules.titles) and len(previous) <= 40
                and not regex.search(r"[。；;]", previous)):
            text = previous + text
        if i + 1 < len(texts) and regex.fullmatch(r"(?:工作)?(?:年度报告|年报)", texts[i + 1]):
            text += texts[i + 1]
        return text
    return None
