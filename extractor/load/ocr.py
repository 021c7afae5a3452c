"""OCR for pages without a usable text layer (the optional extra `ocr`, see errors.install_hint).

A page image (a scan's own image at its native resolution, else a 200 dpi render) is read with
one detection and one recognition call (`ocr_engine`):
1. the image is straightened (`image.estimate_skew`), its text lines detected, turned a
   quarter if its lines stand up, and its ruled tables found in the pixels (`image.find_tables`);
2. every crop to read goes to the recognizer at once: a table cell of one line cut tight
   around its ink (page-level detection splits and drops digits), a cell of several lines by
   its detected lines, a cell of one character per line (the tall 本年度办理结果 cell)
   character by character, and each line outside the tables squeezed to
   `ReadSettings.line_width` of its width (the recognizer's cost follows the width);
3. a cell whose reading looks like a number takes the same recognition decoded over digits
   only, so a blurred 1 cannot come out as a letter.
Each line goes to the cell that holds its centre. Recognition scores become the confidence of
the cell and of its values. Boxes are worked out on the straightened, upright image and put
back where they lie on the page (the quarter turn, then the skew undone), in PDF points.
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass, field

from ..document import Cell, Grid, Page
from ..errors import OcrUnavailable, install_hint
from ..geometry import Word, cell_text, lines_from_words, map_boxes, order_blocks, unturn_box
from ..pdflib import pymupdf
from .ocr_engine import Box, Crop, OcrEngine, Reading, engine, engine_available

try:
    import cv2
    import numpy as np
except ImportError as exc:  # the optional extra is not installed
    raise OcrUnavailable(
        f"OCR is not installed ({exc.name} missing): {install_hint('ocr')}") from None
if not engine_available():
    raise OcrUnavailable(f"OCR is not installed (rapidocr missing): {install_hint('ocr')}")

RENDER_DPI = 200
# What a number or a no-value mark can be read as: the digit-only decoding then says which.
_NUMBERISH = re.compile(r"^[\s0-9０-９.,，．、\-—–−－―_+/％%OoIl|一。]*$")
_DIGITS = "0123456789.,-—/%"
_MIN_LINE_SCORE = 0.5  # a detected line read with less confidence is noise (rapidocr's default)
_MIN_SKEW = 0.1  # degrees: a smaller skew is left alone


@dataclass(frozen=True)
class ReadSettings:
    """What is recognized at which resolution (measured in benchmarks/bench_ocr.py)."""

    # Lines outside tables are read squeezed to this share of their width: the recognizer's
    # cost is proportional to width, and at 0.6 it reads every figure of the prose as at full
    # width (table cells are always read at full width).
    line_width: float = 0.6


SETTINGS = ReadSettings()  # what the loader uses (benchmarks/bench_ocr.py tries others)


def _page_image(pdf, page):
    """(BGR image, pixels per PDF point): a scan's own image, else a render."""
    images = page.get_images(full=True)
    pixmap = None
    if len(images) == 1:
        rects = page.get_image_rects(images[0][0])
        if rects and rects[0].width >= 0.95 * page.rect.width:
            pixmap = pymupdf.Pixmap(pdf, images[0][0])
            if pixmap.n - pixmap.alpha != 3:
                pixmap = pymupdf.Pixmap(pymupdf.csRGB, pixmap)
    if pixmap is None:
        pixmap = page.get_pixmap(dpi=RENDER_DPI)
    # samples_mv: the pixmap's own memory (`samples` would copy the page once more)
    array = np.frombuffer(pixmap.samples_mv, np.uint8).reshape(pixmap.h, pixmap.w, pixmap.n)
    return cv2.cvtColor(array[:, :, :3], cv2.COLOR_RGB2BGR), pixmap.w / page.rect.width


def ocr_pdf_pages(pdf, indices: list[int], reader: OcrEngine | None = None) -> list[Page]:
    """The pages at `indices` read by OCR (`reader`: the process's engine by default)."""
    reader = reader or engine()
    pages = []
    for index in indices:
        page = pdf[index]
        rotation = page.rotation
        # Read the page unrotated, so boxes are in the space text layers use; a page that then
        # lies sideways is turned upright by `_upright` and its boxes put back.
        page.set_rotation(0)
        try:
            img, scale = _page_image(pdf, page)
        finally:
            page.set_rotation(rotation)
        pages.append(Page(number=index + 1, width=page.rect.width, height=page.rect.height,
                          rotation=rotation, text_source="ocr",
                          blocks=read_image(img, scale, index + 1, reader, SETTINGS)))
        _return_freed_memory()
    return pages


