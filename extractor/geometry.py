"""Page geometry: ruling segments + positioned words → grids with merged cells and text lines.

Used for PDF text layers (segments from vector drawings, words from PyMuPDF) and page images
(segments found in the pixels, words from OCR); it sits below both loaders, so neither imports
the other. The method: snap and merge collinear segments, group crossing segments into table
regions, cut each region into elementary cells on every ruling coordinate, and merge
neighbouring cells that no ruling separates; merged cells keep their row and column spans.
Words outside every grid become text lines, and the page's blocks are put in reading order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .document import BBox, Block, Cell, Grid, TextLine
from .textnorm import join_fragments


@dataclass(frozen=True, slots=True)
class GridSettings:
    """Tunables of grid recovery, in PDF points (1/72 in)."""

    snap: float = 2.0  # rulings closer than this are one ruling
    join_gap: float = 3.0  # collinear pieces with a smaller gap are one segment
    touch: float = 3.0  # a segment this close to another's line touches it
    min_band: float = 2.5  # row/column bands thinner than this are double rules, not cells
    border_cover: float = 0.6  # share of a cell edge a ruling must cover to separate cells
    thin: float = 2.5  # a filled rectangle thinner than this is a ruling


@dataclass(slots=True)
class Word:
    text: str
    bbox: BBox
    # Reading-order keys from the source (block, line) so wrapped text stays in order.
    order: tuple[int, ...] = ()
    confidence: float = 1.0


@dataclass(slots=True)
class Segments:
    horizontal: list[tuple[float, float, float]] = field(default_factory=list)  # y, x0, x1
    vertical: list[tuple[float, float, float]] = field(default_factory=list)  # x, y0, y1

    def add_line(self, x0: float, y0: float, x1: float, y1: float, s: GridSettings) -> None:
        if abs(y1 - y0) <= s.snap and abs(x1 - x0) > s.snap:
            self.horizontal.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) <= s.snap and abs(y1 - y0) > s.snap:
            self.vertical.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))

    def add_rect(self, x0: float, y0: float, x1: float, y1: float, s: GridSettings,
                 stroked: bool) -> None:
        w, h = x1 - x0, y1 - y0
        if h <= s.thin and w > s.thin:
            self.horizontal.append(((y0 + y1) / 2, x0, x1))
        elif w <= s.thin and h > s.thin:
            self.vertical.append(((x0 + x1) / 2, y0, y1))
        elif stroked and w > s.thin and h > s.thin:
            self.horizontal += [(y0, x0, x1), (y1, x0, x1)]
            self.vertical += [(x0, y0, y1), (x1, y0, y1)]


def _merge_collinear(segs: list[tuple[float, float, float]], s: GridSettings):
    """Snap positions and join overlapping pieces on the same line."""
    out: list[list[float]] = []
    for pos, a, b in sorted(segs):
        joined = False
        for seg in reversed(out):
            if pos - seg[0] > s.snap:
                break
            if a <= seg[2] + s.join_gap and b >= seg[1] - s.join_gap:
                seg[1], seg[2] = min(seg[1], a), max(seg[2], b)
                joined = True
                break
        if not joined:
            out.append([pos, a, b])
    return [tuple(x) for x in out]


def clusters(values: list[float], tol: float) -> list[float]:
    """Representative coordinates after merging values closer than `tol`."""
    reps: list[list[float]] = []
    for v in sorted(values):
        if reps and v - reps[-1][-1] <= tol:
            reps[-1].append(v)
        else:
            reps.append([v])
    return [sum(r) / len(r) for r in reps]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _regions(h, v, s: GridSettings):
    """Groups of crossing horizontal and vertical segments: one group per ruled table."""
    uf = _UnionFind(len(h) + len(v))
    for i, (y, x0, x1) in enumerate(h):
        for j, (x, y0, y1) in enumerate(v):
            if x0 - s.touch <= x <= x1 + s.touch and y0 - s.touch <= y <= y1 + s.touch:
                uf.union(i, len(h) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, seg in enumerate(h):
        groups.setdefault(uf.find(i), ([], []))[0].append(seg)
    for j, seg in enumerate(v):
        groups.setdefault(uf.find(len(h) + j), ([], []))[1].append(seg)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _covered(segs, pos: float, a: float, b: float, s: GridSettings) -> bool:
    """Whether rulings at `pos` cover at least `border_cover` of the interval [a, b]."""
    need = (b - a) * s.border_cover
    got = 0.0
    for p, c, d in segs:
        if abs(p - pos) <= s.snap * 1.5:
            got += max(0.0, min(b, d) - max(a, c))
    return got >= need


def _near(segs, positions: list[float], s: GridSettings) -> list[list]:
    """For each ruling position, the segments on it (so each border test scans a few)."""
    return [[seg for seg in segs if abs(seg[0] - pos) <= s.snap * 1.5] for pos in positions]


def grids_from_rulings(segments: Segments, words: list[Word], page: int,
                       settings: GridSettings = GridSettings()) -> tuple[list[Grid], list[Word]]:
    """Ruled tables on one page, and the words that fall outside every table."""
    s = settings
    h = _merge_collinear(segments.horizontal, s)
    v = _merge_collinear(segments.vertical, s)
    grids: list[Grid] = []
    remaining = list(words)
    for hs, vs in sorted(_regions(h, v, s), key=lambda g: min(seg[0] for seg in g[0])):
        ys = [y for y in clusters([seg[0] for seg in hs], s.min_band)]
        xs = [x for x in clusters([seg[0] for seg in vs], s.min_band)]
        if len(ys) < 2 or len(xs) < 2:
            continue
        grid, remaining = _grid(ys, xs, hs, vs, remaining, page, s)
        if grid is not None:
            grids.append(grid)
    return grids, remaining


def merged_cells(right: list[list[bool]], below: list[list[bool]], n_rows: int, n_cols: int
                 ) -> tuple[Callable[[int, int], int], dict[int, tuple[int, int, int, int]]]:
    """The cells of a ruled grid of n_rows × n_cols bands, whether its rulings are vectors
    (PDF) or pixels (a scan): band (r, c) joins its right neighbour where `right[r][c]` is
    False (no ruling separates them) and the one below where `below[r][c]` is. Returns the
    merged cell of each band (an id) and each merged cell's extent (r0, c0, r1, c1)."""
    uf = _UnionFind(n_rows * n_cols)
    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not right[r][c]:
                uf.union(r * n_cols + c, r * n_cols + c + 1)
            if r + 1 < n_rows and not below[r][c]:
                uf.union(r * n_cols + c, (r + 1) * n_cols + c)
    extent: dict[int, list[int]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            e = extent.setdefault(uf.find(r * n_cols + c), [r, c, r, c])
            e[0], e[1] = min(e[0], r), min(e[1], c)
            e[2], e[3] = max(e[2], r), max(e[3], c)
    return (lambda r, c: uf.find(r * n_cols + c)), {k: tuple(e) for k, e in extent.items()}


def _grid(ys, xs, hs, vs, words: list[Word], page: int, s: GridSettings):
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    on_x, on_y = _near(vs, xs, s), _near(hs, ys, s)
    # right[r][c]: a ruling separates cell (r, c) from (r, c + 1); below[r][c]: from (r + 1, c).
    right = [[_covered(on_x[c + 1], xs[c + 1], ys[r], ys[r + 1], s) for c in range(n_cols - 1)]
             for r in range(n_rows)]
    below = [[_covered(on_y[r + 1], ys[r + 1], xs[c], xs[c + 1], s) for c in range(n_cols)]
             for r in range(n_rows - 1)]
    cell_of, extent = merged_cells(right, below, n_rows, n_cols)
    region = (xs[0], ys[0], xs[-1], ys[-1])
    inside: dict[int, list[Word]] = {}
    outside: list[Word] = []
    for word in words:
        cx, cy = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
        if not (region[0] <= cx <= region[2] and region[1] <= cy <= region[3]):
            outside.append(word)
            continue
        r = max(0, min(n_rows - 1, _band(ys, cy)))
        rulings = [xs[c + 1] for c in range(n_cols - 1) if right[r][c]]
        for w in _split_across(word, rulings):
            c = max(0, min(n_cols - 1, _band(xs, (w.bbox[0] + w.bbox[2]) / 2)))
            inside.setdefault(cell_of(r, c), []).append(w)
    if not inside:
        return None, words  # a frame or a box with no text: not a table
    cells = []
    for root, (r0, c0, r1, c1) in extent.items():
        members = inside.get(root, [])
        cells.append(Cell(
            text=cell_text(members),
            row=r0, col=c0, rowspan=r1 - r0 + 1, colspan=c1 - c0 + 1, page=page,
            bbox=(xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]),
            confidence=min((w.confidence for w in members), default=1.0),
        ))
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return Grid(cells=cells, n_rows=n_rows, n_cols=n_cols, page=page, source="ruling",
                bbox=region), outside


