"""OCR: the paths (grids, cells, digit reads, straightening) with a fake engine, and scanned
pages, lying text layers and sideways scans with the real one (the `ocr` extra)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from extractor import extract
from extractor.load import load, ocr_engine
from extractor.load.ocr_engine import Reading
from extractor.load.textlayer import text_layer_is_usable

from .conftest import CORPUS, canon, truth

cv2 = pytest.importorskip("cv2", reason="OpenCV is not installed (pip install 'nianbao[test]')")
np = pytest.importorskip("numpy")

HAS_ENGINE = all(importlib.util.find_spec(m) is not None for m in ("rapidocr", "onnxruntime"))


def real_engine(test):
    """The test reads pixels with RapidOCR: it needs the `ocr` extra."""
    skip = pytest.mark.skipif(not HAS_ENGINE, reason="the OCR extra is not installed "
                              "(pip install -e '.[ocr]' in this checkout)")
    return pytest.mark.ocr(skip(test))


def exact(report, expected: dict, prefixes=("",)) -> tuple[int, list]:
    got = {v.key: v for v in report.values}
    keys = [k for k in expected if k.startswith(prefixes)]
    wrong = [(k, expected[k], got[k].value if k in got else None,
              got[k].confidence if k in got else None) for k in keys
             if k not in got or canon(got[k].value) != canon(expected[k])]
    return len(keys) - len(wrong), wrong


@real_engine
def test_scanned_pdf_read_by_ocr():
    report = extract(CORPUS / "huaian_city_2024_scanned.pdf")
    expected = truth("huaian_city_2024_scanned")["values"]
    right, wrong = exact(report, expected)
    assert right >= 0.99 * len(expected)
    # A value OCR got wrong must say it is unsure.
    assert all(confidence is not None and confidence < 0.9 for *_, confidence in wrong)
    assert report.meta.format == "2021" and report.meta.agency == "淮安市人民政府"
    assert any("read by OCR" in w.message for w in report.warnings)
    v = report.get("applications.new_received.total")
    assert v.page == 4 and len(v.bbox) == 4 and 0 < v.confidence <= 1


def _page_images(pages):
    source = pymupdf.open(CORPUS / "huaian_city_2024_scanned.pdf")
    return [(source, source[i].get_images()[0][0]) for i in pages]


def _sideways_scan_page(target, index: int):
    """Page `index` of the scan, its image turned a quarter onto a landscape page of `target`."""
    [(source, xref)] = _page_images([index])
    pixmap = pymupdf.Pixmap(source, xref)
    image = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.h, pixmap.w, pixmap.n)
    turned = cv2.rotate(np.ascontiguousarray(image[:, :, :3]), cv2.ROTATE_90_COUNTERCLOCKWISE)
    page = target.new_page(width=842, height=595)
    page.insert_image(page.rect, stream=cv2.imencode(".png", turned)[1].tobytes())
    return page


@real_engine
def test_broken_text_layer_is_replaced_by_ocr(tmp_path):
    """Page 4 as an image under a text layer of unmapped glyphs, as a CID font without a
    ToUnicode map extracts."""
    broken = pymupdf.open()
    for source, xref in _page_images([3]):
        page = broken.new_page(width=595, height=842)
        page.insert_image(page.rect, stream=pymupdf.Pixmap(source, xref).tobytes("png"))
        for y in range(80, 800, 18):
            page.insert_text((60, y), "(cid:1201)(cid:882)(cid:3042)(cid:77)" * 4, fontsize=8,
                             render_mode=3)
    path = tmp_path / "broken.pdf"
    broken.save(path)
    assert not text_layer_is_usable([pymupdf.open(path)[0].get_text()], has_images=True)
    report = extract(path)
    expected = {k: v for k, v in truth("huaian_city_2024")["values"].items()
                if k.startswith(("applications.new_received", "applications.granted",
                                 "applications.denied"))}
    right, wrong = exact(report, expected)
    assert wrong == [] and right == len(expected)


@real_engine
def test_sideways_scan_is_turned(tmp_path):
    from rapidocr import RapidOCR

    sideways = pymupdf.open()
    _sideways_scan_page(sideways, 4)
    path = tmp_path / "sideways.pdf"
    sideways.save(path)
    report = extract(path)
    expected = truth("huaian_city_2024")["values"]
    right, wrong = exact(report, expected, ("review_litigation", "applications.not_processed",
                                            "applications.total_handled"))
    assert wrong == [] and right == 15 + 35 + 7
    # Provenance points at the page as the PDF lies (landscape), not at the turned image:
    # the box, cropped from the sideways page and read again, holds the number.
    total = report.get("review_litigation.review.total")
    x0, y0, x1, y1 = total.bbox
    assert 0 <= x0 < x1 <= 842 and 0 <= y0 < y1 <= 595
    clip = pymupdf.Rect(x0, y0, x1, y1) + (-4, -4, 4, 4)
    crop = pymupdf.open(path)[0].get_pixmap(clip=clip, dpi=300)
    image = np.frombuffer(crop.samples, np.uint8).reshape(crop.h, crop.w, crop.n)[:, :, :3]
    upright = cv2.rotate(np.ascontiguousarray(image), cv2.ROTATE_90_CLOCKWISE)
    read = RapidOCR()(upright)
    assert str(total.value) in "".join(read.txts or ())


@real_engine
def test_rotated_scan_is_read_and_pictured_upright(tmp_path):
    """A scanner's landscape image stored sideways on its page, with /Rotate 90 to show it
    upright: values are found, boxed in the page's unrotated space like a text layer's, and the
    audit's picture of them reads upright."""
    import base64
    import re

    from extractor.audit.html import Evidence

    rotated = pymupdf.open()
    page = _sideways_scan_page(rotated, 3)
    # A second picture (a seal), so the page is rendered rather than its image taken.
    seal = np.full((40, 40, 3), (40, 40, 220), np.uint8)
    page.insert_image(pymupdf.Rect(20, 20, 60, 60), stream=cv2.imencode(".png", seal)[1].tobytes())
    page.set_rotation(90)
    path = tmp_path / "rotated.pdf"
    rotated.save(path)
    report = extract(path)
    right, wrong = exact(report, truth("huaian_city_2024")["values"], ("applications.new_received",))
    assert wrong == [] and right == 7
    total = report.get("applications.new_received.total")
    x0, y0, x1, y1 = total.bbox
    assert 0 <= x0 < x1 <= 842 and 0 <= y0 < y1 <= 595 and y1 - y0 > x1 - x0  # sideways on the sheet

    def picture(report, page: int):
        html = Evidence(report)._crop(page, [report.get("applications.new_received.total").bbox])
        return pymupdf.Pixmap(base64.b64decode(re.search(r"base64,([^']+)", html).group(1)))

    # The same strip as the upright scan's (a sideways one would be 842 points wide, not 595).
    got, want = picture(report, 1), picture(extract(CORPUS / "huaian_city_2024_scanned.pdf"), 4)
    assert abs(got.width - want.width) <= 2 and abs(got.height - want.height) <= 4