def ocr_pdf_pictures(pdf, index: int, rects: list, reader: OcrEngine | None = None) -> list:
    """Blocks read from pictures on a page that otherwise has a text layer: a table pasted into
    the report as a screenshot. Boxes are in page points, like the text layer's."""
    reader = reader or engine()
    page = pdf[index]
    rotation = page.rotation
    page.set_rotation(0)  # render in the unrotated space the text layer's boxes use
    try:
        blocks = []
        for rect in rects:
            pixmap = page.get_pixmap(dpi=RENDER_DPI, clip=rect)
            array = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.h, pixmap.w, pixmap.n)
            img = cv2.cvtColor(array[:, :, :3], cv2.COLOR_RGB2BGR)
            found = read_image(img, pixmap.w / rect.width, index + 1, reader, SETTINGS)
            dx, dy = rect.x0, rect.y0
            map_boxes(found, lambda b, dx=dx, dy=dy: (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy))
            blocks += found
        _return_freed_memory()
        return blocks
    finally:
        page.set_rotation(rotation)


def _glibc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if libc.malloc_trim and libc.mallopt else None
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


_LIBC = _glibc()
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number
# Allocations of 4 MiB and more (page images, the detector's feature maps) get mappings of their
# own, returned to the system when freed. Left to itself glibc raises this threshold each time
# such a block is freed and serves the next ones from the heap, where freed memory stays resident
# until the page's trim: a page then peaks ~70 MiB higher. Measured on 8 generated scans: peak
# 440 → 370 MiB for 5 % more CPU (docs/PERFORMANCE.md). Set once, in a process that reads by OCR.
if _LIBC is not None:
    _LIBC.mallopt(_M_MMAP_THRESHOLD, 4 << 20)


def _return_freed_memory() -> None:
    """Hands the memory of a page read back to the system, so a worker's memory stays flat
    across pages and files: MuPDF keeps decoded page images in its store (up to 256 MB, and a
    scan's page is decoded once), and glibc keeps the pages onnxruntime freed mapped. Measured
    on 8 generated scans in one process: resident memory from 304 to 512 MB without this."""
    pymupdf.TOOLS.store_shrink(100)
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def read_image(img, scale: float, number: int, reader: OcrEngine,
               settings: ReadSettings) -> list:
    """Text lines and grids of one image, boxes in points from its top-left corner."""
    from .image import estimate_skew, find_tables, rotate

    height, width = img.shape[0] / scale, img.shape[1] / scale
    angle = estimate_skew(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    if abs(angle) >= _MIN_SKEW:
        img = rotate(img, angle)
    img, lines, turn = _upright(img, reader)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    plan = _plan(find_tables(gray), lines, img, gray, scale, number)
    plan.read(img, reader, settings)
    blocks = order_blocks(plan.grids, lines_from_words(plan.words(scale), number))
    # Reading order and cells are worked out on the straightened, upright image; provenance
    # points at the image as it lies on the unrotated page.
    if turn is not None:
        map_boxes(blocks, lambda b: unturn_box(turn, width, height, b))
    if abs(angle) >= _MIN_SKEW:
        map_boxes(blocks, lambda b: unskew_box(angle, width, height, b))
    return blocks


def unskew_box(angle: float, width: float, height: float, box: Box) -> Box:
    """The box, found on the image straightened by `image.rotate(angle)`, where it lies on the
    image before: the box around its four corners turned back about the centre."""
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    cx, cy = width / 2, height / 2
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        dx, dy = x - cx, y - cy
        xs.append(cx + cos * dx - sin * dy)
        ys.append(cy + sin * dx + cos * dy)
    return min(xs), min(ys), max(xs), max(ys)


_SAMPLE_LINES = 12  # lines read to tell which quarter turn sets a sideways page upright


def _upright(img, reader: OcrEngine):
    """A page scanned sideways has lines that stand up (the recognizer can turn them, but the
    detector misses most CJK lines): turn the page a quarter, whichever way reads better.
    Returns the image, its detected lines and the turn made (None, "cw" or "ccw")."""
    lines = reader.detect(img)
    # Weighed by length: a page of upright lines also has tall boxes (a lone digit "1").
    tall = sum(y1 - y0 for x0, y0, x1, y1 in lines if y1 - y0 > x1 - x0)
    wide = sum(x1 - x0 for x0, y0, x1, y1 in lines if x1 - x0 >= y1 - y0)
    if tall <= wide:
        return img, lines, None
    turns = {"cw": cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE),
             "ccw": cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)}
    found = {turn: reader.detect(image) for turn, image in turns.items()}

    def legibility(turn) -> float:
        sample = sorted(found[turn], key=lambda b: b[2] - b[0], reverse=True)[:_SAMPLE_LINES]
        readings = reader.recognize([_crop(turns[turn], box) for box in sample])
        return sum(r.score * len(r.text) for r in readings)

    best = max(turns, key=legibility)
    return turns[best], found[best], best


