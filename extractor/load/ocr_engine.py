"""The OCR engine behind a small protocol: text lines found on an image, crops read.

`load/ocr.py` decides what to read (a page is detected once; table cells and the lines that
may hold figures are recognized, all in one call); an engine only detects and recognizes. The
engine is chosen at run time: `engine()` is the process's engine, made on first use and kept
(a batch worker loads the models once and reuses them for every file), and `use_engine`
installs another one (tests install a fake, so the OCR paths run without the `ocr` extra).

`RapidOcrEngine` runs the PP-OCRv6 models that ship inside the rapidocr wheel on onnxruntime
(CPU; nothing is downloaded at run time). Its settings were chosen by measurement
(docs/PERFORMANCE.md, `benchmarks/bench_ocr.py`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import OcrUnavailable, install_hint

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the image given


@dataclass(frozen=True, slots=True)
class Crop:
    """A piece of an image to recognize, and where it was cut from (what a fake engine reads)."""

    image: Any  # BGR uint8 array
    box: Box


@dataclass(frozen=True, slots=True)
class Reading:
    text: str
    score: float
    # The same recognition decoded over the requested charset only (None when none was asked):
    # a blurred 1 comes out as a digit, with a low score if the model really saw something else.
    restricted: tuple[str, float] | None = None


class OcrEngine(Protocol):
    def detect(self, image) -> list[Box]:
        """Boxes of the text lines of a BGR image, in its pixels."""
        ...

    def recognize(self, crops: Sequence[Crop], charset: str | None = None) -> list[Reading]:
        """One reading per crop; with `charset`, each also decoded over those characters."""
        ...


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Tunables of `RapidOcrEngine`, measured in benchmarks/bench_ocr.py."""

    # Detection input's long side: an A4 page at 200 dpi is 2339 px; its text lines (~45 px)
    # are still ~18 px at 960, which the detector finds as well, at a sixth of the work and a
    # quarter of the memory.
    det_long_side: int = 960
    # The detector runs on bands this many rows high (overlapping by `_BAND_OVERLAP`): its
    # memory grows with the input's area, and a whole page at 960 took 180 MB.
    det_band: int = 512
    # onnxruntime threads per process; a batch worker uses one (parallelism comes from workers).
    threads: int = 1
    # Recognition batches hold crops of similar width, up to this many pixel columns in all:
    # at 480 a page peaks ~30 MiB lower than at 960, for no more CPU (docs/PERFORMANCE.md).
    batch_columns: int = 480


_REC_HEIGHT = 48  # the recognizer's fixed input height
_BAND_OVERLAP = 64  # detection rows shared by neighbouring bands: more than a line is high


