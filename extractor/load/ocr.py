"""OCR for pages without a usable text layer (the optional extra: pip install 'nianbao[ocr]').

RapidOCR 3 runs PP-OCRv6 models that ship inside its wheel on onnxruntime (CPU, nothing
downloaded at run time). A page is read in three steps:
1. the page image (a scan's own image at its native resolution, else a 200 dpi render),
   straightened, and its ruled tables found in the pixels (`image.find_tables`);
2. the whole page OCR'd once; each detected line goes to the cell holding its centre, the
   rest become text lines;
3. cells that read as numbers (or hold ink but no text) are read again from a tight crop of
   their ink, recognition restricted to digits, and one-character-per-line label cells
   character by character: page-level detection splits and drops both.
The recognition score of each piece becomes the confidence of the cell and of its values.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..document import Cell, Grid, Page
from ..errors import OcrUnavailable
from ..geometry import Word, cell_text, map_boxes, unturn_box

try:
    import cv2
    import numpy as np
    from rapidocr import RapidOCR
except ImportError as exc:  # the optional extra is not installed
    raise OcrUnavailable(
        f"OCR is not installed ({exc.name} missing): pip install 'nianbao[ocr]'") from None

RENDER_DPI = 200
_NUMBERISH = re.compile(r"^[\s0-9０-９.,，．、\-—–+/％%OoIl|一。]*$")
_DIGITS = "0123456789.,-—/%"


class _Engine:
    """RapidOCR with recognition-only reads of crops, optionally restricted to a charset."""

    def __init__(self) -> None:
        self.ocr = RapidOCR(params={
            # An A4 page at 200 dpi is 2339 px high: never shrink it before detection.
            "Global.max_side_len": 2500,
            "Global.log_level": "warning",
            "Global.use_cls": False,  # pages are upright; the angle classifier only costs time
        })

    def page(self, img) -> list[tuple[tuple[float, float, float, float], str, float]]:
        result = self.ocr(img)
        if result is None or getattr(result, "boxes", None) is None:
            return []
        out = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores):
            quad = np.asarray(quad, dtype=float)
            out.append(((quad[:, 0].min(), quad[:, 1].min(), quad[:, 0].max(), quad[:, 1].max()),
                        text, float(score)))
        return out

    def recognize(self, crops: list, charset: str | None = None) -> list[tuple[str, float]]:
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec import TextRecInput

        rec = self.ocr._load_rec_model()  # rapidocr 3 has no public recognition-only call
        original = rec.postprocess_op
        if charset is not None:
            rec.postprocess_op = _Restricted(original, charset)
        try:
            out = rec(TextRecInput(img=crops))
        finally:
            rec.postprocess_op = original
        return [(text, float(score)) for text, score in zip(out.txts, out.scores)]


class _Restricted:
    """CTC decoding over blank and `charset` only: a blurred 1 must come out as a digit, and
    with a low score if the model really saw something else."""

    def __init__(self, inner, charset: str) -> None:
        self.inner = inner
        self.keep = np.array([i == 0 or ch in charset for i, ch in enumerate(inner.character)],
                             dtype=np.float32)

    def __call__(self, preds, *args, **kwargs):
        return self.inner(preds * self.keep, *args, **kwargs)


@lru_cache(maxsize=1)
def _engine() -> _Engine:
    return _Engine()


def _page_image(pdf, page):
    """(BGR image, pixels per PDF point): a scan's own image, else a render."""
    import pymupdf

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
    array = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.h, pixmap.w, pixmap.n)
    return cv2.cvtColor(array[:, :, :3], cv2.COLOR_RGB2BGR), pixmap.w / page.rect.width


def _upright(img, engine: _Engine):
    """A page scanned sideways reads as tall boxes (the recognizer turns them to read them,
    but the detector misses most CJK lines): turn the page a quarter, whichever way reads
    better. Returns the image, its OCR lines and the turn made (None, "cw" or "ccw")."""
    lines = engine.page(img)
    words = [box for box, text, _ in lines if len(text) >= 2]
    tall = sum(1 for x0, y0, x1, y1 in words if y1 - y0 > x1 - x0)
    if not words or tall <= len(words) / 2:
        return img, lines, None
    turns = {"cw": cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE),
             "ccw": cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)}
    readings = {turn: engine.page(image) for turn, image in turns.items()}
    best = max(readings, key=lambda t: sum(score * len(text) for _, text, score in readings[t]))
    return turns[best], readings[best], best


