"""PyMuPDF, imported without the page-layout model it otherwise loads at import.

PyMuPDF 2 depends on pymupdf_layout and pymupdf4llm and imports both when it is imported;
`pymupdf.layout` then loads an ONNX layout model (onnxruntime, numpy) into the process: 0.4 s
and +95 MiB resident in every process that reads a PDF (import pymupdf: 144 MiB resident with
it, 49 MiB without; docs/PERFORMANCE.md). nianbao never asks for page layout (tables come from
rulings, geometry.py), so it imports PyMuPDF with both marked absent, which PyMuPDF handles as
not installed. The marks are removed afterwards: a later `import pymupdf.layout` still works.
A program that imported pymupdf before nianbao keeps the PyMuPDF it made.
"""

from __future__ import annotations

import sys
import warnings

_NOT_NEEDED = ("pymupdf.layout", "pymupdf4llm")

if "pymupdf" in sys.modules:
    import pymupdf
else:
    marked = [name for name in _NOT_NEEDED if name not in sys.modules]
    for name in marked:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pymupdf
    finally:
        for name in marked:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]

pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

__all__ = ["pymupdf"]
