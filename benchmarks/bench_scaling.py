"""Time and memory against input size for the large hostile inputs of issue 15: linear?

    python benchmarks/bench_scaling.py                  # each input at 1/8, 1/4, 1/2, 1 × its size
    python benchmarks/bench_scaling.py --steps 6 --repeat 3
    python benchmarks/bench_scaling.py --hostile /work/shared/hostile   # also those files

Inputs (tests/hostile_inputs.py): the Shanghai dump followed by 20,000 tab-separated rows of
eight integers, the same dump followed by 40,000 repeated section headings, the 沭阳 page with
a table of 20,000 × 7 cells; then the refusals: 1 GB zip bombs in a 1 MB DOCX (document.xml,
core.xml, styles.xml) and YAML alias bombs in --patterns (a small one, and 10 MB).

Each measurement is one `nianbao extract` in a fresh process: seconds of the command after
its imports (median of --repeat runs) and the process's peak resident memory. The slope is
the least-squares exponent of (time − time of the original document) against size: 1 is
linear, 2 quadratic. Measured, never asserted; prints a markdown table for docs/limits.md.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile_inputs as H  # noqa: E402 - the recipes live with the tests

# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking process.
CHILD = """
import json, sys, time
from extractor.cli import app
start = time.perf_counter()
code = 0
try:
    app(sys.argv[1:], prog_name="nianbao")
except SystemExit as exc:
    code = exc.code or 0
seconds = time.perf_counter() - start
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "code": code, "peak_mb": int(peak) / 1024}),
      file=sys.stderr)
"""


def measure(args: list, repeat: int) -> dict:
    """Median seconds, peak MB, exit code and the first error line of `nianbao ARGS`."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)],
                              capture_output=True, text=True, check=False)
        *lines, last = done.stderr.strip().splitlines()
        runs.append({**json.loads(last), "error": lines[0] if lines else ""})
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {**middle, "peak_mb": max(r["peak_mb"] for r in runs)}


def slope(sizes: list[int], seconds: list[float], base: float) -> float:
    points = [(math.log(n), math.log(t - base)) for n, t in zip(sizes, seconds) if t > base]
    if len(points) < 2:
        return float("nan")
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    return (sum((x - mx) * (y - my) for x, y in points)
            / sum((x - mx) ** 2 for x, _ in points))


def scaling(work: Path, steps: int, repeat: int) -> None:
    print("| input | size | bytes | seconds | over the original | peak MB | exit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    slopes = {}
    for name, (recipe, full, suffix) in H.LARGE.items():
        original = H.HTML if suffix == ".html" else H.SEED
        base = measure(["extract", original, "-f", "json"], repeat)["seconds"]
        sizes = [full >> (steps - 1 - i) for i in range(steps)]
        times = []
        for size in sizes:
            path = work / f"{name}_{size}{suffix}"
            path.write_bytes(recipe(size))
            result = measure(["extract", path, "-f", "json"], repeat)
            times.append(result["seconds"])
            print(f"| {name} | {size:,} | {path.stat().st_size:,} | {result['seconds']:.2f} | "
                  f"{result['seconds'] - base:.2f} | {result['peak_mb']:.0f} | {result['code']} |")
            path.unlink()
        slopes[name] = slope(sizes, times, base)
    print()
    print("time against size, exponent (1 linear, 2 quadratic): "
          + ", ".join(f"{name} {value:.2f}" for name, value in slopes.items()))


def refusals(work: Path, repeat: int, hostile: Path | None) -> None:
    cases: list[tuple[str, list]] = []
    for member in ("word/document.xml", "docProps/core.xml", "word/styles.xml"):
        path = work / f"bomb_{Path(member).stem}.docx"
        path.write_bytes(H.zip_bomb(member, 1 << 30, level=9))
        cases.append((f"1 GB zip bomb in {member} ({path.stat().st_size:,} bytes)",
                       ["extract", path]))
    for label, pad in (("small", 0), ("10 MB", 10 << 20)):
        patterns = H.yaml_alias_bomb(work / f"yaml_{pad}", pad)
        cases.append((f"YAML alias bomb, {label}", ["extract", "--patterns", patterns,
                                                    H.PINGTAN]))
    for path in sorted(hostile.iterdir()) if hostile else []:
        if path.is_dir():
            cases.append((f"{path.name}/ (audit --patterns)",
                          ["audit", "--patterns", path, H.PINGTAN]))
        elif path.suffix != ".md":
            cases.append((path.name, ["extract", path, "-f", "json"]))
    print()
    print("| input | seconds | peak MB | exit | message |")
    print("|---|---:|---:|---:|---|")
    for label, args in cases:
        result = measure(args, repeat)
        message = result["error"].replace("|", "\\|")[:110]
        print(f"| {label} | {result['seconds']:.2f} | {result['peak_mb']:.0f} | "
              f"{result['code']} | {message} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="sizes: full / 2^k, k < steps")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--hostile", type=Path, help="a directory of hostile files to time too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scaling(Path(tmp), args.steps, args.repeat)
        refusals(Path(tmp), args.repeat, args.hostile)


if __name__ == "__main__":
    main()
