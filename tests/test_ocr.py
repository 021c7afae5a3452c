"""Scanned pages, text layers that lie, sideways scans: read through OCR (the `ocr` extra)."""

import subprocess
import sys

import pymupdf
import pytest

from extractor import extract
from extractor.load.textlayer import text_layer_is_usable

from .conftest import CORPUS, canon, truth

rapidocr = pytest.importorskip("rapidocr", reason="the OCR extra is not installed")


def exact(report, expected: dict, prefixes=("",)) -> tuple[int, list]:
    got = {v.key: v for v in report.values}
    keys = [k for k in expected if k.startswith(prefixes)]
    wrong = [(k, expected[k], got[k].value if k in got else None,
              got[k].confidence if k in got else None) for k in keys
             if k not in got or canon(got[k].value) != canon(expected[k])]
    return len(keys) - len(wrong), wrong


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
    import cv2
    import numpy as np

    [(source, xref)] = _page_images([index])
    pixmap = pymupdf.Pixmap(source, xref)
    image = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.h, pixmap.w, pixmap.n)
    turned = cv2.rotate(np.ascontiguousarray(image[:, :, :3]), cv2.ROTATE_90_COUNTERCLOCKWISE)
    page = target.new_page(width=842, height=595)
    page.insert_image(page.rect, stream=cv2.imencode(".png", turned)[1].tobytes())
    return page


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


def test_sideways_scan_is_turned(tmp_path):
    import cv2
    import numpy as np

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
    read = rapidocr.RapidOCR()(upright)
    assert str(total.value) in "".join(read.txts or ())


def test_rotated_scan_is_read_and_pictured_upright(tmp_path):
    """A scanner's landscape image stored sideways on its page, with /Rotate 90 to show it
    upright: values are found, boxed in the page's unrotated space like a text layer's, and the
    audit's picture of them reads upright."""
    import base64
    import re

    import cv2
    import numpy as np

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


def test_tables_pasted_as_pictures_are_read_by_ocr(tmp_path):
    """Offices often paste the tables into the report as screenshots: the prose keeps its text
    layer, each table is a picture. Here every table region of the Huai'an PDF is replaced by
    the same region of its scan."""
    from extractor.load import load

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
    assert "pip install 'nianbao[ocr]'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