@real_engine
def test_tables_pasted_as_pictures_are_read_by_ocr(tmp_path):
    """Offices often paste the tables into the report as screenshots: the prose keeps its text
    layer, each table is a picture. Here every table region of the Huai'an PDF is replaced by
    the same region of its scan."""
    text, scan = pymupdf.open(CORPUS / "huaian_city_2024.pdf"), pymupdf.open(CORPUS / "huaian_city_2024_scanned.pdf")
    for page in load(CORPUS / "huaian_city_2024.pdf").pages:
        target = text[page.number - 1]
        rects = [pymupdf.Rect(grid.bbox) + (-2, -2, 2, 2) for grid in page.grids]
        for rect in rects:
            target.add_redact_annot(rect)
        target.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_NONE,
                                graphics=pymupdf.PDF_REDACT_LINE_ART_REMOVE_IF_TOUCHED)
        for rect in rects:
            target.insert_image(rect, pixmap=scan[page.number - 1].get_pixmap(clip=rect, dpi=200))
    path = tmp_path / "pictured.pdf"
    text.save(path)
    assert "3119" not in pymupdf.open(path)[3].get_text()

    report = extract(path)
    expected = truth("huaian_city_2024")["values"]
    right, wrong = exact(report, expected)
    assert right >= 0.99 * len(expected)
    assert all(confidence is not None and confidence < 0.9 for *_, confidence in wrong)
    assert any(w.message == "pictures on pages 3, 4, 5 were read by OCR" for w in report.warnings)
    # The value was read from the picture (the text layer no longer has it), boxed inside it.
    total = report.get("applications.new_received.total")
    assert total.page == 4
    assert pymupdf.Rect(total.bbox) in pymupdf.Rect(69, 368, 523, 784) + (-3, -3, 3, 3)
    assert report.meta.agency == "淮安市人民政府" and report.meta.year == 2024


