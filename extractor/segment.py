"""segment: the six section headings, skipping a table of contents and page furniture.

Candidates are lines whose text (numbering stripped) is a known section title, and, inside
long run-together lines, numbered titles ("二、主动公开政府信息情况"). The chosen headings are
the best chain with increasing section numbers, where a candidate followed by almost no
content (a table-of-contents entry) counts little. Running headers, footers and page numbers
are recognised first and never become headings.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

import regex

from .document import Block, Document, Grid, TextLine
from .patterns import HeadingPatterns
from .textnorm import compact, label_key, nfkc, similarity

Position = tuple[int, int]  # (block index in the flow, character offset in that block's text)

# Page numbers: decorated forms ("- 3 -", "— 3 —", "第3页 共6页", "3/6") anywhere; a bare
# number only in a PDF page margin (in a text dump a bare number line is usually a value).
_PAGE_NUMBER = regex.compile(
    r"^(?:[-—–―－·•]+\s*\d{1,4}\s*[-—–―－·•]+|第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d+(?:\s*of\s*\d+)?)$",
    regex.I,
)
_BARE_NUMBER = regex.compile(r"^\d{1,4}$")
_HAN_RUN = regex.compile(r"\p{Han}{2}")
_LETTER = regex.compile(r"\p{L}")
_ORDINALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_MARGIN = 0.08  # share of the page height at top and bottom where running headers live
_MIN_BODY = 20  # a heading followed by fewer characters (and no table) is a contents entry
_PAGE_TEXT = 300  # characters: running headers of a text dump are at least this far apart


@dataclass(slots=True)
class SectionSpan:
    number: int
    key: str
    heading: str
    start: Position
    body_start: Position
    end: Position
    page_start: int
    page_end: int


@dataclass(slots=True)
class Segmentation:
    flow: list[tuple[int, Block]]
    sections: list[SectionSpan]
    furniture: set[int] = field(default_factory=set)

    def section_at(self, position: Position) -> SectionSpan | None:
        for section in self.sections:
            if section.start <= position < section.end:
                return section
        return None

    def section(self, number: int) -> SectionSpan | None:
        return next((s for s in self.sections if s.number == number), None)


@dataclass(slots=True)
class _Candidate:
    number: int
    key: str
    position: Position
    body: Position
    heading: str
    score: float


class HeadingMatcher:
    """headings.yaml made into matchers: section titles, their numbering, inline headings."""

    def __init__(self, patterns: HeadingPatterns) -> None:
        self.numbering = regex.compile(
            r"^\s*(?:" + "|".join(f"(?:{p})" for p in patterns.numbering) + r")\s*")
        self.titles = [(s.number, s.key, label_key(t)) for s in patterns.sections for t in s.titles]
        self.max_extra = patterns.max_extra_ratio
        # Inside a run-together line a heading needs its numbering ("…。三、收到和处理…",
        # "…情况。 2.主动公开…", "…—— 第二部分 主动公开…"): a bare title there is prose. What
        # stands before it is anything: a table's last cell ("…481714587.29元三、收到…").
        alternatives = sorted({t for s in patterns.sections for t in s.titles}, key=len, reverse=True)
        body = "|".join(r"\s*".join(regex.escape(ch) for ch in nfkc(t) if not ch.isspace())
                        for t in alternatives)
        numbering = "|".join(f"(?:{p})" for p in patterns.numbering)
        self.inline = regex.compile(r"(" + numbering + r")\s*(" + body + r")")

    def ordinal(self, numbering: str) -> int | None:
        digits = regex.sub(r"\D", "", numbering)
        if digits:
            return int(digits)
        for ch in numbering:
            if ch in _ORDINALS:
                return _ORDINALS[ch]
        return None

    def whole_line(self, text: str) -> tuple[int, str, str, int | None, bool] | None:
        """(number, key, title, printed ordinal, exact) if `text` is a heading line."""
        norm = nfkc(text).strip()
        numbering = self.numbering.match(norm)
        prefix = numbering.group(0) if numbering else ""
        key = label_key(norm[len(prefix):])
        if not key:
            return None
        best = None
        for number, section_key, title in self.titles:
            if key == title:
                exact, score = True, 1.0
            elif key.startswith(title) and len(key) - len(title) <= self.max_extra * len(title):
                exact, score = False, 0.95
            else:
                score = similarity(key, title)
                exact = False
                if score < 0.88:
                    continue
            if best is None or score > best[0]:
                best = (score, number, section_key, title, exact)
        if best is None:
            return None
        return best[1], best[2], best[3], self.ordinal(prefix) if prefix else None, best[4]

    def starts_title(self, text: str) -> bool:
        """Whether `text` (numbering stripped) is the opening of a section title, or numbering
        alone ("三、" on a line of its own)."""
        norm = nfkc(text).strip()
        numbering = self.numbering.match(norm)
        key = label_key(norm[numbering.end():] if numbering else norm)
        if not key:
            return bool(numbering)
        return any(title.startswith(key) and title != key for _, _, title in self.titles)

    def key_of(self, title_text: str) -> tuple[int, str] | None:
        key = label_key(title_text)
        for number, section_key, title in self.titles:
            if key == title:
                return number, section_key
        return None


def segment(document: Document, matcher: HeadingMatcher) -> Segmentation:
    """The document's six sections, found with the heading patterns of `matcher`."""
    flow = document.blocks()
    furniture = _furniture(document, flow, matcher)
    candidates: list[_Candidate] = []
    for index, (_, block) in enumerate(flow):
        if index in furniture or not isinstance(block, TextLine):
            continue
        found = matcher.whole_line(block.text)
        lines = 1
        if not found:
            # A crawler's text keeps each HTML span on a line: "三、收到和处理政府信息公" /
            # "开申请情况" is one heading printed over two lines.
            found, lines = _heading_over_lines(matcher, flow, index, furniture)
        if found:
            number, key, _, ordinal, exact = found
            score = 1.0 + (0.5 if exact else 0.0)
            if ordinal is not None:
                score += 1.0 if ordinal == number else 0.3
            text = "".join(flow[i][1].text for i in range(index, index + lines))
            candidates.append(_Candidate(number, key, (index, 0), (index + lines, 0), text, score))
            continue
        if len(block.text) > 40:
            text = nfkc(block.text)
            for m in matcher.inline.finditer(text):
                hit = matcher.key_of(m.group(2))
                if hit is None:
                    continue
                ordinal = matcher.ordinal(m.group(1))
                if ordinal != hit[0] and m.start() and _LETTER.match(text, m.start() - 1):
                    continue  # "…第三、收到…" inside a word: prose, not a heading
                score = 1.0 + (1.0 if ordinal == hit[0] else 0.3)
                candidates.append(_Candidate(hit[0], hit[1], (index, m.start()), (index, m.end()),
                                             m.group(0), score))
    candidates.sort(key=lambda c: c.position)
    _discount_contents_entries(candidates, flow)
    chosen = _best_chain(candidates)
    end_of_flow = (len(flow), 0)
    sections = []
    for i, c in enumerate(chosen):
        end = chosen[i + 1].position if i + 1 < len(chosen) else end_of_flow
        last_block = end[0] - 1 if end[1] == 0 else end[0]
        sections.append(SectionSpan(
            number=c.number, key=c.key, heading=c.heading.strip(), start=c.position,
            body_start=c.body, end=end, page_start=flow[c.position[0]][0],
            page_end=flow[max(c.position[0], min(last_block, len(flow) - 1))][0]))
    return Segmentation(flow=flow, sections=sections, furniture=furniture)


