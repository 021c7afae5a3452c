"""PDF loader: PyMuPDF words and vector rulings → text lines and ruled grids per page.

One pass per page: `get_text("words")` for the text (cheap, keeps MuPDF's block/line order)
and `get_drawings()` for ruling lines. Pages with no usable text layer are handed to OCR when
it is installed (`nianbao[ocr]`), and so are large pictures with no text over them on other
pages (tables pasted as screenshots); without OCR the result carries a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..document import Document, Page
from ..errors import DamagedInput, EncryptedInput, OcrUnavailable
from ..geometry import (
    GridSettings,
    Segments,
    Turn,
    Word,
    grids_from_rulings,
    lines_from_words,
    map_boxes,
    order_blocks,
    turn_box,
    unturn_box,
)
from ..limits import DEFAULT_LIMITS, Limits
from ..pdflib import pymupdf
from .textlayer import MIN_CHARS, text_layer_is_usable

log = logging.getLogger(__name__)


_SETTINGS = GridSettings()


def load_pdf(path: Path, data: bytes, sha256: str, *, ocr: str = "auto",
             limits: Limits = DEFAULT_LIMITS) -> Document:
    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for unreadable files
        raise DamagedInput(f"{path}: not a readable PDF ({_reason(exc)})") from None
    with pdf:
        return _read(pdf, path, sha256, ocr, limits)


def _page_count(pdf, path: Path) -> int:
    try:
        count = pdf.page_count
    except Exception as exc:  # noqa: BLE001 - a page tree MuPDF cannot count ("/Count 2000000000")
        raise DamagedInput(f"{path}: the PDF's page tree is damaged ({_reason(exc)})") from None
    if count == 0:
        raise DamagedInput(f"{path}: the PDF has no pages (truncated or damaged)")
    return count


def _read(pdf, path: Path, sha256: str, ocr: str, limits: Limits) -> Document:
    if pdf.needs_pass:
        raise EncryptedInput(f"{path}: the PDF is encrypted and needs a password")
    count = _page_count(pdf, path)
    try:
        title = (pdf.metadata or {}).get("title") or None
    except Exception:  # noqa: BLE001 - a damaged info dictionary loses the title only
        title = None
    document = Document(path=str(path), kind="pdf", sha256=sha256, pages=[], title=title)
    if pdf.is_repaired:
        document.damaged = True
        document.warnings.append("the PDF is damaged or truncated and was repaired on opening; "
                                 "pages may be missing")
    if count > limits.max_pages:
        document.warnings.append(f"the PDF has {count} pages; pages after {limits.max_pages} "
                                 f"were not read (limit max_pages = {limits.max_pages})")
    needs_ocr: list[int] = []
    pictures: dict[int, list] = {}
    unreadable: dict[str, list[int]] = {}
    for index in range(min(count, limits.max_pages)):
        number = index + 1
        try:
            page = pdf.load_page(index)
            words = page.get_text("words")
            has_images = bool(page.get_images())
            usable = text_layer_is_usable((w[4] for w in words), has_images=has_images)
            if ocr == "always" or (ocr == "auto" and not usable):
                needs_ocr.append(index)
                document.pages.append(Page(number=number, width=page.rect.width,
                                           height=page.rect.height, rotation=page.rotation))
                continue
            read = _read_page(page, number, words)
            if has_images and ocr == "auto" and (bare := _bare_pictures(page, words)):
                pictures[index] = bare
            document.pages.append(read)
        except Exception as exc:  # one bad page must not lose the others
            document.pages.append(Page(number=number))
            unreadable.setdefault(_reason(exc), []).append(number)
    for reason, numbers in unreadable.items():
        document.warnings.append(f"{_pages(numbers)} could not be read ({reason})")
    if needs_ocr:
        _ocr_pages(pdf, document, needs_ocr)
    if pictures:
        _ocr_pictures(pdf, document, pictures)
    return document


_PICTURE_SHARE = 0.08  # of the page's area: a picture this large can hold a table


def _bare_pictures(page, words) -> list:
    """Large pictures with no text layer over them (a table pasted as a screenshot), in the
    page's unrotated space. A picture under text is a background; a small one a seal or logo."""
    box = page.cropbox
    least = _PICTURE_SHARE * box.width * box.height
    found: list = []
    for info in page.get_image_info():
        rect = pymupdf.Rect(info["bbox"]) & pymupdf.Rect(0, 0, box.width, box.height)
        if rect.is_empty or rect.width * rect.height < least:
            continue
        over = sum(len(w[4]) for w in words
                   if rect.contains(pymupdf.Point((w[0] + w[2]) / 2, (w[1] + w[3]) / 2)))
        if over >= MIN_CHARS:
            continue
        # Overlapping pictures (a table pasted in pieces) are read once, as one region.
        for other in [r for r in found if r.intersects(rect)]:
            found.remove(other)
            rect |= other
        found.append(rect)
    return found