@pytest.mark.parametrize("text, usable", [
    ("一、总体情况 2024年，我市坚持以习近平新时代中国特色社会主义思想为指导", True),
    ("\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd", False),
    ("\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008\ue009\ue00a\ue00b", False),
    ("(cid:12)(cid:45)(cid:88)(cid:12)(cid:45)(cid:88)", False),
    ("Ã¦Â”Â¿Ã¥ÂºÂœÃ¤Â¿Â¡Ã¦ÂÂ¯Ã¥Â…Â¬Ã¥Â¼Â€", False),
])
def test_text_layer_detector(text, usable):
    assert text_layer_is_usable([text], has_images=True) is usable


def test_scan_without_the_ocr_extra_is_a_clear_error():
    code = ("import sys; sys.modules['rapidocr'] = None; sys.argv = ['nianbao', 'extract', "
            f"{str(CORPUS / 'huaian_city_2024_scanned.pdf')!r}]; "
            "from extractor.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    # An instruction that works: nianbao is on no package index, so from this checkout.
    checkout = Path(__file__).resolve().parent.parent
    assert f"pip install -e '{checkout}[ocr]'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# The OCR paths with a fake engine: no model is run, so these need OpenCV but not the extra.

DPI = 200


class PrintedText:
    """A fake engine for images rendered from a text-layer PDF: it "detects" the page's words
    (PyMuPDF's, in pixels of the render) and "reads" a crop as the words whose centre it holds,
    so what the OCR code does with lines, cells and crops can be checked against the text."""

    def __init__(self):
        self.pages: list[tuple[np.ndarray, list]] = []  # (image, [(box, text)])
        self.words: list = []
        self.calls: list[tuple[int, str | None]] = []  # (crops, charset) of each recognize

    def add(self, image, page: pymupdf.Page) -> None:
        zoom = DPI / 72
        self.pages.append((image, [((x0 * zoom, y0 * zoom, x1 * zoom, y1 * zoom), text)
                                   for x0, y0, x1, y1, text, *_ in page.get_text("words")]))

    def detect(self, image):
        self.words = next((words for known, words in self.pages
                           if known.shape == image.shape and np.array_equal(known, image)), [])
        return [box for box, _ in self.words]

    def recognize(self, crops, charset=None):
        self.calls.append((len(crops), charset))
        readings = []
        for crop in crops:
            x0, y0, x1, y1 = crop.box
            inside = sorted((b[1], b[0], text) for b, text in self.words
                            if x0 <= (b[0] + b[2]) / 2 < x1 and y0 <= (b[1] + b[3]) / 2 < y1)
            text = "".join(t for *_, t in inside)
            digits = None if charset is None else "".join(c for c in text if c in charset)
            readings.append(Reading(text, 0.99, None if digits is None else (digits, 0.99)))
        return readings


@pytest.fixture
def fake_engine():
    engine = PrintedText()
    previous = ocr_engine.use_engine(engine)
    yield engine
    ocr_engine.use_engine(previous)


def _scan_of(source: Path, pages: list[int], target: Path, engine=None, turn=None):
    """A "scan" of `pages` of a text-layer PDF: each rendered at 200 dpi (turned by `turn`
    degrees about its centre, as paper fed askew) and placed alone on a page of `target`."""
    scan = pymupdf.open()
    with pymupdf.open(source) as pdf:
        for index in pages:
            page = pdf[index]
            pixmap = page.get_pixmap(dpi=DPI)
            image = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.h, pixmap.w, 3)
            image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            if turn:
                matrix = cv2.getRotationMatrix2D((pixmap.w / 2, pixmap.h / 2), turn, 1.0)
                image = cv2.warpAffine(image, matrix, (pixmap.w, pixmap.h), flags=cv2.INTER_CUBIC,
                                       borderValue=(255, 255, 255))
            if engine is not None:
                engine.add(image, page)
            new = scan.new_page(width=page.rect.width, height=page.rect.height)
            new.insert_image(new.rect, stream=cv2.imencode(".png", image)[1].tobytes())
    scan.save(target)
    return target