def _width(ch: str) -> float:
    """Relative advance of a character: full width for CJK, about half for ASCII."""
    return 0.55 if ord(ch) < 0x2E80 else 1.0


def _split_across(word: Word, rulings: list[float]) -> list[Word]:
    """A word that crosses a column ruling is two cells' text run together ("件48": the
    wrapped 件 of one cell beside the 48 of the next): cut it where the ruling falls, placing
    characters by their estimated advance."""
    x0, y0, x1, y1 = word.bbox
    cuts = [x for x in rulings if x0 + 1 < x < x1 - 1]
    if not cuts or len(word.text) < 2:
        return [word]
    unit = (x1 - x0) / sum(_width(ch) for ch in word.text)
    pieces: list[Word] = []
    side = None
    at = x0
    for ch in word.text:
        end = at + _width(ch) * unit
        here = sum(1 for x in cuts if x <= (at + end) / 2)  # which side of the cuts
        if here != side:
            pieces.append(Word("", (at, y0, end, y1), word.order, word.confidence))
            side = here
        last = pieces[-1]
        last.text += ch
        last.bbox = (last.bbox[0], y0, end, y1)
        at = end
    return pieces


def _band(edges: list[float], pos: float) -> int:
    for i in range(len(edges) - 1):
        if pos < edges[i + 1]:
            return i
    return len(edges) - 2


