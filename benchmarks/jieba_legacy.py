"""Does a tokenizer (jieba, with a user dictionary of the domain's terms) help read legacy prose?

    pip install jieba   # not a dependency of nianbao: this script is the measurement why
    python benchmarks/jieba_legacy.py

The legacy prose reader (extractor/legacy/prose.py) matches the words before and after a figure
with the patterns of patterns/legacy.yaml over characters. The tokenizer variant is the same
reader with one change: a phrase may only match from a jieba word boundary, so a term cannot be
read inside a longer word (the usual argument for a tokenizer: 受理 inside 受理审批事项). The
dictionary holds every row label of the 统计表 and the terms of LEGACY.md §4.6 (受理审批事项,
行政处罚, 减免税 …), so jieba keeps them whole.

Printed: for the six corpus legacy reports and the keyword-trap sentences of the tests, the
figures each variant reads, how many agree with the truth files, where they differ, and the time
jieba costs (import and dictionary, then per report) against the whole legacy extraction.
Timings are measured, never asserted.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

from extractor import extract
from extractor.knowledge import Knowledge
from extractor.legacy.prose import read_prose
from extractor.legacy.text import flatten
from extractor.load import load

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "fixtures" / "corpus" / "legacy"
TRAP_TERMS = ["受理审批事项", "审批事项", "行政处罚", "减免税", "税费减免", "咨询投诉", "行政许可"]


class _AtWordStart:
    """A `before` pattern that may only match from a jieba word boundary of the prefix."""

    def __init__(self, pattern, cut) -> None:
        self.pattern, self.cut = pattern, cut

    def search(self, prefix: str):
        found = self.pattern.search(prefix)
        if found is None:
            return None
        starts, at = {0}, 0
        for word in self.cut(prefix):
            at += len(word)
            starts.add(at)
        return found if found.start() in starts else None


def figures(path: Path, kn) -> list[tuple[str, int]]:
    return [(f.key, f.value) for f in read_prose(flatten(load(path)), kn) if f.role == "count"]


def agreeing(found: list[tuple[str, int]], truth: dict) -> int:
    """Figures equal to the truth value of their key, or quoted as the prose figure of a
    published inconsistency."""
    expected = {k.removeprefix("legacy."): v for k, v in truth["values"].items()}
    details = [(set(i["cells"]), i["detail"]) for i in truth["published_inconsistencies"]]
    return sum(1 for key, value in found if expected.get(key) == value or any(
        "legacy." + key in cells and str(value) in detail for cells, detail in details))


def main() -> None:
    sys.path.insert(0, str(ROOT))  # the trap sentences of the tests
    from tests.test_legacy_prose import TRAPS

    start = time.perf_counter()
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    kn = Knowledge.default().legacy
    for labels in kn.spec.table.rows.values():
        for label in labels:
            jieba.add_word(label)
    for term in TRAP_TERMS:
        jieba.add_word(term)
    setup = time.perf_counter() - start
    tokenized = dataclasses.replace(kn, figures=tuple(
        dataclasses.replace(f, phrasings=tuple(
            dataclasses.replace(p, before=_AtWordStart(p.before, jieba.lcut) if p.before else None)
            for p in f.phrasings))
        for f in kn.figures))

    print(f"jieba import + dictionary + {sum(map(len, kn.spec.table.rows.values()))} row labels "
          f"and {len(TRAP_TERMS)} trap terms: {setup * 1000:.0f} ms (once per process)\n")
    print("| report | figures read (characters) | right | figures read (jieba) | right | "
          "extract (ms) | jieba cut (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    lost = []
    ratios = []
    for path in sorted(LEGACY.glob("*.txt")):
        truth = json.loads((LEGACY / "truth" / f"{path.stem}.json").read_text(encoding="utf-8"))
        plain, cut = figures(path, kn), figures(path, tokenized)
        lost += [f"{path.stem}: {k} {v}" for k, v in plain if (k, v) not in cut]
        lost += [f"{path.stem}: jieba reads {k} {v}" for k, v in cut if (k, v) not in plain]
        text = flatten(load(path)).text
        t0 = time.perf_counter()
        extract(path)
        t_extract = time.perf_counter() - t0
        t0 = time.perf_counter()
        jieba.lcut(text)
        t_cut = time.perf_counter() - t0
        ratios.append(t_cut / t_extract)
        print(f"| {path.name} | {len(plain)} | {agreeing(plain, truth)} | {len(cut)} | "
              f"{agreeing(cut, truth)} | {t_extract * 1000:.1f} | {t_cut * 1000:.1f} |")
    print("\nread differently with jieba:\n" + "\n".join(f"- {x}" for x in lost))
    print(f"\njieba's cut of a whole report / its whole legacy extraction: median "
          f"{statistics.median(ratios):.2f}×")
    traps_plain = traps_cut = 0
    for sentence in TRAPS:
        scratch = ROOT / ".jieba_trap.txt"
        scratch.write_text(sentence, encoding="utf-8")
        try:
            traps_plain += len(figures(scratch, kn))
            traps_cut += len(figures(scratch, tokenized))
        finally:
            scratch.unlink()
    print(f"keyword-trap sentences ({len(TRAPS)}): figures read — characters {traps_plain}, "
          f"jieba {traps_cut}")


if __name__ == "__main__":
    main()
