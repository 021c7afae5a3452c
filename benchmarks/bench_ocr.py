"""OCR accuracy against cost: scanned reports read under each engine and reading setting.

    python benchmarks/bench_ocr.py                        # the bundled scan, default settings
    python benchmarks/bench_ocr.py --generated 12         # + 12 scans from python -m docgen
    python benchmarks/bench_ocr.py --variants all         # every variant of VARIANTS
    python benchmarks/bench_ocr.py FILE.pdf --truth DIR   # your own scans and truth files

Each variant runs in a fresh process, so its peak memory is its own (started outside the tree:
PYTHONPATH=OTHER_TREE measures another version of nianbao, with its own defaults). The engine
is loaded once, then every file is extracted in turn. Reported per variant: numeric cells exact
against the truth files (and how many wrong cells are flagged, confidence < 0.9; a missing cell
counts as wrong, not flagged), CPU seconds per OCR'd page (user + system of the process; the
imports and the model loading are shown apart), peak resident memory, and, for the bundled
scan, how far its prose is from the text layer of the same report (`huaian_city_2024.pdf`):
character error rate over all lines outside tables. Prints a markdown table for
docs/PERFORMANCE.md. Measured, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "corpus"
SCAN = CORPUS / "huaian_city_2024_scanned.pdf"
TEXT_LAYER = CORPUS / "huaian_city_2024.pdf"

# name → (EngineSettings fields, ReadSettings fields); "default" is what the loader uses.
VARIANTS: dict[str, tuple[dict, dict]] = {
    "default": ({}, {}),
    "det 2368 (page as is)": ({"det_long_side": 2368}, {}),
    "det 1280": ({"det_long_side": 1280}, {}),
    "det 800": ({"det_long_side": 800}, {}),
    "det 736": ({"det_long_side": 736}, {}),
    "prose at full width": ({}, {"line_width": 1.0}),
    "prose at 0.7": ({}, {"line_width": 0.7}),
    "prose at 0.6": ({}, {"line_width": 0.6}),
    "prose at 0.5": ({}, {"line_width": 0.5}),
    "prose at 0.4": ({}, {"line_width": 0.4}),
    "2 threads": ({"threads": 2}, {}),
    "rec batches of 960 columns": ({"batch_columns": 960}, {}),
    "rec batches of 1920 columns": ({"batch_columns": 1920}, {}),
    "rec batches of 240 columns": ({"batch_columns": 240}, {}),
    "rec one crop per batch": ({"batch_columns": 1}, {}),
}

WORKER = r"""
import json, resource, sys, time
from decimal import Decimal
from pathlib import Path

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

engine_fields, read_fields, files, truth_dir = json.loads(sys.argv[1])
start = cpu()
from extractor import extract
try:
    from extractor.load import ocr, ocr_engine
    ocr.SETTINGS = ocr.ReadSettings(**read_fields)
    ocr_engine.use_engine(ocr_engine.RapidOcrEngine(ocr_engine.EngineSettings(**engine_fields)))
except ImportError:  # a tree before the engine protocol: its own defaults
    pass
loaded = cpu() - start

def canon(value):
    return None if value is None else Decimal(str(value)).normalize()

out = {"load_cpu": loaded, "files": []}
for name in files:
    start, wall = cpu(), time.perf_counter()
    report = extract(name)
    seconds, wall = cpu() - start, time.perf_counter() - wall
    truth = json.loads((Path(truth_dir[name]) / (Path(name).stem + ".json")).read_text())
    got = {v.key: v for v in report.values}
    wrong = [k for k, v in truth["values"].items()
             if (k in got and canon(got[k].value) != canon(v)) or (k not in got and v is not None)]
    flagged = [k for k in wrong if k in got and got[k].confidence < 0.9]
    out["files"].append({"file": name, "cpu": seconds, "wall": wall,
                         "pages": report.meta.page_count, "cells": len(truth["values"]),
                         "wrong": len(wrong), "flagged": len(flagged),
                         "claims": len(report.claims)})
