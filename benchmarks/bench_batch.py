"""`nianbao batch` over the corpus plus N generated reports with a fraction corrupted.

    python benchmarks/bench_batch.py [--count 1000] [--seed 2025] [--fraction 0.05]
                                     [--work DIR] [--generated DIR] [--no-kill]

1. Generates N reports with `python -m docgen` (cached in DIR/generated-<seed>-<N>), copies
   them and the corpus into DIR/input, and corrupts `fraction` of the files: truncated (PDF,
   DOCX), random bytes, encrypted (PDF), empty — a quarter each.
2. Runs the batch with --jobs 1 and --jobs 2 into fresh stores: wall time, files/s, the peak
   resident memory of the main process and of each worker (psutil, sampled every 0.1 s), and
   the main process's memory at each quarter of the run (flat, or not). Then the same two
   runs without the corpus's scanned PDF: OCR already uses both cores through onnxruntime's
   threads and one scan outlasts the rest of the batch, so only those runs show what a
   second process adds.
3. Checks the acceptance: every good file stored, exactly one error row per corrupted file.
4. Kills a --jobs 2 run with SIGKILL in the middle, runs it again, and compares the store with
   the uninterrupted one (timings left out).
Prints a markdown section for docs/PERFORMANCE.md. Timings are measured, never asserted; the
acceptance checks are (tests/test_batch.py runs `acceptance` with NIANBAO_SLOW=1).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pymupdf

from extractor import __version__
from extractor.batch import run_batch, walk
from extractor.store import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "corpus"
KINDS = ("truncated", "random", "encrypted", "empty")
SCANNED = "huaian_city_2024_scanned.pdf"  # the one corpus file read by OCR
EXPECTED_KIND = {"truncated": "damaged", "random": "unsupported", "encrypted": "encrypted",
                 "empty": "empty"}

RUNNER = """
import sys
from pathlib import Path
from extractor.batch import run_batch, walk

class Lines:
    def start(self, total): pass
    def advance(self, failed=False): print("done", flush=True)
    def stop(self): pass

if __name__ == "__main__":
    run_batch([Path(sys.argv[1])], Path(sys.argv[2]), jobs=int(sys.argv[3]), progress=Lines())