def _read_page(page, number: int, words) -> Page:
    # Text and drawings come in the page's unrotated space; a table set sideways on the page
    # is read turned upright and its boxes put back where they lie.
    width, height = page.cropbox.width, page.cropbox.height
    turn = _sideways(page, words)
    box = (lambda b: b) if turn is None else (lambda b: turn_box(turn, width, height, b))
    segments = Segments()
    # Every page: a table's last row may sit alone at the top of the next page.
    for path in page.get_drawings():
        _add_path(segments, path, box)
    positioned = [Word(text=w[4], bbox=box(tuple(w[:4])), order=(w[5], w[6], w[7])) for w in words]
    grids, outside = grids_from_rulings(segments, positioned, number, _SETTINGS)
    blocks = order_blocks(grids, lines_from_words(outside, number))
    if turn is not None:
        map_boxes(blocks, lambda b: unturn_box(turn, width, height, b))
    return Page(number=number, width=page.rect.width, height=page.rect.height,
                rotation=page.rotation, blocks=blocks)


def _sideways(page, words) -> Turn | None:
    """The quarter turn that sets the page's text upright, when most of it runs up or down.

    Words of two or more characters are wide when upright and tall when sideways; only a page
    whose words are mostly tall pays for MuPDF's line directions. A page whose minority of text
    runs the other way (an upright heading above a sideways table) is read in the majority's
    direction."""
    tall = wide = 0
    for x0, y0, x1, y1, text, *_ in words:
        if len(text) >= 2:
            if y1 - y0 > 1.5 * (x1 - x0):
                tall += len(text)
            elif x1 - x0 > y1 - y0:
                wide += len(text)
    if tall <= wide:
        return None
    up = down = 0
    for block in page.get_text("dict", flags=0)["blocks"]:
        for line in block.get("lines", ()):
            chars = sum(len(span["text"]) for span in line["spans"])
            dx, dy = line["dir"]
            if abs(dy) > abs(dx):
                up, down = (up + chars, down) if dy < 0 else (up, down + chars)
    if max(up, down) <= wide:
        return None
    return "cw" if up > down else "ccw"


def _add_path(segments: Segments, path: dict, box) -> None:
    stroked = path.get("type") in ("s", "fs")
    for item in path["items"]:
        if item[0] == "l":
            p, q = item[1], item[2]
            x0, y0, x1, y1 = box((p.x, p.y, q.x, q.y))
            # A box keeps a line's extent but not its direction, which a ruling does not have.
            segments.add_line(x0, y0, x1, y1, _SETTINGS)
        elif item[0] in ("re", "qu"):
            r = item[1] if item[0] == "re" else item[1].rect
            x0, y0, x1, y1 = box((r.x0, r.y0, r.x1, r.y1))
            segments.add_rect(x0, y0, x1, y1, _SETTINGS, stroked)


def _ocr_pages(pdf, document: Document, indices: list[int]) -> None:
    try:
        from .ocr import ocr_pdf_pages
    except (ImportError, OcrUnavailable) as exc:
        pages = ", ".join(str(i + 1) for i in indices)
        if len(indices) == len(document.pages):
            raise OcrUnavailable(f"{document.path}: no usable text layer (scanned?); {exc}") from None
        document.warnings.append(f"pages {pages} have no usable text layer and were skipped; {exc}")
        return
    read = []
    for done, index in enumerate(indices, 1):
        try:
            document.pages[index] = ocr_pdf_pages(pdf, [index])[0]
            read.append(index + 1)
        except Exception as exc:  # one page OCR cannot read must not lose the others
            document.warnings.append(f"page {index + 1} could not be read by OCR ({_reason(exc)})")
        # Seconds a page: a caller may show it (the CLI's progress bar, -v's lines).
        log.info("%s: page %d of the pages to OCR done (%d of %d)", document.path, index + 1,
                 done, len(indices), extra={"step": (done, len(indices)),
                                            "job": f"OCR {Path(document.path).name}"})
    if read:
        document.warnings.append("pages " + ", ".join(map(str, read)) + " were read by OCR")


def _ocr_pictures(pdf, document: Document, pictures: dict[int, list]) -> None:
    pages = ", ".join(str(i + 1) for i in pictures)
    try:
        from .ocr import ocr_pdf_pictures
    except (ImportError, OcrUnavailable) as exc:
        document.warnings.append(f"pictures on pages {pages} may hold tables and were not read; {exc}")
        return
    read = []
    for index, rects in pictures.items():
        try:
            found = ocr_pdf_pictures(pdf, index, rects)
        except Exception as exc:  # a picture OCR cannot read must not lose the page's text
            document.warnings.append(f"the pictures on page {index + 1} could not be read by OCR "
                                     f"({_reason(exc)})")
            continue
        page = document.pages[index]
        page.blocks = order_blocks(page.blocks, found)
        read.append(str(index + 1))
    if read:
        document.warnings.append("pictures on pages " + ", ".join(read) + " were read by OCR")


def _pages(numbers: list[int]) -> str:
    """"page 3", "pages 3, 5", or "pages 3–2000" for a run: one warning for many pages."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    if numbers[-1] - numbers[0] == len(numbers) - 1 and len(numbers) > 2:
        return f"pages {numbers[0]}–{numbers[-1]}"
    listed = ", ".join(map(str, numbers[:10]))
    return f"pages {listed}" + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:120]