def visual_lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into visual lines, top to bottom, each left to right: a word joins the
    line above when its vertical middle lies within that line's extent."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0])):
        mid = (w.bbox[1] + w.bbox[3]) / 2
        if lines:
            last = lines[-1]
            if min(x.bbox[1] for x in last) <= mid <= max(x.bbox[3] for x in last):
                last.append(w)
                continue
        lines.append([w])
    for line in lines:
        line.sort(key=lambda w: w.bbox[0])
    return lines


def cell_text(words: list[Word]) -> str:
    """Text of one cell: words grouped into visual lines top to bottom, lines joined."""
    return join_fragments([join_fragments([w.text for w in line]) for line in visual_lines(words)])


_CELL_GAP = 6.0  # points: a wider gap between words on one line separates table cells


def lines_from_words(words: list[Word], page: int) -> list[TextLine]:
    """Words outside ruled tables grouped into visual lines, left to right.

    Grouping by position rather than by the source's blocks keeps the cells of a table printed
    without rulings on one line ("行政许可    447228"); a wide gap becomes a space, so later
    stages can split such a line into a label and its values."""
    out = []
    for members in visual_lines(words):
        pieces: list[list[str]] = [[members[0].text]]
        for before, word in zip(members, members[1:]):
            if word.bbox[0] - before.bbox[2] > _CELL_GAP:
                pieces.append([])
            pieces[-1].append(word.text)
        text = " ".join(join_fragments(piece) for piece in pieces)
        bbox = (min(w.bbox[0] for w in members), min(w.bbox[1] for w in members),
                max(w.bbox[2] for w in members), max(w.bbox[3] for w in members))
        out.append(TextLine(text=text, page=page, bbox=bbox,
                            confidence=min(w.confidence for w in members)))
    return out


def order_blocks(grids: list[Block], lines: list[Block]) -> list[Block]:
    """Blocks sorted top to bottom (then left to right), as a single-column report reads."""
    return sorted([*grids, *lines], key=lambda b: (round(b.bbox[1], 0), b.bbox[0]))


Turn = Literal["cw", "ccw"]


def turn_point(turn: Turn, width: float, height: float, x: float, y: float) -> tuple[float, float]:
    """Where (x, y) of a width × height page lands when the page is turned a quarter
    clockwise ("cw") or counter-clockwise ("ccw")."""
    return (height - y, x) if turn == "cw" else (y, width - x)


def turn_box(turn: Turn, width: float, height: float, box: BBox) -> BBox:
    (ax, ay), (bx, by) = (turn_point(turn, width, height, box[0], box[1]),
                          turn_point(turn, width, height, box[2], box[3]))
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def unturn_box(turn: Turn, width: float, height: float, box: BBox) -> BBox:
    """The inverse of `turn_box` (width × height is the page before the turn)."""
    x0, y0, x1, y1 = box
    if turn == "cw":  # (x, y) went to (height - y, x)
        return (y0, height - x1, y1, height - x0)
    return (width - y1, x0, width - y0, x1)  # (x, y) went to (y, width - x)


def map_boxes(blocks: list, move) -> None:
    """Applies `move` to the box of every block and of every grid cell (boxes read on a turned
    or cropped image put back on the page)."""
    for block in blocks:
        block.bbox = move(block.bbox)
        for cell in getattr(block, "cells", ()):
            if cell.bbox is not None:
                cell.bbox = move(cell.bbox)