def ocr_pdf_pages(pdf, indices: list[int]) -> list[Page]:
    engine = _engine()
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
                          blocks=_read_image(img, scale, index + 1, engine)))
    return pages


def ocr_pdf_pictures(pdf, index: int, rects: list) -> list:
    """Blocks read from pictures on a page that otherwise has a text layer: a table pasted into
    the report as a screenshot. Boxes are in page points, like the text layer's."""
    engine = _engine()
    page = pdf[index]
    rotation = page.rotation
    page.set_rotation(0)  # render in the unrotated space the text layer's boxes use
    try:
        blocks = []
        for rect in rects:
            pixmap = page.get_pixmap(dpi=RENDER_DPI, clip=rect)
            array = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.h, pixmap.w, pixmap.n)
            img = cv2.cvtColor(array[:, :, :3], cv2.COLOR_RGB2BGR)
            found = _read_image(img, pixmap.w / rect.width, index + 1, engine)
            dx, dy = rect.x0, rect.y0
            map_boxes(found, lambda b, dx=dx, dy=dy: (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy))
            blocks += found
        return blocks
    finally:
        page.set_rotation(rotation)


def _read_image(img, scale: float, number: int, engine: _Engine) -> list:
    """Text lines and grids of one image, boxes in points from its top-left corner."""
    from .image import deskew, find_tables
    from .pdf import lines_from_words, order_blocks

    height, width = img.shape[0] / scale, img.shape[1] / scale
    img, lines, turn = _upright(deskew(img), engine)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    words = [Word(text=text, bbox=tuple(v / scale for v in box), confidence=score)
             for box, text, score in lines]
    grids, outside = _grids(find_tables(gray), words, img, gray, scale, number, engine)
    blocks = order_blocks(grids, lines_from_words(outside, number))
    # Reading order and cells are worked out on the upright image; provenance points at the
    # image as it lies on the unrotated page.
    if turn is not None:
        map_boxes(blocks, lambda b: unturn_box(turn, width, height, b))
    return blocks


def _grids(tables, words: list[Word], img, gray, scale: float, page: int, engine: _Engine):
    from .image import cell_ink, line_runs, tight_crop, vertical_characters

    remaining = list(words)
    grids = []
    numeric_jobs: list[tuple[Cell, object]] = []
    vertical_jobs: list[tuple[Cell, list]] = []
    for table in tables:
        cells = []
        for image_cell in table.cells:
            x0, y0, x1, y1 = (v / scale for v in image_cell.box)
            inside = [w for w in remaining
                      if x0 <= (w.bbox[0] + w.bbox[2]) / 2 < x1 and y0 <= (w.bbox[1] + w.bbox[3]) / 2 < y1]
            remaining = [w for w in remaining if w not in inside]
            cell = Cell(text=cell_text(inside), row=image_cell.row, col=image_cell.col,
                        rowspan=image_cell.rowspan, colspan=image_cell.colspan, page=page,
                        bbox=(x0, y0, x1, y1),
                        confidence=min((w.confidence for w in inside), default=1.0))
            cells.append(cell)
            ink = cell_ink(gray, image_cell)
            if ink is None:
                continue
            box, mask = ink
            if _NUMBERISH.match(cell.text):
                numeric_jobs.append((cell, tight_crop(img, box, image_cell.inner)))
                continue
            characters = vertical_characters(box, line_runs(mask, box[1]))
            if characters:
                vertical_jobs.append((cell, [tight_crop(img, c, image_cell.inner) for c in characters]))
        box = tuple(v / scale for v in table.box)
        grids.append(Grid(cells=cells, n_rows=table.n_rows, n_cols=table.n_cols, page=page,
                          source="ocr", bbox=box))
    reads = engine.recognize([crop for _, crop in numeric_jobs], _DIGITS)
    for (cell, _), (text, score) in zip(numeric_jobs, reads):
        cell.text, cell.confidence = text, score
    crops = [crop for _, group in vertical_jobs for crop in group]
    reads = iter(engine.recognize(crops))
    for cell, group in vertical_jobs:
        pieces = [next(reads) for _ in group]
        cell.text = "".join(text for text, _ in pieces)
        cell.confidence = min(score for _, score in pieces)
    return grids, remaining