def test_cells_and_lines_of_a_scan_are_read_in_one_call_per_page(tmp_path, fake_engine):
    """Page 4 of the Huai'an report (table 三) as a scan: grids found in the pixels, every value
    cell read from its own ink with the digits-only decoding, the wrapped header labels from
    their lines, the vertical 本年度办理结果 cell character by character, and all of the page's
    crops in one recognizer call."""
    path = _scan_of(CORPUS / "huaian_city_2024.pdf", [2, 3, 4], tmp_path / "scan.pdf", fake_engine)
    report = extract(path)
    expected = {k: v for k, v in truth("huaian_city_2024")["values"].items()
                if k.startswith("applications.")}
    right, wrong = exact(report, expected)
    assert wrong == [] and right == len(expected)
    assert report.meta.format == "2021"
    # One call per page, every crop of the page in it, each asking for the digits decoding too.
    assert len(fake_engine.calls) == 3
    assert all(charset and set("0123456789") <= set(charset) for _, charset in fake_engine.calls)
    assert max(n for n, _ in fake_engine.calls) > 100
    table = next(g for g in load(path).pages[1].grids if g.n_rows > 10)
    assert table.source == "ocr"
    assert any(c.text == "三、本年度办理结果" and c.rowspan > 5 for c in table.cells)



def _turned(box, degrees: float, width: float, height: float):
    """The box around `box` turned by `degrees` (counter-clockwise, as cv2) about the centre of
    a page of `width` × `height`."""
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    corners = np.array([(box[0], box[1], 1), (box[2], box[1], 1), (box[0], box[3], 1),
                        (box[2], box[3], 1)], dtype=float) @ matrix.T
    return (*corners.min(axis=0), *corners.max(axis=0))


@pytest.mark.parametrize("degrees", [1.5, -0.8])
def test_boxes_of_a_straightened_scan_land_on_the_printed_cells(tmp_path, fake_engine, degrees):
    """A scan fed askew is straightened to find its rulings; every cell box is then turned back
    onto the page as printed: within 1 pt of where the text layer's cell lies, turned the same
    way (without turning back, cells far from the page centre are off by several points)."""
    path = _scan_of(CORPUS / "huaian_city_2024.pdf", [3], tmp_path / "askew.pdf", turn=degrees)
    printed = load(CORPUS / "huaian_city_2024.pdf").pages[3]
    width, height = printed.width, printed.height
    expected = [_turned(cell.bbox, degrees, width, height)
                for grid in printed.grids for cell in grid.cells]
    read = [cell.bbox for grid in load(path).pages[0].grids for cell in grid.cells]
    assert len(read) >= 0.95 * len(expected)
    offsets = []
    for box in read:
        nearest = min(expected, key=lambda e: abs(e[0] + e[2] - box[0] - box[2])
                      + abs(e[1] + e[3] - box[1] - box[3]))
        offsets.append(max(abs(a - b) for a, b in zip(box, nearest)))
    assert max(offsets) <= 1.0


def test_the_engine_is_chosen_at_run_time(fake_engine, monkeypatch):
    assert ocr_engine.engine() is fake_engine  # what every later read uses
    monkeypatch.setenv(ocr_engine.THREADS_VARIABLE, "3")
    assert ocr_engine.default_settings().threads == 3
    monkeypatch.setenv(ocr_engine.THREADS_VARIABLE, "many")
    assert ocr_engine.default_settings().threads == ocr_engine.EngineSettings().threads


def test_batch_starts_the_largest_files_first(tmp_path):
    """A scan (megabytes of images) must not be the last file a worker starts."""
    from extractor.batch import largest_first

    sizes = {"a.txt": 10, "scan.pdf": 3000, "b.html": 200, "c.txt": 10}
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
    files = [tmp_path / name for name in sizes] + [tmp_path / "gone.pdf"]
    assert [p.name for p in largest_first(files)] == ["scan.pdf", "b.html", "a.txt", "c.txt",
                                                      "gone.pdf"]


