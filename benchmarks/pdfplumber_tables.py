"""Does pdfplumber read the tables (or the headings' fonts) of a PDF better than what we have?

    pip install pdfplumber   # not a dependency of nianbao: this script is the measurement why
    python benchmarks/pdfplumber_tables.py [PDF ...] [--repeat N]

For each text-layer PDF (default: the real Huaian 2024 report and the generated PDFs with
their truth files), on every page:
- tables: pdfplumber's `extract_tables()` (its default lines strategy, the one for ruled
  tables) against our grids (`load.pdf`: PyMuPDF words and drawings, `geometry.py`): tables
  and non-empty cells found; how many cell texts the two agree on (whitespace removed, so a
  wrapped "商业企\\n业" equals our "商业企业"), and which differ;
- values: how many of the truth file's printed numbers are a cell of a grid (a multiset: a
  value printed twice must be found twice);
- time per page: pdfplumber opening the file and extracting the tables, against our loader
  reading the whole page (text lines as well as grids), medians over N runs after a warm-up;
- fonts: the font and size of each section heading's first character, from pdfplumber's
  `chars` and from PyMuPDF's spans, and the time each takes per page.
Prints markdown for docs/dependencies.md. Timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import warnings
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pdfplumber
from bench_extract import median_time  # same folder, as the usage line runs it

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pymupdf

from extractor.document import Grid
from extractor.load import load

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT / "fixtures" / "corpus" / "huaian_city_2024.pdf",
           *sorted((ROOT / "fixtures" / "generated").glob("*.pdf"))]
HEADINGS = ("一、", "二、", "三、", "四、", "五、", "六、")


def squeeze(text: str | None) -> str:
    return "".join((text or "").split())


def truth_of(pdf: Path) -> dict | None:
    path = pdf.parent / "truth" / f"{pdf.stem}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def plumber_cells(pdf: Path) -> tuple[list[list[str]], int]:
    """Per page, the non-empty cell texts of every table pdfplumber finds; and its table count."""
    pages, tables = [], 0
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            found = page.extract_tables()
            tables += len(found)
            pages.append([squeeze(c) for t in found for row in t for c in row if squeeze(c)])
    return pages, tables


def our_cells(pdf: Path) -> tuple[list[list[str]], int]:
    document = load(pdf, ocr="never")
    pages, tables = [], 0
    for page in document.pages:
        grids = [b for b in page.blocks if isinstance(b, Grid)]
        tables += len(grids)
        pages.append([squeeze(c.text) for g in grids for c in g.cells if squeeze(c.text)])
    return pages, tables


def median_seconds(fn, repeat: int) -> float:
    fn()  # warm-up: imports, font caches
    return median_time(fn, repeat)


def values_found(cells: list[list[str]], truth: dict) -> tuple[int, int]:
    """How many of the truth's printed numbers are grid cells, of how many."""
    printed = Counter(str(Decimal(str(v)).normalize()) for v in truth["values"].values()
                      if v is not None)
    numeric = Counter()
    for text in (c for page in cells for c in page):
        try:
            numeric[str(Decimal(text.replace(",", "")).normalize())] += 1
        except ArithmeticError:
            continue
    return sum((printed & numeric).values()), sum(printed.values())


def heading_fonts(pdf: Path) -> tuple[list[str], float, float]:
    """The font and size of each heading's first character by both libraries (rows of a
    markdown table), and the seconds per page each takes to give character or span fonts."""
    rows = []
    with pdfplumber.open(pdf) as doc, pymupdf.open(pdf) as mu:
        for number, (page, mupage) in enumerate(zip(doc.pages, mu), 1):
            spans = [s for b in mupage.get_text("dict")["blocks"] for line in b.get("lines", ())
                     for s in line["spans"][:1]
                     if s["text"].strip().startswith(HEADINGS) and s["size"] > 12]
            for span in spans:
                text = span["text"].strip()
                first = next((c for c in page.chars if c["text"] == text[0]
                              and abs(c["top"] - span["bbox"][1]) < 3), None)
                # PyMuPDF gives a CJK font name as UTF-8 bytes read as Latin-1.
                font = span["font"].encode("latin-1", "replace").decode("utf-8", "replace")
                theirs = f"{first['fontname']} {first['size']:.1f}" if first else "—"
                rows.append(f"| {pdf.name} p.{number} | {text[:14]} | {theirs} | "
                            f"{font} {span['size']:.1f} |")
        count = len(mu)

    def plumber_chars():
        with pdfplumber.open(pdf) as doc:
            for page in doc.pages:
                _ = [(c["fontname"], c["size"]) for c in page.chars]

    def mupdf_spans():
        with pymupdf.open(pdf) as doc:
            for page in doc:
                page.get_text("dict")

    return rows, median_seconds(plumber_chars, 3) / count, median_seconds(mupdf_spans, 3) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"pdfplumber {pdfplumber.__version__}, PyMuPDF {pymupdf.__version__}, "
          f"Python {platform.python_version()}, {platform.processor() or platform.machine()}\n")
    print("| file | pages | tables (plumber / ours) | cells (plumber / ours) | same text | "
          "truth values found (plumber / ours) | ms per page (plumber / ours) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    differences, fonts, font_times = [], [], []
    for pdf in args.pdfs:
        theirs, their_tables = plumber_cells(pdf)
        ours, our_tables = our_cells(pdf)
        pages = len(ours)
        same = sum(sum((Counter(t) & Counter(o)).values()) for t, o in zip(theirs, ours))
        for number, (t, o) in enumerate(zip(theirs, ours), 1):
            only_theirs, only_ours = Counter(t) - Counter(o), Counter(o) - Counter(t)
            if only_theirs or only_ours:
                differences.append(f"- {pdf.name} p.{number}: only pdfplumber "
                                   f"{sorted(only_theirs.elements())[:6]}, only ours "
                                   f"{sorted(only_ours.elements())[:6]}")
        truth = truth_of(pdf)
        found = "—"
        if truth is not None:
            (a, total), (b, _) = values_found(theirs, truth), values_found(ours, truth)
            found = f"{a} / {b} of {total}"
        plumber_ms = median_seconds(lambda: plumber_cells(pdf), args.repeat) / pages * 1000
        our_ms = median_seconds(lambda: our_cells(pdf), args.repeat) / pages * 1000
        print(f"| {pdf.name} | {pages} | {their_tables} / {our_tables} | "
              f"{sum(map(len, theirs))} / {sum(map(len, ours))} | {same} | {found} | "
              f"{plumber_ms:.0f} / {our_ms:.0f} |")
        rows, plumber_s, mupdf_s = heading_fonts(pdf)
        fonts += rows
        font_times.append(f"- {pdf.name}: pdfplumber chars {plumber_s * 1000:.0f} ms/page, "
                          f"PyMuPDF spans {mupdf_s * 1000:.0f} ms/page")
    print("\nCells one reads and the other does not (whitespace removed):")
    print("\n".join(differences) or "- none")
    print("\n| heading | text | pdfplumber font, size | PyMuPDF font, size |\n|---|---|---|---|")
    print("\n".join(fonts))
    print("\n" + "\n".join(font_times))


if __name__ == "__main__":
    main()