_HEADING_PIECES = 3  # lines a heading may be broken into


def _heading_over_lines(matcher: HeadingMatcher, flow, index: int, furniture: set[int]):
    """A heading whose text starts at flow[index] and ends on one of the next lines of text
    (no bbox: a text dump), each line a piece of a title: (match, number of lines) or (None, 1)."""
    first = flow[index][1]
    if first.bbox is not None or not matcher.starts_title(first.text):
        return None, 1
    text = first.text
    for lines in range(2, _HEADING_PIECES + 1):
        following = index + lines - 1
        if following >= len(flow) or following in furniture:
            break
        block = flow[following][1]
        if not isinstance(block, TextLine):
            break
        text += block.text
        found = matcher.whole_line(text)
        if found and found[4]:
            return found, lines
        if not matcher.starts_title(text):
            break
    return None, 1


def _discount_contents_entries(candidates: list[_Candidate], flow) -> None:
    """A heading followed by almost nothing before the next heading is a contents entry."""
    # The next candidate of another section, for each candidate: one backward pass.
    following: list[Position | None] = [None] * len(candidates)
    for i in range(len(candidates) - 2, -1, -1):
        after = candidates[i + 1]
        following[i] = (after.position if after.number != candidates[i].number
                        else following[i + 1])
    for c, nxt in zip(candidates, following):
        # The last heading may be short ("六、其他需要报告的事项 无"); only one followed by
        # another heading is suspect.
        if nxt is not None and _body_size(flow, c.body, nxt) < _MIN_BODY:
            c.score *= 0.1