out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def prose_cer(variant: tuple[dict, dict], work: Path) -> float | None:
    """Character error rate of the scan's lines outside tables against the text layer."""
    code = r"""
import json, sys
from rapidfuzz.distance import Levenshtein
from extractor.load import load
engine_fields, read_fields = json.loads(sys.argv[1])
try:
    from extractor.load import ocr, ocr_engine
    ocr.SETTINGS = ocr.ReadSettings(**read_fields)
    ocr_engine.use_engine(ocr_engine.RapidOcrEngine(ocr_engine.EngineSettings(**engine_fields)))
except ImportError:
    pass
def prose(path):
    return "".join(line.text for page in load(path).pages for line in page.lines).replace(" ", "")
truth, read = prose(sys.argv[2]), prose(sys.argv[3])
print(Levenshtein.distance(truth, read) / len(truth))
"""
    result = subprocess.run([sys.executable, "-c", code, json.dumps(variant), str(TEXT_LAYER),
                             str(SCAN)], capture_output=True, text=True, cwd=work)
    return float(result.stdout) if result.returncode == 0 else None


def run_variant(variant: tuple[dict, dict], files: list[Path], truth: dict[str, Path],
                work: Path) -> dict:
    payload = json.dumps([*variant, [str(f) for f in files], {str(f): str(truth[str(f)])
                                                              for f in files}])
    result = subprocess.run([sys.executable, "-c", WORKER, payload], capture_output=True,
                            text=True, cwd=work, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def generated_scans(count: int, seed: int, work: Path) -> tuple[list[Path], Path]:
    folder = work / f"scans-{seed}-{count}"
    if not (folder / "truth").is_dir():
        subprocess.run([sys.executable, "-m", "docgen", "--seed", str(seed),
                        "--count", str(count), "--layout", "scan", "--out", str(folder)],
                       check=True)
    return sorted(folder.glob("*.pdf")), folder / "truth"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--truth", type=Path, default=CORPUS / "truth")
    parser.add_argument("--generated", type=int, default=0, help="also N generated scans")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--work", type=Path, default=Path("/tmp/nianbao-bench-ocr"))
    parser.add_argument("--variants", default="default",
                        help="comma-separated names from VARIANTS, or 'all'")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)  # also the workers' directory, so that
    files = [f.resolve() for f in args.files] or [SCAN]  # PYTHONPATH can choose the tree
    truth = {str(f): args.truth for f in files}
    if args.generated:
        scans, scan_truth = generated_scans(args.generated, args.seed, args.work)
        files += scans
        truth.update({str(f): scan_truth for f in scans})
    names = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    print(f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python "
          f"{platform.python_version()}; {len(files)} files")
    print()
    print("| variant | pages | numeric cells exact | wrong (flagged) | CPU s/page | wall s/page | "
          "import + model load CPU s | peak RSS MiB | prose CER vs text layer |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        variant = VARIANTS[name]
        result = run_variant(variant, files, truth, args.work)
        rows = result["files"]
        pages = sum(r["pages"] for r in rows)
        cells = sum(r["cells"] for r in rows)
        wrong = sum(r["wrong"] for r in rows)
        flagged = sum(r["flagged"] for r in rows)
        cer = prose_cer(variant, args.work) if SCAN in files else None
        print(f"| {name} | {pages} | {cells - wrong}/{cells} | {wrong} ({flagged}) | "
              f"{sum(r['cpu'] for r in rows) / pages:.2f} | "
              f"{sum(r['wall'] for r in rows) / pages:.2f} | {result['load_cpu']:.1f} | "
              f"{result['peak_mib']:.0f} | {'—' if cer is None else f'{cer:.2%}'} |", flush=True)
        for r in rows:
            if r["wrong"]:
                print(f"    {Path(r['file']).name}: {r['wrong']} wrong ({r['flagged']} flagged)",
                      file=sys.stderr)


if __name__ == "__main__":
    main()
