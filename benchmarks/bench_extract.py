"""Extraction and audit time against raw PyMuPDF text extraction of the same file, same run.

    python benchmarks/bench_extract.py                 # bundled corpus + generated sample
    python benchmarks/bench_extract.py FILES... [--repeat N]
    python benchmarks/bench_extract.py --ocr           # also the scanned PDF (slow: OCR)

For each file: the median over N runs of (a) `pymupdf.open` + `get_text()` of every page (PDFs
only), (b) `extractor.extract`, (c) `extractor.audit.audit` of the extracted report; the ratios
of (b) and (b)+(c) to (a), pages per second and the peak Python memory of one extract
(tracemalloc; MuPDF's own C allocations are not counted). Imports and caches are warmed first.
The legacy reports (fixtures/corpus/legacy, 2008–2018) are compared with the modern text
reports: the median extract time of each, and their ratio.
Prints a markdown table and the machine it ran on, for docs/PERFORMANCE.md. Not a test:
timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pymupdf

from extractor import extract
from extractor.audit import audit

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {".pdf", ".html", ".txt", ".md", ".docx"}
SCANNED = "huaian_city_2024_scanned.pdf"


def default_files(ocr: bool) -> list[Path]:
    files = []
    for folder in (ROOT / "fixtures" / "corpus", ROOT / "fixtures" / "corpus" / "legacy",
                   ROOT / "fixtures" / "generated"):
        files += sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES
                        and p.name != "template_2021_blank.docx")
    return [p for p in files if ocr or p.name != SCANNED]


def raw_pymupdf(path: Path) -> None:
    with pymupdf.open(path) as doc:
        for page in doc:
            page.get_text()


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def machine() -> str:
    cpu = "cpu"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} × {cpu}, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, PyMuPDF {pymupdf.VersionBind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--ocr", action="store_true", help="include the scanned PDF (OCR)")
    args = parser.parse_args()
    files = [f for f in (args.files or default_files(args.ocr)) if f.suffix.lower() in SUFFIXES]
    for f in files:  # warm imports, caches and the OCR models
        audit(extract(f))
    print(f"machine: {machine()}")
    print()
    print("| file | pages | raw PyMuPDF (ms) | extract (ms) | ratio | audit (ms) | "
          "extract+audit ratio | pages/s | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    text_times: dict[bool, list[float]] = {True: [], False: []}  # legacy? → extract seconds
    for f in files:
        repeat = 1 if f.name == SCANNED else args.repeat
        t_extract = median_time(lambda: extract(f), repeat)
        report = extract(f)
        t_audit = median_time(lambda: audit(report), repeat)
        pages = report.meta.page_count
        if f.suffix.lower() != ".pdf":
            text_times[report.meta.format == "legacy"].append(t_extract)
        memory = peak_memory(lambda: extract(f))
        if f.suffix.lower() == ".pdf":
            t_raw = median_time(lambda: raw_pymupdf(f), max(repeat, 5))
            raw = f"{t_raw * 1000:.1f}"
            ratio = f"{t_extract / t_raw:.2f}×"
            both = f"{(t_extract + t_audit) / t_raw:.2f}×"
            if f.name != SCANNED:
                ratios.append(t_extract / t_raw)
        else:
            raw = ratio = both = "—"
        print(f"| {f.name} | {pages} | {raw} | {t_extract * 1000:.1f} | {ratio} | "
              f"{t_audit * 1000:.1f} | {both} | {pages / t_extract:.1f} | {memory:.1f} |")
    if ratios:
        print()
        print(f"text-layer PDFs: extract / raw PyMuPDF median {statistics.median(ratios):.2f}×, "
              f"max {max(ratios):.2f}× over {len(ratios)} files")
    if text_times[True] and text_times[False]:
        legacy, modern = (statistics.median(text_times[k]) * 1000 for k in (True, False))
        print(f"text reports: legacy median {legacy:.1f} ms over {len(text_times[True])} files, "
              f"modern median {modern:.1f} ms over {len(text_times[False])} files "
              f"(legacy / modern {legacy / modern:.2f}×)")


if __name__ == "__main__":
    main()