def _body_size(flow, start: Position, end: Position) -> int:
    size = 0
    for index in range(start[0], min(end[0] + 1, len(flow))):
        block = flow[index][1]
        if isinstance(block, Grid):
            return _MIN_BODY
        text = block.text
        lo = start[1] if index == start[0] else 0
        hi = end[1] if index == end[0] else len(text)
        if index == end[0] and end[1] == 0:
            break
        size += len(compact(text[lo:hi]))
        if size >= _MIN_BODY:
            return size
    return size


def _best_chain(candidates: list[_Candidate]) -> list[_Candidate]:
    """The highest-scoring subsequence with strictly increasing section numbers."""
    n = len(candidates)
    best = [c.score for c in candidates]
    back = [-1] * n
    # The best chain so far ending at each section number (the earliest on a tie): a pass
    # over the few numbers instead of over every earlier candidate.
    ending: dict[int, tuple[float, int]] = {}
    for i, c in enumerate(candidates):
        lower = [(score + c.score, j) for number, (score, j) in ending.items() if number < c.number]
        if lower:
            best[i], back[i] = max(lower, key=lambda e: (e[0], -e[1]))
        if c.number not in ending or best[i] > ending[c.number][0]:
            ending[c.number] = (best[i], i)
    if not n:
        return []
    i = max(range(n), key=lambda k: (best[k], -k))
    chain = []
    while i >= 0:
        chain.append(candidates[i])
        i = back[i]
    return chain[::-1]


def _furniture(document: Document, flow, matcher: HeadingMatcher) -> set[int]:
    """Block indices of running headers/footers and page numbers."""
    furniture: set[int] = set()
    margin_texts: Counter[str] = Counter()
    margin_lines: list[tuple[int, str]] = []
    margin_numbers: dict[tuple[int, int], list[int]] = {}  # (page, baseline) → indices
    repeated: dict[str, list[int]] = {}
    heights = {p.number: p.height for p in document.pages}
    for index, (page, block) in enumerate(flow):
        if not isinstance(block, TextLine):
            continue
        text = compact(block.text)
        if _PAGE_NUMBER.match(text):
            furniture.add(index)
            continue
        height = heights.get(page)
        if block.bbox and height:
            if block.bbox[3] < height * _MARGIN or block.bbox[1] > height * (1 - _MARGIN):
                if _BARE_NUMBER.match(text):
                    margin_numbers.setdefault((page, round(block.bbox[3] / 3)), []).append(index)
                    continue
                key = regex.sub(r"\d+", "#", text)
                margin_texts[key] += 1
                margin_lines.append((index, key))
        elif len(text) >= 4 and _HAN_RUN.search(text) and matcher.whole_line(block.text) is None:
            # A running header is words; a line of numbers that repeats ("0 0 0 0 0" rows of an
            # empty table printed as text) is data.
            repeated.setdefault(text, []).append(index)
    for index, key in margin_lines:
        if margin_texts[key] >= 2:
            furniture.add(index)
    for indices in margin_numbers.values():
        # A page number stands alone on its line; numbers side by side at the foot of a page
        # are the cells of a table row printed below the last ruling.
        if len(indices) == 1:
            furniture.add(indices[0])
    offsets = _text_offsets(flow)
    for indices in repeated.values():
        # A running header of a text dump comes back page after page; labels that repeat
        # within a few lines are a table's header cells (结果维持 under each block).
        if len(indices) >= 3 and min(offsets[b] - offsets[a] for a, b in
                                     zip(indices, indices[1:])) >= _PAGE_TEXT:
            furniture.update(indices)
    return furniture


