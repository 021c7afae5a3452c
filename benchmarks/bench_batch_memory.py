"""Memory over a long `nianbao batch` run: does it stay flat over 10,000 files?

    python benchmarks/bench_batch_memory.py [--copies 10] [--count 1000] [--jobs 2]

Takes the inputs of bench_batch.py (corpus + generated reports, 5 % corrupted) and writes each
good file but the scanned PDF `copies` times with distinct bytes (a comment after a PDF's end, in an HTML page or
a DOCX zip; trailing blank lines in a text dump), so every copy is a new report to the store.
Then one `--jobs N` run, sampling the resident memory of the main process and of each worker
every 0.1 s. Prints the main process's memory at each tenth of the run and the workers' peaks.
Measured, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

from bench_batch import SCANNED, Sampler, prepare

from extractor.batch import run_batch, walk


def distinct_copy(source: Path, target: Path, index: int) -> None:
    data = source.read_bytes()
    suffix = source.suffix.lower()
    if suffix == ".docx":
        shutil.copy(source, target)
        with zipfile.ZipFile(target, "a") as archive:
            archive.comment = f"copy {index}".encode()
        return
    if suffix == ".pdf":
        data += f"\n%copy {index}\n".encode()
    elif suffix in (".html", ".htm"):
        data += f"\n<!-- copy {index} -->\n".encode()
    else:
        data += b"\n" * index
    target.write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/nianbao-bench"))
    args = parser.parse_args()
    inputs, corrupted, good = prepare(args.work, args.count, args.seed, 0.05)
    for copy in range(1, args.copies):
        folder = inputs / f"copy{copy}"
        folder.mkdir()
        for number, path in enumerate(map(Path, good)):
            if path.name != SCANNED:  # its OCR would take most of the run and is not the question
                distinct_copy(path, folder / f"{number:05d}_{path.name}", copy)
    files = len(walk([inputs]))
    store = args.work / "memory.duckdb"
    store.unlink(missing_ok=True)
    with Sampler() as sampler:
        summary = run_batch([inputs], store, jobs=args.jobs)
    timeline = [rss / 2**20 for rss in sampler.timeline]
    tenths = [timeline[max(0, len(timeline) * k // 10 - 1)] for k in range(1, 11)]
    print(f"files: {files} ({len(corrupted)} corrupted), jobs {args.jobs}, "
          f"{summary.seconds:.0f} s, {files / summary.seconds:.1f} files/s")
    print(f"stored {summary.stored}, failed {summary.failed} {dict(summary.failures)}")
    print("main process MiB at each tenth: " + " · ".join(f"{m:.0f}" for m in tenths))
    print(f"main peak {sampler.peak_main / 2**20:.0f} MiB; workers seen {len(sampler.peak_worker)}, "
          f"peak per worker {max(sampler.peak_worker.values(), default=0) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