@pytest.fixture(scope="module")
def rapid():
    """The real engine, loaded once for the tests that look at it directly."""
    return ocr_engine.RapidOcrEngine()


def _scan_page(index: int):
    from extractor.load.ocr import _page_image

    with pymupdf.open(CORPUS / "huaian_city_2024_scanned.pdf") as pdf:
        return _page_image(pdf, pdf[index])[0]


@real_engine
def test_detection_in_bands_finds_the_lines_of_the_whole_page(rapid):
    """Bands bound the detector's memory; every line is found once, where the whole page
    finds it."""
    image = _scan_page(1)
    banded = rapid.detect(image)
    whole = ocr_engine.RapidOcrEngine(ocr_engine.EngineSettings(det_band=2000)).detect(image)
    assert len(banded) == len(whole) > 20

    def centre(box):
        return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)

    for box in whole:
        x, y = centre(box)
        assert min(abs(x - cx) + abs(y - cy) for cx, cy in map(centre, banded)) < 6


@real_engine
def test_crops_read_together_as_one_by_one(rapid):
    """One recognizer call for many crops of different widths reads each as it reads alone;
    the digits-only decoding of the same pass keeps the values."""
    from extractor.load.ocr_engine import Crop

    image = _scan_page(3)
    boxes = sorted(rapid.detect(image), key=lambda b: b[2] - b[0])
    boxes = boxes[:: len(boxes) // 14][:14]  # widths from a lone digit to a line of prose
    crops = [Crop(image[int(b[1]):int(b[3]), int(b[0]):int(b[2])], b) for b in boxes]
    together = rapid.recognize(crops, "0123456789")
    alone = [rapid.recognize([crop], "0123456789")[0] for crop in crops]
    assert [r.text for r in together] == [r.text for r in alone]
    # A crop padded to the widest of its batch scores a little differently, never reads so.
    assert all(abs(a.score - b.score) < 0.1 for a, b in zip(together, alone))
    for reading in together:
        digits, _ = reading.restricted
        assert set(digits) <= set("0123456789")
        if reading.text.isdigit():
            assert digits == reading.text


def test_each_ocr_page_is_told_for_a_progress_bar(fake_engine, caplog):
    """OCR costs seconds a page: the loader logs each page with its step, which the CLI shows
    as a bar on a terminal (and as lines with -v)."""
    import logging

    from extractor.load import load

    with caplog.at_level(logging.INFO, logger="extractor"):
        load(CORPUS / "huaian_city_2024.pdf", ocr="always")
    steps = [(r.step, r.job) for r in caplog.records if hasattr(r, "step")]
    assert steps == [((i, 6), "OCR huaian_city_2024.pdf") for i in range(1, 7)]


@pytest.mark.skipif(not (HAS_ENGINE and sys.platform.startswith("linux")),
                    reason="glibc's allocator, in a process that reads by OCR (the ocr extra)")
def test_a_process_reading_scans_maps_large_buffers_of_their_own():
    """load/ocr.py fixes glibc's mmap threshold, so a page's large buffers (images, the
    detector's feature maps) get mappings of their own, returned to the system when freed;
    left to itself glibc raises the threshold when such a block is freed and serves the next
    ones from the heap, where freed memory stays resident (a page peaked ~70 MiB higher).
    Counted with mallinfo2: mapped blocks before and while a 5 MiB block is held."""
    probe = """
import ctypes, sys
if sys.argv[1] == "ocr":
    import extractor.load.ocr
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
block = b"x" * (10 << 20)
del block  # a freed 10 MiB block: glibc raises its threshold past it
before = libc.mallinfo2().hblks
held = b"y" * (5 << 20)
print(libc.mallinfo2().hblks - before)
"""
    # glibc's own defaults: Dask sets MALLOC_TRIM_THRESHOLD_ in this process's environment (a
    # test here starts a cluster), which also fixes the threshold in a plain process.
    glibc_defaults = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    mapped = {}
    for mode in ("ocr", "plain"):
        run = subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True,
                             timeout=120, env=glibc_defaults)
        assert run.returncode == 0, run.stderr
        mapped[mode] = int(run.stdout.strip())
    assert mapped == {"ocr": 1, "plain": 0}