def _text_offsets(flow) -> list[int]:
    """The text length before each block of the flow (grids count as their cells' text)."""
    offsets, total = [], 0
    for _, block in flow:
        offsets.append(total)
        total += len(block.text) if isinstance(block, TextLine) else sum(
            len(c.text) for c in block.cells)
    return offsets


@dataclass(slots=True)
class TextRegion:
    """A stretch of prose-like text (one table's section) joined from several lines, able to
    say where any character offset came from."""

    text: str
    pieces: list[tuple[int, TextLine, int]]  # (offset in text, line, offset in line)
    offsets: list[int] = field(init=False, repr=False)
    lowest: float = field(init=False, repr=False)  # the lowest confidence of any line

    def __post_init__(self) -> None:
        self.offsets = [piece[0] for piece in self.pieces]
        self.lowest = min((piece[1].confidence for piece in self.pieces), default=1.0)

    def where(self, start: int, end: int) -> tuple[int, tuple[int, int] | None, tuple | None]:
        """(page, span in the source, bbox) of text[start:end]; a piece over several lines
        ("1" / "62") spans from its first character to its last in the source, its bbox
        covers the lines of its page."""
        offset, line, line_offset = self._piece_at(start)
        last_offset, last, last_line_offset = self._piece_at(max(end - 1, start))
        span = None
        if line.span and last.span:
            span = (line.span[0] + line_offset + (start - offset),
                    last.span[0] + last_line_offset + (max(end - 1, start) - last_offset) + 1)
        bbox = line.bbox
        if bbox and last.bbox and last is not line and last.page == line.page:
            bbox = (min(bbox[0], last.bbox[0]), min(bbox[1], last.bbox[1]),
                    max(bbox[2], last.bbox[2]), max(bbox[3], last.bbox[3]))
        return line.page, span, bbox

    def confidence(self, start: int, end: int) -> float:
        """The lowest confidence of the lines text[start:end] was read from (OCR scores)."""
        if self.lowest >= 1.0:
            return 1.0
        first = max(bisect_right(self.offsets, start) - 1, 0)
        last = max(bisect_right(self.offsets, max(end - 1, start)) - 1, 0)
        return min(self.pieces[i][1].confidence for i in range(first, last + 1))

    def _piece_at(self, start: int) -> tuple[int, TextLine, int]:
        return self.pieces[max(bisect_right(self.offsets, start) - 1, 0)]


def section_text(seg: Segmentation, number: int) -> TextRegion | None:
    """The text lines of section `number` (after its heading) as one region."""
    section = seg.section(number)
    if section is None:
        return None
    parts: list[str] = []
    pieces: list[tuple[int, TextLine, int]] = []
    length = 0
    for index in range(section.body_start[0], min(section.end[0] + 1, len(seg.flow))):
        if index == section.end[0] and section.end[1] == 0:
            break
        block = seg.flow[index][1]
        if index in seg.furniture or not isinstance(block, TextLine):
            continue
        lo = section.body_start[1] if index == section.body_start[0] else 0
        hi = section.end[1] if index == section.end[0] else len(block.text)
        if parts:
            parts.append("\n")
            length += 1
        pieces.append((length, block, lo))
        parts.append(block.text[lo:hi])
        length += hi - lo
    if not pieces:
        return None
    return TextRegion("".join(parts), pieces)
