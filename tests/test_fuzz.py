"""Seeded mutants of the corpus through extract and audit, in-process: the contract holds.

Every mutant either gives a Report (which audits and serializes) or a `NianbaoError` with a
one-line message; never another exception, never a hang. The mutants are made here from the
bundled corpus (byte flips, truncation, repeated and deleted stretches, and edits that know
the format: digits, tabs and headings in text, spans and nesting in HTML and DOCX, page
trees in PDF), so nothing hostile is checked in. A quick sample runs by default; the broad
campaign is marked `slow` (`pytest -m slow`).

The per-file budget catches a mutant that makes work grow without bound (a quadratic loop, an
exponential search); it is a hundred times what any mutant needs, not a speed test.
"""

from __future__ import annotations

import io
import random
import re
import signal
import zipfile
from pathlib import Path

import pytest

from extractor.audit import audit
from extractor.errors import NianbaoError
from extractor.pipeline import extract

from .hostile_inputs import CORPUS

GENERATED = CORPUS.parent / "generated"
SOURCES = sorted(p for folder in (CORPUS, GENERATED) for p in folder.iterdir()
                 if p.is_file() and p.name != "huaian_city_2024_scanned.pdf")
BUDGET_SECONDS = 30
QUICK, BROAD = 100, 600


# ------------------------------------------------------------------ mutations

def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def repeat_stretch(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    stretch = data[start: start + rng.randint(1, 400)]
    return data[:start] + stretch * rng.randint(2, 300) + data[start:]


def delete_stretch(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 2000):]


def text_edit(data: bytes, rng: random.Random) -> bytes:
    """Digits longer, tabs and headings multiplied, invalid bytes inserted."""
    edits = [
        lambda d: re.sub(rb"\d+", lambda m: m.group() * rng.randint(2, 40), d,
                         count=rng.randint(1, 20)),
        lambda d: d.replace(b"\t", b"\t" * rng.randint(2, 50), rng.randint(1, 30)),
        lambda d: d.replace(b"\n", "\n二、主动公开政府信息情况\n".encode() * rng.randint(1, 50), 3),
        lambda d: d[: (at := rng.randrange(len(d)))] + bytes([rng.choice([0xFF, 0xC3, 0x00])])
        + d[at:],
        lambda d: d.replace(b"\r\n", b"\n").replace(b"\n", b"\x0c", rng.randint(1, 40)),
    ]
    return rng.choice(edits)(data)


def markup_edit(data: bytes, rng: random.Random) -> bytes:
    """Absurd spans, unclosed and deeply nested tables (HTML, or a DOCX's document.xml)."""
    big = str(rng.choice([0, -3, 10**9, 65535, "x", "2.5", " 7 ", ""])).encode()
    edits = [
        lambda d: re.sub(rb'(?i)(rowspan|colspan|w:val)="[^"]*"', rb'\1="' + big + b'"', d,
                         count=rng.randint(1, 8)),
        lambda d: d.replace(b"</table>", b"", rng.randint(1, 3)),
        lambda d: d.replace(b"<td", b"<td><table><tr><td" * rng.randint(1, 30), 1),
        lambda d: d.replace(b"</w:tc>", b"", rng.randint(1, 3)),
        lambda d: d.replace(b"<w:tr>", b"<w:tr><w:trPr><w:gridBefore w:val=\"" + big
                            + b"\"/></w:trPr>", 2),
    ]
    return rng.choice(edits)(data)


def pdf_edit(data: bytes, rng: random.Random) -> bytes:
    """Page trees and streams that lie."""
    count = str(rng.choice([0, -1, 2_000_000_000, 99999, 3])).encode()
    edits = [
        lambda d: re.sub(rb"/Count\s+\d+", b"/Count " + count, d, count=1),
        lambda d: re.sub(rb"/Length\s+\d+", b"/Length " + count, d, count=rng.randint(1, 5)),
        lambda d: re.sub(rb"startxref\s+\d+", b"startxref\n" + count, d),
        lambda d: d.replace(b"/Kids", b"/Kidz", 1),
    ]
    return rng.choice(edits)(data)


def in_docx(mutate):
    """Apply a byte mutation to word/document.xml inside the archive, not to the zip."""
    def apply(data: bytes, rng: random.Random) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                member = src.read(info)
                if info.filename == "word/document.xml":
                    member = mutate(member, rng)
                dst.writestr(info, member)
        return out.getvalue()
    apply.__name__ = f"docx_{mutate.__name__}"
    return apply


GENERIC = [flip_bytes, truncate, repeat_stretch, delete_stretch]
BY_KIND = {
    ".txt": [text_edit], ".md": [text_edit], ".html": [text_edit, markup_edit],
    ".pdf": [pdf_edit], ".docx": [in_docx(markup_edit), in_docx(flip_bytes),
                                  in_docx(repeat_stretch)],
}


def mutants(count: int, seed: int):
    rng = random.Random(seed)
    for number in range(count):
        source = SOURCES[number % len(SOURCES)]
        mutate = rng.choice(GENERIC + BY_KIND.get(source.suffix, []) * 2)
        yield f"{number:03d}_{mutate.__name__}_{source.name}", mutate(source.read_bytes(), rng)


# ------------------------------------------------------------------ the contract

class OverBudget(Exception):
    pass


def _alarm(signum, frame):
    raise OverBudget


def holds_contract(path: Path) -> str:
    """'report' or 'error'; raises AssertionError (or OverBudget) when the contract breaks."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(BUDGET_SECONDS)
    try:
        report = extract(path, ocr="never")
        audit(report)
        report.to_json()
        return "report"
    except NianbaoError as exc:
        message = str(exc)
        assert message and "\n" not in message, f"not one line: {message!r}"
        assert "internal error" not in message
        return "error"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_campaign(tmp_path: Path, count: int, seed: int) -> dict[str, int]:
    outcomes: dict[str, int] = {"report": 0, "error": 0}
    broken = []
    for name, data in mutants(count, seed):
        path = tmp_path / name
        path.write_bytes(data)
        try:
            outcomes[holds_contract(path)] += 1
        except OverBudget:
            broken.append(f"{name}: over {BUDGET_SECONDS} s")
        except Exception as exc:  # noqa: BLE001 - the finding this test exists for
            broken.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
        path.unlink()
    assert not broken, "\n".join(broken)
    return outcomes


def test_mutants_keep_the_contract_quick(tmp_path):
    outcomes = run_campaign(tmp_path, QUICK, seed=15)
    # Mutants of real reports are mostly still read: one bad byte is not a bad file.
    assert outcomes["report"] > outcomes["error"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mutants_keep_the_contract_broad(tmp_path, seed):
    outcomes = run_campaign(tmp_path, BROAD // 3, seed=seed)
    assert outcomes["report"] and outcomes["error"]