class RapidOcrEngine:
    def __init__(self, settings: EngineSettings = EngineSettings()) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise OcrUnavailable(
                f"OCR is not installed ({exc.name} missing): {install_hint('ocr')}") from None
        self.settings = settings
        ocr = RapidOCR(params={
            "Global.log_level": "warning",
            "Det.limit_type": "max",
            "Det.limit_side_len": settings.det_long_side,
            "EngineConfig.onnxruntime.intra_op_num_threads": settings.threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
        # rapidocr 3 has no public detection-only or recognition-only call; the pin in
        # pyproject.toml keeps these internals stable and tests/test_ocr.py exercises them.
        self._det = ocr._load_det_model()
        self._rec = ocr._load_rec_model()

    def detect(self, image) -> list[Box]:
        """Lines found on the image shrunk to `det_long_side`, band by band; a line belongs to
        the band whose share of the overlap holds its centre (whole there, as it is lower
        than the overlap)."""
        import cv2
        import numpy as np

        scale = min(1.0, self.settings.det_long_side / max(image.shape[:2]))
        small = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale,
                                                      interpolation=cv2.INTER_AREA)
        height, step = small.shape[0], self.settings.det_band - _BAND_OVERLAP
        count = max(1, math.ceil((height - _BAND_OVERLAP) / step))
        band = math.ceil((height + (count - 1) * _BAND_OVERLAP) / count)
        boxes = []
        for index in range(count):
            top = min(index * (band - _BAND_OVERLAP), max(0, height - band))
            low = 0 if index == 0 else top + _BAND_OVERLAP / 2
            high = height if index == count - 1 else top + band - _BAND_OVERLAP / 2
            found = self._det(small[top: top + band])
            quads = np.asarray(found.boxes if found.boxes is not None else [], dtype=float)
            for quad in quads:
                x0, y0 = quad[:, 0].min(), quad[:, 1].min() + top
                x1, y1 = quad[:, 0].max(), quad[:, 1].max() + top
                if low <= (y0 + y1) / 2 < high:
                    boxes.append((float(x0 / scale), float(y0 / scale), float(x1 / scale),
                                  float(y1 / scale)))
        return boxes

    def recognize(self, crops: Sequence[Crop], charset: str | None = None) -> list[Reading]:
        """Crops resized to the model's height and batched by width, each batch padded only to
        its widest crop (rapidocr pads every batch to at least 320 columns: a short number then
        costs as much as a line of prose). A crop wider than `batch_columns` is a batch alone.
        The widest go first: later, smaller batches then reuse the memory freed by earlier ones
        (widest last, the heap grew by 190 MB)."""
        import numpy as np

        columns = [_columns(crop.image) for crop in crops]
        order = sorted(range(len(crops)), key=lambda i: -columns[i])
        decode = self._rec.postprocess_op
        keep = None
        if charset is not None:
            keep = np.array([i == 0 or ch in charset for i, ch in enumerate(decode.character)],
                            dtype=np.float32)
        readings: list[Reading] = [Reading("", 0.0)] * len(crops)
        start = 0
        while start < len(order):
            width = columns[order[start]]  # the widest of its batch
            members = order[start: start + max(1, self.settings.batch_columns // width)]
            batch = np.zeros((len(members), 3, _REC_HEIGHT, width), dtype=np.float32)
            for row, index in enumerate(members):
                batch[row, :, :, : columns[index]] = _normalized(crops[index].image,
                                                                 columns[index])
            preds = self._rec.session(batch)
            full, _ = decode(preds, False)
            limited = decode(preds * keep, False)[0] if keep is not None else [None] * len(members)
            for index, (text, score), restricted in zip(members, full, limited):
                readings[index] = Reading(text, float(score), None if restricted is None
                                          else (restricted[0], float(restricted[1])))
            start += len(members)
        return readings


def _columns(image) -> int:
    """The width of an image scaled to the recognizer's height."""
    height, width = image.shape[:2]
    return max(8, math.ceil(_REC_HEIGHT * width / max(1, height)))


def _normalized(image, columns: int):
    """An image as the recognizer takes it: 48 px high, CHW, values in [-1, 1]."""
    import cv2
    import numpy as np

    resized = cv2.resize(image, (columns, _REC_HEIGHT)).astype(np.float32)
    return resized.transpose(2, 0, 1) / 127.5 - 1.0


_engine: OcrEngine | None = None


def engine() -> OcrEngine:
    """The process's engine: made once (models loaded), then reused for every page and file."""
    global _engine
    if _engine is None:
        _engine = RapidOcrEngine(default_settings())
    return _engine


def use_engine(chosen: OcrEngine | None) -> OcrEngine | None:
    """Installs the engine every later read uses (None: the default, made on next use);
    returns the one it replaces."""
    global _engine
    previous, _engine = _engine, chosen
    return previous


def engine_available() -> bool:
    """Whether OCR can run: an engine is installed or the default one's package is present."""
    if _engine is not None:
        return True
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


THREADS_VARIABLE = "NIANBAO_OCR_THREADS"


def default_settings() -> EngineSettings:
    """`EngineSettings`, with the thread count from NIANBAO_OCR_THREADS when set (batch sets it
    to 1 in its workers; a single extraction may spread one page over every core)."""
    threads = os.environ.get(THREADS_VARIABLE, "").strip()
    if threads.isdigit() and int(threads) > 0:
        return EngineSettings(threads=int(threads))
    return EngineSettings()
