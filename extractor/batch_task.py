"""The work batch does per file, in a worker process: load, extract, infer the body, audit,
and build the store rows (the CPU work is the workers'; the main process only writes). Never
raises: a failure is an outcome, so one bad file never stops a batch.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .audit import audit
from .bodies import ManifestEntry, apply_manifest, infer, opening_text
from .errors import NianbaoError
from .knowledge import Knowledge
from .limits import DEFAULT_LIMITS, Limits
from .load import load
from .pipeline import extract_document
from .store_rows import ReportRows, report_rows


@dataclass(frozen=True)
class Options:
    """What every worker needs besides the file: the knowledge (shipped to each worker, to
    each Dask worker too, as an object: no worker reads a pattern file), OCR and limits."""

    knowledge: Knowledge = field(default_factory=Knowledge.default)
    ocr: str = "auto"
    limits: Limits = DEFAULT_LIMITS


@dataclass(frozen=True)
class Job:
    path: str
    sha256: str
    manifest: ManifestEntry | None = None


@dataclass
class Stored:
    path: str
    rows: ReportRows


@dataclass
class Failed:
    path: str
    sha256: str | None
    kind: str
    message: str
    seconds: float = 0.0


Outcome = Stored | Failed
Task = Callable[[Job, Options], Outcome]


def extract_file(job: Job, options: Options) -> Outcome:
    """Everything for one file, in a worker. Never raises: a failure is an outcome."""
    start = time.perf_counter()
    try:
        document = load(job.path, ocr=options.ocr, limits=options.limits)
        if document.sha256 != job.sha256:
            return Failed(job.path, job.sha256, "changed", f"{job.path}: the file changed while "
                          "the batch ran", time.perf_counter() - start)
        knowledge = options.knowledge
        report = extract_document(document, knowledge=knowledge, limits=options.limits)
        # The store keeps the whole Body (kind, where each field came from), which Report.meta
        # does not carry; infer is pure, so this agrees with meta.body.
        body = infer(report, opening_text(document), knowledge.bodies)
        if job.manifest is not None:
            body = apply_manifest(body, job.manifest, knowledge.bodies)
        result = audit(report, knowledge=knowledge)
        return Stored(job.path, report_rows(report, body, result, time.perf_counter() - start))
    except NianbaoError as exc:
        return Failed(job.path, job.sha256, exc.kind, str(exc), time.perf_counter() - start)
    except Exception as exc:  # a bug in nianbao on this file must not stop the batch
        return Failed(job.path, job.sha256, "internal", f"{job.path}: {type(exc).__name__}: "
                      f"{exc}", time.perf_counter() - start)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

