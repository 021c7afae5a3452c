"""End-to-end `extract` time against raw PyMuPDF text extraction of the same file, same run.

    python benchmarks/bench_extract.py [FILES...] [--repeat N]

For each PDF: the median over N runs of (a) `pymupdf.open` + `get_text()` of every page and
(b) `extractor.extract` on the same file, their ratio, pages per second and the peak Python
memory of one extract (tracemalloc). Non-PDF files report extract time only. Prints a markdown
table for docs/PERFORMANCE.md. Not a test: timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sorted((ROOT / "fixtures" / "corpus").glob("*.*"))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    files = [f for f in args.files if f.suffix.lower() in {".pdf", ".html", ".txt", ".md", ".docx"}]
    for f in files:  # warm caches and imports so the first file is not penalized
        extract(f)
        if f.suffix.lower() == ".pdf":
            raw_pymupdf(f)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
          f"Python {platform.python_version()}, PyMuPDF {pymupdf.VersionBind}")
    print()
    print("| file | pages | raw PyMuPDF (ms) | extract (ms) | ratio | pages/s | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for f in files:
        t_extract = median_time(lambda: extract(f), args.repeat)
        report = extract(f)
        pages = report.meta.page_count
        mem = peak_memory(lambda: extract(f))
        if f.suffix.lower() == ".pdf":
            t_raw = median_time(lambda: raw_pymupdf(f), args.repeat)
            raw, ratio = f"{t_raw * 1000:.1f}", f"{t_extract / t_raw:.2f}×"
        else:
            raw, ratio = "—", "—"
        print(f"| {f.name} | {pages} | {raw} | {t_extract * 1000:.1f} | {ratio} | "
              f"{pages / t_extract:.0f} | {mem:.1f} |")


if __name__ == "__main__":
    main()
