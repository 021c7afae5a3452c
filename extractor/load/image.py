"""Page images: straightening a scan and finding its ruled tables (OpenCV morphology).

1. An adaptive threshold gives the ink (robust to shaded header cells).
2. Opening with a long thin kernel keeps only ruling lines; text strokes are shorter.
3. Connected rulings are one table; their positions cluster into row and column rulings.
4. Neighbouring cells are merged where the ruling between them is not drawn, judged on a
   lenient mask (a shorter kernel) so a faint or broken ruling of a scan still separates.
Pixel tunables are for an A4 page at 200 dpi and scale with the page's long side.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..geometry import clusters, merged_cells

_REF_LONG_SIDE = 2339  # A4 at 200 dpi
_ADAPTIVE_BLOCK, _ADAPTIVE_C = 25, 15
_LINE_MIN_FRACTION = 1 / 25  # ruling kernel length as a share of the page side
_SOFT_RATIO = 1 / 2  # the lenient mask's kernel, relative
_MERGE_TOL = 8  # px: rulings this close are one ruling
_BORDER_BAND = 3  # px around a ruling where its ink is looked for
_BORDER_COVERAGE = 0.6  # share of an edge that must be inked to separate two cells
_MIN_TABLE = (150, 40)  # px: smaller line clusters are not tables
_INK_DELTA = 45  # gray levels darker than the cell's paper colour count as ink
_MIN_STROKE = 6  # px: a cell's ink holds a stroke at least this long, or it is specks


@dataclass(slots=True)
class ImageCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 on ruling centres, page pixels

    @property
    def inner(self) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = self.box
        return x0 + 4, y0 + 4, x1 - 4, y1 - 4


@dataclass(slots=True)
class ImageTable:
    cells: list[ImageCell]
    n_rows: int
    n_cols: int
    box: tuple[int, int, int, int]


def _px(value: float, scale: float) -> int:
    return max(1, int(round(value * scale)))


def _profile_spread(ink: np.ndarray, angle: float) -> float:
    h, w = ink.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0)
    return float(np.var(cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1)))


def estimate_skew(gray: np.ndarray, max_deg: float = 2.0) -> float:
    """The rotation (degrees) that makes the ink's row profile most peaked, on a half-size
    image: every quarter degree, then every 0.05° around the best (0.05° moves the end of a
    1,650 px line by 1.4 px). As exact as trying every 0.05° over the whole range, at a third
    of the work; a quarter-size image is not (a ruling's peak is narrower than its steps)."""
    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    best = 0.0
    for step, span in ((0.25, max_deg), (0.05, 0.25)):
        angles = np.arange(best - span, best + span + 1e-9, step)
        angles = angles[np.abs(angles) <= max_deg + 1e-9]
        best = float(max(angles, key=lambda a: _profile_spread(ink, a)))
    return round(best, 2)


def rotate(img: np.ndarray, angle: float) -> np.ndarray:
    """The image turned by `angle` degrees (counter-clockwise) about its centre, same size."""
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))


def _opened(ink: np.ndarray, kernel: tuple[int, int], bridge: tuple[int, int]) -> np.ndarray:
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    return cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))


def _cluster(values: list[float], tol: float) -> list[int]:
    """`geometry.clusters` on the pixel grid."""
    return [round(c) for c in clusters(values, tol)]


