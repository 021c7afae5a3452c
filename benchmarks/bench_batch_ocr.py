"""`nianbao batch` over scanned and text-layer reports: what a second worker adds, and memory.

    python benchmarks/bench_batch_ocr.py [--scans 200] [--text 800] [--seed 14] [--work DIR]

Generates the scanned reports (`python -m docgen --layout scan`) and the text-layer ones
(`--layout pdf`; both need LibreOffice; cached in DIR), then runs the batch with --jobs 1 and
--jobs 2 into fresh stores. Reported per run: wall time and the speed-up over --jobs 1, the
workers' CPU seconds, each worker's peak resident memory and its memory at each quarter of its
life (flat, or not: a worker keeps one OCR engine for all its files). Prints a markdown table for
docs/PERFORMANCE.md. Measured, never asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench_batch import Sampler  # same folder: run as python benchmarks/bench_batch_ocr.py

from extractor.batch import run_batch


def generate(work: Path, layout: str, count: int, seed: int) -> Path:
    out = work / f"{layout}-{seed}-{count}"
    if len(list(out.glob("gen_*.pdf"))) != count:
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "docgen", "--seed",
                        str(seed), "--count", str(count), "--layout", layout, "--out", str(out),
                        "--jobs", str(os.cpu_count() or 1)], check=True)
    return out


def measure(inputs: Path, store: Path, jobs: int) -> dict:
    store.unlink(missing_ok=True)
    with Sampler() as workers:
        summary = run_batch([inputs], store, jobs=jobs)
    alive = {pid: [rss for rss in samples if rss] for pid, samples in  # 0: an exiting worker
             workers.worker_timeline.items()}
    lives = {pid: [samples[max(0, int(len(samples) * q) - 1)] / 2**20
                   for q in (0.25, 0.5, 0.75, 1.0)]
             for pid, samples in alive.items() if len(samples) >= 4}
    return {"jobs": jobs, "seconds": summary.seconds, "stored": summary.stored,
            "failed": summary.failed, "cpu": sum(workers.worker_cpu.values()),
            "peak": max(workers.peak_worker.values(), default=0) / 2**20, "lives": lives}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--text", type=int, default=800)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--work", type=Path, default=Path("/tmp/nianbao-bench-batch-ocr"))
    args = parser.parse_args()
    scans = generate(args.work, "scan", args.scans, args.seed)
    texts = generate(args.work, "pdf", args.text, args.seed + 1)
    inputs = args.work / "input"
    shutil.rmtree(inputs, ignore_errors=True)
    for source in (scans, texts):
        shutil.copytree(source, inputs / source.name, ignore=shutil.ignore_patterns("truth"))
    pages = sum(page_count(p) for p in scans.glob("*.pdf"))
    print(f"{args.scans} scanned reports ({pages} pages) + {args.text} text-layer reports, "
          f"{os.cpu_count()} CPUs")
    print()
    print("| jobs | files | time (s) | speed-up | workers' CPU s | peak MiB per worker | "
          "each worker's MiB at ¼ · ½ · ¾ · end of its life |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    base = None
    for jobs in (1, 2):
        run = measure(inputs, args.work / f"store-{jobs}.duckdb", jobs)
        base = base or run["seconds"]
        lives = "; ".join(" · ".join(f"{m:.0f}" for m in life) for life in run["lives"].values())
        print(f"| {jobs} | {run['stored']} (+{run['failed']} failed) | {run['seconds']:.1f} | "
              f"{base / run['seconds']:.2f}× | {run['cpu']:.0f} | {run['peak']:.0f} | {lives} |",
              flush=True)


def page_count(path: Path) -> int:
    import pymupdf

    with pymupdf.open(path) as pdf:
        return pdf.page_count


if __name__ == "__main__":
    main()
