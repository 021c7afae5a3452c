"""segment: the six section headings, skipping a table of contents and page furniture.

Candidates are lines whose text (numbering stripped) is a known section title, and, inside
long run-together lines, numbered titles ("二、主动公开政府信息情况"). The chosen headings are
the best chain with increasing section numbers, where a candidate followed by almost no
content (a table-of-contents entry) counts little. Running headers, footers and page numbers
are recognised first and never become headings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from .document import Block, Document, Grid, TextLine
from .patterns import HeadingPatterns, load_patterns
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
_ORDINALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_MARGIN = 0.08  # share of the page height at top and bottom where running headers live
_MIN_BODY = 20  # a heading followed by fewer characters (and no table) is a contents entry


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


class _HeadingMatcher:
    def __init__(self, patterns: HeadingPatterns) -> None:
        self.numbering = regex.compile(
            r"^\s*(?:" + "|".join(f"(?:{p})" for p in patterns.numbering) + r")\s*")
        self.titles = [(s.number, s.key, label_key(t)) for s in patterns.sections for t in s.titles]
        self.max_extra = patterns.max_extra_ratio
        # Inside a run-together line a heading needs its numbering ("…。三、收到和处理…",
        # "…情况。 2.主动公开…", "…—— 第二部分 主动公开…"): a bare title there is prose.
        alternatives = sorted({t for s in patterns.sections for t in s.titles}, key=len, reverse=True)
        body = "|".join(r"\s*".join(regex.escape(ch) for ch in nfkc(t) if not ch.isspace())
                        for t in alternatives)
        numbering = "|".join(f"(?:{p})" for p in patterns.numbering)
        self.inline = regex.compile(
            r"(?:(?<=^|[\s。；;:：!！?？\"”）)\]%—-])|(?<=\d))(" + numbering + r")\s*(" + body + r")")

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

    def key_of(self, title_text: str) -> tuple[int, str] | None:
        key = label_key(title_text)
        for number, section_key, title in self.titles:
            if key == title:
                return number, section_key
        return None


@lru_cache(maxsize=8)
def _matcher(extra_dirs: tuple[str, ...]) -> _HeadingMatcher:
    return _HeadingMatcher(load_patterns(extra_dirs).headings)


def segment(document: Document, patterns_dirs: tuple[str, ...] = ()) -> Segmentation:
    matcher = _matcher(patterns_dirs)
    flow = document.blocks()
    furniture = _furniture(document, flow, matcher)
    candidates: list[_Candidate] = []
    for index, (_, block) in enumerate(flow):
        if index in furniture or not isinstance(block, TextLine):
            continue
        found = matcher.whole_line(block.text)
        if found:
            number, key, _, ordinal, exact = found
            score = 1.0 + (0.5 if exact else 0.0)
            if ordinal is not None:
                score += 1.0 if ordinal == number else 0.3
            candidates.append(_Candidate(number, key, (index, 0), (index + 1, 0), block.text, score))
            continue
        if len(block.text) > 40:
            text = nfkc(block.text)
            for m in matcher.inline.finditer(text):
                hit = matcher.key_of(m.group(2))
                if hit is None:
                    continue
                ordinal = matcher.ordinal(m.group(1))
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


def _furniture(document: Document, flow, matcher: _HeadingMatcher) -> set[int]:
    """Block indices of running headers/footers and page numbers."""
    furniture: set[int] = set()
    margin_texts: Counter[str] = Counter()
    margin_lines: list[tuple[int, str]] = []
    repeated: Counter[str] = Counter()
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
                    furniture.add(index)
                    continue
                key = regex.sub(r"\d+", "#", text)
                margin_texts[key] += 1
                margin_lines.append((index, key))
        elif len(text) >= 4 and _HAN_RUN.search(text) and matcher.whole_line(block.text) is None:
            # A running header is words; a line of numbers that repeats ("0 0 0 0 0" rows of an
            # empty table printed as text) is data.
            repeated[text] += 1
    for index, key in margin_lines:
        if margin_texts[key] >= 2:
            furniture.add(index)
    if repeated:
        for index, (_, block) in enumerate(flow):
            if isinstance(block, TextLine) and not block.bbox and repeated[compact(block.text)] >= 3:
                furniture.add(index)
    return furniture