def _crop(img, box: Box, width: float = 1.0) -> Crop:
    """The box cut from the image; with `width` < 1, squeezed to that share of its width."""
    h, w = img.shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, math.ceil(box[2])), min(h, math.ceil(box[3]))
    piece = img[y0:y1, x0:x1]
    if width < 1 and piece.size:
        piece = cv2.resize(piece, (max(1, round(piece.shape[1] * width)), piece.shape[0]),
                           interpolation=cv2.INTER_AREA)
    return Crop(piece, (x0, y0, x1, y1))


@dataclass
class _Line:
    """A detected line to read: outside every table (`cell` None) or one of a cell's lines."""

    box: Box
    cell: Cell | None
    reading: Reading | None = None


@dataclass
class _Plan:
    """What to recognize on one image: detected lines, and cells read from their own ink."""

    grids: list[Grid] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    cells: list[tuple[Cell, list[Crop]]] = field(default_factory=list)

    def read(self, img, reader: OcrEngine, settings: ReadSettings) -> None:
        """All crops of the image in one recognizer call."""
        # Table labels are read at full width: squeezed, a header cell loses characters.
        line_crops = [_crop(img, line.box, 1.0 if line.cell else settings.line_width)
                      for line in self.lines]
        crops = line_crops + [crop for _, crops in self.cells for crop in crops]
        readings = iter(reader.recognize(crops, _DIGITS) if crops else ())
        for line in self.lines:
            line.reading = next(readings)
        for cell, crops in self.cells:
            got = [next(readings) for _ in crops]
            if len(got) > 1:  # one character per line
                cell.text = "".join(r.text for r in got)
                cell.confidence = min(r.score for r in got)
                continue
            cell.text, cell.confidence = got[0].text, got[0].score
            if _NUMBERISH.match(cell.text) and got[0].restricted is not None:
                cell.text, cell.confidence = got[0].restricted

    def words(self, scale: float) -> list[Word]:
        """The lines outside every table as words (in points); each cell of several lines
        gets its text from its own."""
        outside: list[Word] = []
        by_cell: dict[int, tuple[Cell, list[Word]]] = {}
        for line in self.lines:
            reading = line.reading
            if not reading.text.strip() or reading.score < _MIN_LINE_SCORE:
                continue
            word = Word(text=reading.text, bbox=tuple(v / scale for v in line.box),
                        confidence=reading.score)
            if line.cell is None:
                outside.append(word)
            else:
                by_cell.setdefault(id(line.cell), (line.cell, []))[1].append(word)
        for cell, words in by_cell.values():
            cell.text = cell_text(words)
            cell.confidence = min(w.confidence for w in words)
        return outside


def _pieces(lines: list[Box], box: Box) -> list[int]:
    """The lines that lie in a cell: at least half a line's height of each inside it both
    ways. Shrunk for detection, a ruling between two cells can be too thin to part their
    text, and one detected line then runs through both."""
    x0, y0, x1, y1 = box
    found = []
    for index, (a0, b0, a1, b1) in enumerate(lines):
        half = (b1 - b0) / 2
        if min(a1, x1) - max(a0, x0) >= half and min(b1, y1) - max(b0, y0) >= half:
            found.append(index)
    return found


def _plan(tables, lines: list[Box], img, gray, scale: float, page: int) -> _Plan:
    from .image import cell_ink, line_runs, tight_crop, vertical_characters

    plan = _Plan()
    in_tables: set[int] = set()
    for table in tables:
        cells = []
        for image_cell in table.cells:
            inside = _pieces(lines, image_cell.box)
            in_tables.update(inside)
            cell = Cell(text="", row=image_cell.row, col=image_cell.col,
                        rowspan=image_cell.rowspan, colspan=image_cell.colspan, page=page,
                        bbox=tuple(v / scale for v in image_cell.box))
            cells.append(cell)
            ink = cell_ink(gray, image_cell)
            if ink is None:
                continue
            box, mask = ink
            characters = vertical_characters(box, line_runs(mask, box[1]))
            if characters:
                plan.cells.append((cell, [Crop(tight_crop(img, c, image_cell.inner), c)
                                          for c in characters]))
            elif len(inside) <= 1:
                plan.cells.append((cell, [Crop(tight_crop(img, box, image_cell.inner), box)]))
            else:
                x0, y0, x1, y1 = image_cell.inner
                plan.lines += [_Line((max(b[0], x0), max(b[1], y0), min(b[2], x1), min(b[3], y1)),
                                     cell) for b in (lines[i] for i in inside)]
        plan.grids.append(Grid(cells=cells, n_rows=table.n_rows, n_cols=table.n_cols, page=page,
                               source="ocr", bbox=tuple(v / scale for v in table.box)))
    plan.lines += [_Line(box, None) for i, box in enumerate(lines) if i not in in_tables]
    return plan