"""


def generated(work: Path, count: int, seed: int, existing: Path | None = None) -> Path:
    """The generated reports: `existing` (a `python -m docgen` output) or made here."""
    if existing is not None:
        return existing
    out = work / f"generated-{seed}-{count}"
    if len(list(out.glob("gen_*"))) != count:
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "docgen", "--seed",
                        str(seed), "--count", str(count), "--out", str(out)], check=True)
    return out


def corrupt(path: Path, kind: str, rng: random.Random) -> None:
    data = path.read_bytes()
    if kind == "truncated":  # a download cut short: a tenth of the file
        path.write_bytes(data[: len(data) // 10])
    elif kind == "random":
        path.write_bytes(rng.randbytes(max(1024, len(data) // 4)))
    elif kind == "encrypted":
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            encrypted = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw",
                                    owner_pw="owner")
        path.write_bytes(encrypted)
    else:
        path.write_bytes(b"")


def prepare(work: Path, count: int, seed: int, fraction: float, existing: Path | None = None
            ) -> tuple[Path, dict[str, str], list[str]]:
    """DIR/input with the corpus and generated reports, `fraction` corrupted: the input
    directory, corrupted path → expected error kind, and the good paths."""
    source = generated(work, count, seed, existing)
    target = work / "input"
    shutil.rmtree(target, ignore_errors=True)
    (target / "corpus").mkdir(parents=True)
    for path in CORPUS.glob("*.*"):
        shutil.copy(path, target / "corpus" / path.name)
    shutil.copytree(source, target / "generated", ignore=shutil.ignore_patterns("truth"))
    files = sorted((target / "generated").glob("gen_*"))
    rng = random.Random(f"bench-batch:{seed}")
    n = round(len(files) * fraction)
    pools = {"truncated": [f for f in files if f.suffix in (".pdf", ".docx")],
             "encrypted": [f for f in files if f.suffix == ".pdf"]}
    corrupted: dict[str, str] = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        pool = [f for f in pools.get(kind, files) if str(f) not in corrupted]
        chosen = rng.choice(pool)
        corrupt(chosen, kind, rng)
        corrupted[str(chosen)] = EXPECTED_KIND[kind]
    good = [str(p) for p in walk([target]) if str(p) not in corrupted]
    return target, corrupted, good


class Sampler:
    """RSS of this process and of each worker process (and the workers' CPU time), sampled in
    a thread."""

    def __init__(self) -> None:
        self.main = psutil.Process()
        self.peak_main = 0
        self.peak_worker: dict[int, int] = {}
        self.worker_timeline: dict[int, list[int]] = {}
        self.worker_cpu: dict[int, float] = {}
        self.timeline: list[int] = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.running:
            try:
                rss = self.main.memory_info().rss
                self.peak_main = max(self.peak_main, rss)
                self.timeline.append(rss)
                children = self.main.children(recursive=True)
                servers = {c.pid for c in children if c.ppid() == self.main.pid}
                for child in children:
                    if child.ppid() in servers:  # forked by the forkserver: a worker
                        mem = child.memory_info().rss
                        self.peak_worker[child.pid] = max(self.peak_worker.get(child.pid, 0), mem)
                        self.worker_timeline.setdefault(child.pid, []).append(mem)
                        times = child.cpu_times()
                        self.worker_cpu[child.pid] = times.user + times.system
            except psutil.Error:
                pass
            time.sleep(0.1)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.running = False
        self.thread.join()


def measure(inputs: Path, store: Path, jobs: int) -> dict:
    if store.exists():
        store.unlink()
    with Sampler() as sampler:
        summary = run_batch([inputs], store, jobs=jobs)
    quarters = [sampler.timeline[int(len(sampler.timeline) * q) - 1] / 2**20
                for q in (0.25, 0.5, 0.75, 1.0)] if sampler.timeline else []
    return {"jobs": jobs, "seconds": summary.seconds, "files": summary.found,
            "rate": summary.found / summary.seconds, "summary": summary,
            "peak_main_mib": sampler.peak_main / 2**20,
            "peak_worker_mib": max(sampler.peak_worker.values(), default=0) / 2**20,
            "workers_seen": len(sampler.peak_worker), "main_quarters_mib": quarters}


def kill_midway(inputs: Path, store: Path, after: int, jobs: int) -> int:
    """Run a batch in a subprocess and SIGKILL it (with its workers) after `after` files."""
    script = store.parent / "run_batch.py"
    script.write_text(RUNNER, encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(script), str(inputs), str(store), str(jobs)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               start_new_session=True)
    done = 0
    for _ in process.stdout:
        done += 1
        if done == after:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait()
    return process.returncode


def check(store: Path, corrupted: dict[str, str], good: list[str]) -> dict:
    with Store(store, read_only=True) as opened:
        errors = dict(opened.con.execute("SELECT path, kind FROM errors").fetchall())
        stored_paths = {r[0] for r in opened.con.execute(
            "SELECT path FROM reports WHERE extractor_version = ?", [__version__]).fetchall()}
        shas = {r[0] for r in opened.con.execute("SELECT sha256 FROM reports").fetchall()}
    from extractor.batch_task import sha256_file

    good_shas = {sha256_file(Path(p)) for p in good}
    return {"good_files": len(good_shas), "good_stored": len(good_shas & shas),
            "stored_paths": len(stored_paths),
            "missing_error_rows": sorted(set(corrupted) - set(errors)),
            "extra_error_rows": sorted(set(errors) - set(corrupted)),
            "wrong_kind": sorted(p for p in corrupted if p in errors and errors[p] != corrupted[p]),
            "unexpected_failures": sorted((p, k) for p, k in errors.items() if p in good)}


def without_ocr(inputs: Path, work: Path) -> Path:
    """The same inputs (hard links) less the scanned PDF: OCR already runs on both cores
    (onnxruntime's threads), so only files read on one core show what processes add."""
    target = work / "input-no-ocr"
    shutil.rmtree(target, ignore_errors=True)
    for path in walk([inputs]):
        if path.name != SCANNED:
            (target / path.relative_to(inputs)).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target / path.relative_to(inputs))
    return target


def acceptance(work: Path, count: int, seed: int, fraction: float, kill: bool = True,
               existing: Path | None = None) -> dict:
    inputs, corrupted, good = prepare(work, count, seed, fraction, existing)
    runs = [measure(inputs, work / f"jobs{j}.duckdb", j) for j in (1, 2)]
    outcome = {"runs": runs, "corrupted": len(corrupted), **check(work / "jobs2.duckdb", corrupted, good)}
    plain = without_ocr(inputs, work)
    outcome["runs_without_ocr"] = [measure(plain, work / f"no-ocr-jobs{j}.duckdb", j) for j in (1, 2)]
    if kill:
        killed = work / "killed.duckdb"
        if killed.exists():
            killed.unlink()
        total = runs[1]["files"]
        code = kill_midway(inputs, killed, after=total // 2, jobs=2)
        with Store(killed, read_only=True) as opened:
            kept = opened.con.execute("SELECT (SELECT count(*) FROM reports) + "
                                      "(SELECT count(*) FROM errors)").fetchone()[0]
        resumed = run_batch([inputs], killed, jobs=2)
        with Store(killed, read_only=True) as a, Store(work / "jobs2.duckdb", read_only=True) as b:
            outcome |= {"kill_code": code, "kept_after_kill": kept,
                        "redone_after_kill": resumed.processed,
                        "kill_resume_equal": a.snapshot() == b.snapshot()}
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--fraction", type=float, default=0.05)
    parser.add_argument("--work", type=Path, default=Path("/tmp/nianbao-bench"))
    parser.add_argument("--generated", type=Path, help="use these generated reports")
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    out = acceptance(args.work, args.count, args.seed, args.fraction, kill=not args.no_kill,
                     existing=args.generated)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"extractor {__version__}, {out['corrupted']} files corrupted")
    print()
    print("| input | files | jobs | time (s) | files/s | speed-up | peak MiB main | "
          "peak MiB per worker | main MiB at ¼ ½ ¾ end |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, (one, two) in (("all", out["runs"]), ("without the scan", out["runs_without_ocr"])):
        for run in (one, two):
            print(f"| {name} | {run['files']} | {run['jobs']} | {run['seconds']:.1f} | "
                  f"{run['rate']:.1f} | {one['seconds'] / run['seconds']:.2f}× | "
                  f"{run['peak_main_mib']:.0f} | {run['peak_worker_mib']:.0f} | "
                  f"{' · '.join(f'{m:.0f}' for m in run['main_quarters_mib'])} |")
    print()
    summary = out["runs"][1]["summary"]
    print(f"stored {summary.stored}, failed {summary.failed} {dict(summary.failures)}, "
          f"duplicates {summary.duplicates}")
    for key in ("good_files", "good_stored", "missing_error_rows", "extra_error_rows",
                "wrong_kind", "unexpected_failures", "kill_code", "kept_after_kill",
                "redone_after_kill", "kill_resume_equal"):
        if key in out:
            print(f"{key}: {out[key]}")


if __name__ == "__main__":
    main()
