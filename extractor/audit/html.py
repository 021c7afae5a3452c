"""The audit as one self-contained HTML file: each finding beside the evidence.

For PDF sources the evidence is a crop of the page (rendered by PyMuPDF, inlined as a PNG)
with every involved cell outlined; for HTML, DOCX and text sources it is the surrounding text
with the values highlighted. No server, no external files: open it in any browser.
"""

from __future__ import annotations

import base64
import hashlib
import html
from pathlib import Path

from ..knowledge import Knowledge
from ..pdflib import pymupdf
from ..printed import Layouts
from ..schema import Report
from .model import AuditResult, Finding

_MARGIN = 24  # points of page around the involved cells
_ZOOM = 1.6
_CONTEXT = 160  # characters of text at most around a highlighted value, on its line
_LINES = 1  # lines of text shown above and below the lines holding highlighted values
SEVERITIES = ("error", "warning", "info")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:0;background:#f6f7f9;color:#1d2228;line-height:1.5}
main{max-width:1100px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:1.5rem;margin:.6em 0 .2em} h2{font-size:1.2rem;margin:1.6em 0 .4em;border-bottom:1px solid #d0d5dc}
.meta{color:#555;font-size:.9rem}
.finding{background:#fff;border:1px solid #d0d5dc;border-radius:8px;margin:14px 0;padding:12px 16px}
.finding header{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.badge{font-size:.75rem;font-weight:700;text-transform:uppercase;padding:2px 8px;border-radius:10px;color:#fff}
.error{background:#c62828}.warning{background:#ef8f00}.info{background:#5c6bc0}
.rule{font-family:ui-monospace,monospace;font-size:.85rem;color:#444}
.msg{margin:.4em 0}.en{color:#555;font-size:.9rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5em 0}
td,th{border:1px solid #d9dde3;padding:3px 8px;text-align:left} th{background:#eef1f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.evidence img{max-width:100%;height:auto;border:1px solid #ccd;display:block;margin:8px 0}
.evidence pre{white-space:pre-wrap;word-break:break-all;background:#fafbfc;border:1px solid #e1e4e8;padding:8px;
font-size:.85rem} mark{background:#ffe082;padding:0 2px}
.cause{font-size:.85rem}.ok{color:#2e7d32}
.index li{margin:.2em 0} td[title]{cursor:help}
"""


def render_html(pairs: list[tuple[Report, AuditResult]], layouts: Layouts | None = None) -> str:
    """The audit of every (report, result) as one page; several reports start with a summary
    (findings by severity and by rule, an index linking to each report). `layouts` names the
    cells as the reports print them (the shipped patterns' when None)."""
    layouts = layouts or Knowledge.default().layouts
    parts = ["<!doctype html><html lang='zh'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             "<title>nianbao audit</title><style>", _CSS, "</style></head><body><main>",
             "<h1>nianbao audit</h1>"]
    if len(pairs) > 1:
        parts.append(_summary(pairs))
    for number, (report, result) in enumerate(pairs, start=1):
        parts.append(_report_section(number, report, result, layouts))
    parts.append("</main></body></html>")
    return "".join(parts)


def _summary(pairs: list[tuple[Report, AuditResult]]) -> str:
    findings = [f for _, result in pairs for f in result.findings]
    counts = _severity_counts(findings)
    out = ["<section class='summary' id='summary'><h2>Summary</h2>",
           f"<p>{len(pairs)} reports · {len(findings)} findings · "
           + " · ".join(f"<span class='badge {s}'>{n} {s}</span>" for s, n in counts.items())
           + f" · {sum(1 for _, r in pairs if not r.findings)} reports without findings</p>"]
    by_rule: dict[tuple[int, str], dict[str, int]] = {}
    for f in findings:
        tally = by_rule.setdefault((f.rule_number or 99, f.rule), dict.fromkeys(SEVERITIES, 0))
        tally[f.severity] += 1
    if by_rule:
        out.append("<table class='by-rule'><tr><th>rule</th>"
                   + "".join(f"<th>{s}</th>" for s in SEVERITIES) + "</tr>")
        for (number, rule), tally in sorted(by_rule.items()):
            out.append(f"<tr><td class='rule'>{number if number != 99 else ''} {_e(rule)}</td>"
                       + "".join(f"<td class='num'>{tally[s] or ''}</td>" for s in SEVERITIES)
                       + "</tr>")
        out.append("</table>")
    out.append("<ol class='index'>")
    for number, (report, result) in enumerate(pairs, start=1):
        m = report.meta
        shown = _severity_counts(result.findings)
        badges = " ".join(f"<span class='badge {s}'>{n}</span>" for s, n in shown.items() if n)
        out.append(f"<li><a href='#report-{number}'>{_e(m.title or m.source)}</a> "
                   f"<span class='meta'>{_e(m.source)} · {_e(m.agency or '?')} · "
                   f"{m.year or '?'}</span> {badges or '<span class=ok>no findings</span>'}</li>")
    out.append("</ol></section>")
    return "".join(out)


def _severity_counts(findings: list[Finding]) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}


def _report_section(number: int, report: Report, result: AuditResult, layouts: Layouts) -> str:
    m = report.meta
    out = [f"<h2 id='report-{number}'>{_e(m.title or m.source)}</h2>",
           f"<p class='meta'>{_e(m.source)} · {_e(m.agency or '?')} · {m.year or '?'} · "
           f"format {m.format} · {m.kind}, {m.page_count} page(s)"
           + (f" · audited with {_e(result.previous)}" if result.previous else "") + "</p>"]
    out.append("<p>" + " · ".join(f"<span class='badge {s}'>{n} {s}</span>"
                                  for s, n in _severity_counts(result.findings).items())
               + "</p>")
    if result.rules:  # a result rebuilt from a store holds its findings, not the tallies
        out.append("<table><tr><th>rule</th><th>checked</th><th>failed</th><th>skipped</th></tr>")
        for t in result.rules:
            out.append(f"<tr><td class='rule'>{t.rule_number or ''} {_e(t.rule)}</td><td class='num'>"
                       f"{t.checked}</td><td class='num'>{t.failed}</td><td class='num'>{t.skipped}</td></tr>")
        out.append("</table>")
    if not result.findings:
        out.append("<p class='ok'>No findings: every rule that could be checked holds.</p>")
    evidence = Evidence(report, layouts)
    order = {k: i for i, k in enumerate(k for table in layouts.for_report(report)
                                        for k in table.cell_keys())}
    for index, finding in enumerate(result.findings, start=1):
        out.append(_finding(f"report-{number}-finding-{index}", finding, evidence, layouts,
                            order))
    evidence.close()
    return "".join(out)


def _finding(anchor: str, f: Finding, evidence: Evidence, layouts: Layouts,
             order: dict[str, int]) -> str:
    # The cells in the order the report prints them, each under its printed label; the key
    # is its title (a tooltip), there when wanted, not in the way.
    cells = sorted(f.cells, key=lambda c: (c.year is not None, order.get(c.key, len(order))))
    rows = "".join(
        f"<tr><td title='{_e(c.key)}'>{_e(layouts.cell_label(c.key))}</td>"
        f"<td class='num'>{_e(c.value)}</td><td>{_e(c.raw)}</td>"
        f"<td class='num'>{c.page or ''}</td><td>{c.year or ''}</td><td class='num'>{c.confidence}</td></tr>"
        for c in cells)
    return (
        f"<section class='finding' id='{anchor}'><header>"
        f"<span class='badge {f.severity}'>{f.severity}</span>"
        f"<span class='rule'>rule {f.rule_number or ''} · {_e(f.rule)}</span></header>"
        f"<p class='msg'>{_e(f.message_zh)}<br><span class='en'>{_e(f.message_en)}</span></p>"
        f"<p>expected <b>{_e(f.expected)}</b> · printed <b>{_e(f.actual)}</b>"
        + (f" · difference {_e(f.difference)}" if f.difference is not None else "")
        + f" · tolerance {_e(f.tolerance)} · <span class='cause'>likely cause: "
        f"<b>{f.likely_cause}</b></span></p>"
        + (f"<p class='en'>{_e(f.claim)}</p>" if f.claim else "")
        + "<table><tr><th>cell</th><th>value</th><th>printed</th><th>page</th><th>year</th>"
          f"<th>confidence</th></tr>{rows}</table>"
        f"<div class='evidence'>{evidence.for_finding(f)}</div></section>")


class Evidence:
    """Page crops (PDF) or highlighted text (other sources) for the report's own cells; the
    viewer (extractor/view/) shows the same evidence."""

    def __init__(self, report: Report, layouts: Layouts | None = None) -> None:
        self.report = report
        # Each cell's column headings as printed: a crop reaches up to include them.
        self.headings = {key: column.path for table in (layouts or Knowledge.default().layouts)
                         .for_report(report) for part in table.parts for row in part.rows
                         for column, key in zip(part.columns, row.keys)}
        self.pdf = None
        self.text = None
        self.missing = "source file not available for evidence"
        path = Path(report.meta.path)
        try:
            data = path.read_bytes()
        except OSError:
            return
        if hashlib.sha256(data).hexdigest() != report.meta.sha256:
            # Boxes and spans belong to the file as it was read.
            self.missing = "source file changed since it was read; no evidence shown"
            return
        try:
            if report.meta.kind == "pdf":
                self.pdf = pymupdf.open(stream=data, filetype="pdf")
            else:
                from ..load import load

                self.text = load(path).text
        except Exception:  # it was read once; if it cannot be read again, go without pictures
            self.pdf = self.text = None
            self.missing = "source file could not be read again for evidence"

    def close(self) -> None:
        if self.pdf is not None:
            self.pdf.close()

    def for_finding(self, f: Finding) -> str:
        own = [c for c in f.cells if c.year is None]
        if self.pdf is not None:
            boxes: dict[int, list[list[float]]] = {}
            keys: dict[int, list[str]] = {}
            for c in own:
                if c.page and c.bbox:
                    boxes.setdefault(c.page, []).append(c.bbox)
                    keys.setdefault(c.page, []).append(c.key)
            if f.claim_page and f.claim_bbox:
                boxes.setdefault(f.claim_page, []).append(f.claim_bbox)
            return "".join(self._crop(page, rects, keys.get(page, []))
                           for page, rects in sorted(boxes.items()))
        if self.text is not None:
            spans = [c.span for c in own if c.span] + ([f.claim_span] if f.claim_span else [])
            return self._snippet(spans)
        return f"<p class='en'>({self.missing})</p>"

    def _headers(self, page, rects: list[list[float]], keys: list[str]) -> list:
        """Where the column headings of the cells (`keys`, boxed by the first rects) are
        printed: the nearest occurrence of each heading text above its cell, overlapping its
        column, as the page reads upright (boxes are in the unrotated space; `page` is turned
        upright)."""
        upright = page.rotation_matrix
        # Words, not page.search_for: MuPDF's search misplaces CJK text in some PDFs. A heading
        # wrapped in its cell (商业企/业) is found by its first piece.
        words = [(pymupdf.Rect(w[:4]), w[4]) for w in page.get_text("words")]
        found = []
        for key, box in zip(keys, rects):
            cell = pymupdf.Rect(box) * upright
            for text in self.headings.get(key, ()):
                above = [(shown, rect) for rect, word in words
                         if (word == text or len(word) >= 2 and text.startswith(word))
                         and (shown := rect * upright).y1 <= cell.y0 + 1
                         and shown.x0 < cell.x1 and shown.x1 > cell.x0]
                if above:
                    found.append(max(above, key=lambda pair: pair[0].y1)[1])
        return found

    def _crop(self, page_number: int, rects: list[list[float]], keys: list[str] = ()) -> str:
        # Outlines are drawn on a one-page copy, so the source page stays as it is.
        scratch = pymupdf.open()
        scratch.insert_pdf(self.pdf, from_page=page_number - 1, to_page=page_number - 1)
        page = scratch[0]
        # Boxes are in the page's unrotated space; the picture is turned so the cells' text
        # reads upright, whatever the page's /Rotate or a table set sideways on it.
        shape = page.new_shape()
        for r in rects:
            shape.draw_rect(pymupdf.Rect(r))
        shape.finish(color=(0.85, 0.1, 0.1), width=1.6)
        shape.commit(overlay=True)
        page.set_rotation(_upright_rotation(page, rects))
        page = scratch.reload_page(page)
        # The table's header rows are in the picture too: a cell is read by its headings.
        headers = self._headers(page, rects, keys)
        clip = pymupdf.Rect(rects[0]) * page.rotation_matrix
        for r in [*rects[1:], *headers]:
            clip |= pymupdf.Rect(r) * page.rotation_matrix
        # Full width, so the row labels beside the outlined cells are in the picture.
        clip = pymupdf.Rect(page.rect.x0 + _MARGIN, clip.y0 - _MARGIN, page.rect.x1 - _MARGIN,
                            clip.y1 + _MARGIN) & page.rect
        if clip.is_empty:  # boxes off the page: no picture rather than a failed report
            scratch.close()
            return ""
        pixmap = page.get_pixmap(matrix=pymupdf.Matrix(_ZOOM, _ZOOM), clip=clip)
        scratch.close()
        data = base64.b64encode(pixmap.tobytes("png")).decode("ascii")
        return (f"<img alt='page {page_number}, involved cells outlined' "
                f"src='data:image/png;base64,{data}'><div class='meta'>page {page_number}</div>")

    def _snippet(self, spans: list[list[int]]) -> str:
        """The lines holding the values, with _LINES lines around them (at most _CONTEXT
        characters either side on a long line), the values marked; lines far apart are shown
        apart ("⋯"), not the whole table dump between them."""
        if not spans:
            return ""
        text = self.text
        spans = sorted({(s[0], s[1]) for s in spans})
        windows: list[list[int]] = []
        for a, b in spans:
            start = max(_line_start(text, a, _LINES), a - _CONTEXT)
            end = min(_line_end(text, b, _LINES), b + _CONTEXT)
            if windows and start <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], end)
            else:
                windows.append([start, end])
        shown = []
        for start, end in windows:
            out, at = [], start
            for a, b in spans:
                if a < at or b > end:
                    continue
                out.append(_e(text[at:a]))
                out.append(f"<mark>{_e(text[a:b])}</mark>")
                at = b
            out.append(_e(text[at:end]))
            prefix = "…" if start and text[start - 1] != "\n" else ""
            suffix = "…" if end < len(text) and text[end] != "\n" else ""
            shown.append(f"{prefix}{''.join(out)}{suffix}")
        return "<pre>" + "\n⋯\n".join(shown) + "</pre>"


def _line_start(text: str, at: int, lines: int) -> int:
    """Where the line `lines` lines above the one holding `at` starts."""
    for _ in range(lines + 1):
        at = text.rfind("\n", 0, at)
        if at < 0:
            return 0
    return at + 1


def _line_end(text: str, at: int, lines: int) -> int:
    """Where the line `lines` lines below the one holding `at` ends."""
    at -= 1
    for _ in range(lines + 1):
        at = text.find("\n", at + 1)
        if at < 0:
            return len(text)
    return at


def _upright_rotation(page, rects: list[list[float]]) -> int:
    """The /Rotate that shows the text in `rects` reading left to right (the page's own when
    the boxes hold no text layer)."""
    count: dict[tuple[int, int], int] = {}
    for r in rects:
        for block in page.get_text("dict", clip=pymupdf.Rect(r), flags=0)["blocks"]:
            for line in block.get("lines", ()):
                direction = (round(line["dir"][0]), round(line["dir"][1]))
                count[direction] = count.get(direction, 0) + 1
    if not count:  # no text layer there (a scan): trust the page's own /Rotate
        return page.rotation
    direction = max(count, key=count.get)
    return {(0, -1): 90, (-1, 0): 180, (0, 1): 270}.get(direction, 0)


def _e(value) -> str:
    return html.escape("" if value is None else str(value))