def _segments(mask: np.ndarray, horizontal: bool) -> list[float]:
    """Positions across the line direction of every ruling piece."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [(y + h / 2) if horizontal else (x + w / 2) for x, y, w, h, _ in stats[1:count]]


def _coverage(mask: np.ndarray, horizontal: bool, pos: int, a: int, b: int, band: int) -> float:
    if b <= a:
        return 0.0
    if horizontal:
        strip = mask[max(0, pos - band): pos + band + 1, a:b]
        return float((strip.max(axis=0) > 0).mean()) if strip.size else 0.0
    strip = mask[a:b, max(0, pos - band): pos + band + 1]
    return float((strip.max(axis=1) > 0).mean()) if strip.size else 0.0


def find_tables(gray: np.ndarray) -> list[ImageTable]:
    """Ruled tables of a grayscale page, top to bottom, with merged cells as spans."""
    scale = max(gray.shape) / _REF_LONG_SIDE
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                _ADAPTIVE_BLOCK, _ADAPTIVE_C)
    h, w = gray.shape
    kx, ky = max(20, int(w * _LINE_MIN_FRACTION)), max(20, int(h * _LINE_MIN_FRACTION * 0.7))
    horiz, vert = _opened(ink, (kx, 1), (5, 1)), _opened(ink, (1, ky), (1, 5))
    horiz_soft = _opened(ink, (max(8, int(kx * _SOFT_RATIO)), 1), (5, 1))
    vert_soft = _opened(ink, (1, max(8, int(ky * _SOFT_RATIO))), (1, 5))
    both = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=8)
    tables = []
    for x, y, bw, bh, _ in stats[1:count]:
        if bw < _px(_MIN_TABLE[0], scale) or bh < _px(_MIN_TABLE[1], scale):
            continue
        window = (slice(y, y + bh), slice(x, x + bw))
        table = _table(horiz[window], vert[window], horiz_soft[window], vert_soft[window],
                       (int(x), int(y)), scale)
        if table is not None:
            tables.append(table)
    return sorted(tables, key=lambda t: t.box[1])


def _table(horiz, vert, horiz_soft, vert_soft, origin, scale) -> ImageTable | None:
    ys = _cluster(_segments(horiz, True), _px(_MERGE_TOL, scale))
    xs = _cluster(_segments(vert, False), _px(_MERGE_TOL, scale))
    if len(ys) < 2 or len(xs) < 2:
        return None
    band = max(2, _px(_BORDER_BAND, scale))
    rows, cols = len(ys) - 1, len(xs) - 1

    def inked_across(r: int, c: int) -> bool:  # a drawn border between band c and c + 1
        pad = (ys[r + 1] - ys[r]) // 5
        return _coverage(vert_soft, False, xs[c + 1], ys[r] + pad, ys[r + 1] - pad,
                         band) >= _BORDER_COVERAGE

    def inked_below(r: int, c: int) -> bool:  # between band r and r + 1
        pad = (xs[c + 1] - xs[c]) // 5
        return _coverage(horiz_soft, True, ys[r + 1], xs[c] + pad, xs[c + 1] - pad,
                         band) >= _BORDER_COVERAGE

    _, extents = merged_cells([[inked_across(r, c) for c in range(cols - 1)] for r in range(rows)],
                              [[inked_below(r, c) for c in range(cols)] for r in range(rows - 1)],
                              rows, cols)
    ox, oy = origin
    cells = [ImageCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1,
                       (ox + xs[c0], oy + ys[r0], ox + xs[c1 + 1], oy + ys[r1 + 1]))
             for r0, c0, r1, c1 in extents.values()]
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return ImageTable(cells, rows, cols, (ox + xs[0], oy + ys[0], ox + xs[-1], oy + ys[-1]))


def cell_ink(gray: np.ndarray, cell: ImageCell) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """The box of the ink inside a cell (speckle and ruling remnants ignored), and its mask."""
    x0, y0, x1, y1 = cell.inner
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    patch = cv2.GaussianBlur(gray[y0:y1, x0:x1], (3, 3), 0)
    ink = (patch < float(np.percentile(patch, 75)) - _INK_DELTA).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = ink.shape
    keep = [i for i in range(1, count)
            if stats[i][4] >= 3
            and not (stats[i][3] > 0.9 * h and stats[i][2] <= 4)
            and not (stats[i][2] > 0.9 * w and stats[i][3] <= 4)]
    # Specks alone are not a character: magnified to the recognizer's height, two of them
    # read as a confident "1" (a blank cell of a noisy scan).
    stroke = _px(_MIN_STROKE, max(gray.shape) / _REF_LONG_SIDE)
    if not any(max(stats[i][2], stats[i][3]) >= stroke for i in keep):
        return None
    boxes = np.array([(stats[i][0], stats[i][1], stats[i][0] + stats[i][2], stats[i][1] + stats[i][3])
                      for i in keep])
    bx0, by0 = int(boxes[:, 0].min()), int(boxes[:, 1].min())
    bx1, by1 = int(boxes[:, 2].max()), int(boxes[:, 3].max())
    mask = np.isin(labels[by0:by1, bx0:bx1], keep).astype(np.uint8)
    return (x0 + bx0, y0 + by0, x0 + bx1, y0 + by1), mask


def line_runs(mask: np.ndarray, top: int) -> list[tuple[int, int]]:
    """Vertical extents of the ink rows of a box whose top is at page y `top`."""
    rows = mask.any(axis=1).astype(np.int8)
    edges = np.diff(np.r_[0, rows, 0])
    return [(top + int(a), top + int(b))
            for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


def vertical_characters(box: tuple[int, int, int, int], runs: list[tuple[int, int]]):
    """One box per character when the ink is a column of single characters (the tall
    三、本年度办理结果 cell), else None. Runs merge while a group stays one character tall,
    so 三 (three strokes) stays one character."""
    x0, y0, x1, y1 = box
    width = x1 - x0
    if len(runs) < 3 or (y1 - y0) < 3 * width:
        return None
    chars: list[list[int]] = []
    for a, b in runs:
        if chars and b - chars[-1][0] <= 1.25 * width:
            chars[-1][1] = b
        else:
            chars.append([a, b])
    return [(x0, a, x1, b) for a, b in chars]


def tight_crop(img: np.ndarray, box, clip, pad_ratio: float = 0.4) -> np.ndarray:
    """The ink box with a margin, from the image as far as the cell allows, white beyond."""
    x0, y0, x1, y1 = box
    pad = max(3, int(round(pad_ratio * (y1 - y0))))
    cx0, cy0, cx1, cy1 = clip
    ex0, ey0 = max(cx0, x0 - pad), max(cy0, y0 - pad)
    ex1, ey1 = min(cx1, x1 + pad), min(cy1, y1 + pad)
    return cv2.copyMakeBorder(img[ey0:ey1, ex0:ex1], ey0 - (y0 - pad), (y1 + pad) - ey1,
                              ex0 - (x0 - pad), (x1 + pad) - ex1, cv2.BORDER_CONSTANT,
                              value=(255, 255, 255))
