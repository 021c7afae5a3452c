"""batch: many report files into a store, in parallel, surviving bad files, crashes and kills.

The main process walks the inputs, hashes each file, skips what the store already has (same
sha256 and extractor version, or the same file failing before), and hands the rest to workers;
it alone writes the store, each report whole in one transaction (reports that finish together
share one). Workers run `extract_file`: load, extract, infer the body, audit, and build the
store rows, so the CPU work is theirs.

Files go to the workers largest first: a scanned report (megabytes of page images, seconds of
OCR per page) then starts at once instead of holding up the end of the run while the other
workers sit idle, and the small text-layer files fill the workers around it.

The per-file work is batch_task.py, the executors (a local process pool, a Dask cluster)
executors.py; this module decides what to run and writes what comes back.

A killed run restarted with the same arguments redoes only the files whose transaction had not
committed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .batch_task import Failed, Job, Options, Outcome, Stored, Task, extract_file, sha256_file
from .bodies import ManifestEntry, read_manifest
from .executors import DaskExecutor, Executor, LocalExecutor, SchedulerError
from .extras import require
from .inputs import walk
from .store import Store
from .version import __version__

# Finished reports share a transaction: up to WRITE_GROUP of them, none waiting longer than
# WRITE_DELAY seconds. One transaction per report cost the writing process ~7 ms of CPU each, a
# third of a worker's time per report, which two workers on two cores could not spare.
WRITE_GROUP = 32
WRITE_DELAY = 0.25
DEFAULT_TIMEOUT = 120.0


@dataclass
class Summary:
    found: int = 0
    stored: int = 0
    skipped: int = 0  # already in the store
    duplicates: int = 0  # same content as another file of this run
    failures: Counter = field(default_factory=Counter)  # error kind → files
    failed_files: list[Failed] = field(default_factory=list)  # this run's, kind and message
    failed_before: list[Failed] = field(default_factory=list)  # not retried (--retry-errors)
    # Copies of one report (one body, one year, other content) whose numbers differ.
    conflicts: list[str] = field(default_factory=list)
    manifest_unused: int = 0  # manifest rows naming no file of this run (a typo in a path?)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def processed(self) -> int:
        return self.stored + self.failed



def largest_first(files: list[Path]) -> list[Path]:
    """The files in order of decreasing size (a stable sort: equal sizes keep their order)."""

    def size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:  # reported as unreadable when its turn comes
            return 0

    return sorted(files, key=size, reverse=True)



class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, failed: bool = False) -> None: ...
    def stop(self) -> None: ...


def run_batch(
    paths: Iterable[Path],
    store_path: Path,
    *,
    jobs: int = 1,
    manifest: Path | None = None,
    options: Options | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    executor: str = "local",
    scheduler: str | None = None,
    retry_errors: bool = False,
    progress: Progress | None = None,
    task: Task = extract_file,
) -> Summary:
    """Extract every report file under `paths` into the store at `store_path`.

    `progress` is told the number of files, then of each file done; `task` is the per-file
    function the workers run (`extract_file`)."""
    start = time.perf_counter()
    options = options or Options()
    # Everything the user gave that can be wrong is checked before the store is touched.
    if executor == "dask" and not scheduler:
        raise SchedulerError("--executor dask needs --scheduler tcp://HOST:PORT")
    require("bulk", f"batch --executor {executor}",
            "distributed" if executor == "dask" else "pebble")
    files = largest_first(walk(paths))
    entries = read_manifest(manifest) if manifest else {}
    summary = Summary(found=len(files))
    summary.manifest_unused = len(entries.keys() - {str(p.resolve()) for p in files})
    with Store(store_path) as store:
        stored = store.stored_shas(__version__, options.knowledge.fingerprint)
        failed_before = {} if retry_errors else store.failed_files(__version__)
        if executor == "dask":
            pool: Executor = DaskExecutor(scheduler, task, options, timeout)
        else:
            pool = LocalExecutor(max(1, jobs), task, options, timeout)
        if progress is not None:
            progress.start(len(files))
        try:
            _drive(iter(files), pool, store, stored, failed_before, entries, summary, progress)
        finally:
            pool.close()
            if progress is not None:
                progress.stop()
        summary.conflicts = conflicting_copies(store)
    summary.seconds = time.perf_counter() - start
    return summary


def _drive(files: Iterator[Path], pool: Executor, store: Store, stored: set[str],
           failed_before: dict[tuple[str, str | None], tuple[str, str]], entries: dict[str, ManifestEntry], summary: Summary,
           shown: Progress | None) -> None:
    """Feed the pool and write the outcomes as they arrive."""
    in_flight: set[str] = set()
    waiting: dict[str, list[Job]] = {}  # same content as a file in flight: decided by its outcome

    def advance(failed: bool = False) -> None:
        if shown is not None:
            shown.advance(failed)

    finished: list[Stored] = []  # taken in, not yet written (nor shown as done)
    first_finished = 0.0

    def write() -> None:
        store.add_reports([(outcome.rows, outcome.path) for outcome in finished])
        for _ in finished:
            advance()
        finished.clear()

    def record(outcome: Outcome) -> None:
        nonlocal first_finished
        if isinstance(outcome, Stored):
            stored.add(outcome.rows.sha256)
            summary.stored += 1
            if not finished:
                first_finished = time.perf_counter()
            finished.append(outcome)
            if len(finished) >= WRITE_GROUP:
                write()
            return
        store.add_error(outcome.path, outcome.sha256, __version__, outcome.kind,
                        outcome.message, outcome.seconds)
        summary.failures[outcome.kind] += 1
        summary.failed_files.append(outcome)
        advance(failed=True)

    def dispatch(job: Job) -> None:
        if job.sha256 in in_flight:
            waiting.setdefault(job.sha256, []).append(job)
            return
        in_flight.add(job.sha256)
        pool.submit(job)

    def fill() -> None:
        while pool.pending < pool.slots:
            path = next(files, None)
            if path is None:
                return
            name = str(path)
            try:
                sha = sha256_file(path)
            except OSError as exc:
                record(Failed(name, None, "not_found", f"{name}: cannot be read ({exc.strerror})"))
                continue
            if sha in stored:
                summary.skipped += 1
                advance()
                continue
            if (name, sha) in failed_before:  # a failure, not "already in the store"
                summary.failed_before.append(Failed(name, sha, *failed_before[name, sha]))
                advance(failed=True)
                continue
            dispatch(Job(name, sha, entries.get(str(path.resolve()))))

    fill()
    try:
        while pool.pending:
            patience = None
            if finished:
                patience = first_finished + WRITE_DELAY - time.perf_counter()
                if patience <= 0:
                    write()
                    patience = None
            for outcome in pool.completed(patience):
                sha = outcome.rows.sha256 if isinstance(outcome, Stored) else outcome.sha256
                in_flight.discard(sha)
                record(outcome)
                for job in waiting.pop(sha, []):
                    if isinstance(outcome, Stored):
                        summary.duplicates += 1
                        advance()
                    else:  # each file gets its own error row (or, unlike this one, succeeds)
                        dispatch(job)
            fill()
    finally:  # stopped by an error or Ctrl-C: what is finished is still kept
        write()



def conflicting_copies(store: Store) -> list[str]:
    """Reports of one body and year stored from files of other content (a PDF and its HTML
    page, a corrected edition) whose printed numbers differ: each a line naming the files and
    the first differing cells. Which copy is right is the reader's call, not a silent pick."""
    frame = store.frame(
        'SELECT r.body, r.year, r.path, v.key, v.value_exact FROM reports r JOIN "values" v '
        "USING (sha256, extractor_version) WHERE r.extractor_version = ? AND NOT v.derived "
        "AND (r.body, r.year) IN (SELECT (body, year) FROM reports WHERE extractor_version = ? "
        "GROUP BY body, year HAVING count(*) > 1) ORDER BY r.body, r.year, r.path, v.key",
        [__version__, __version__])
    lines = []
    for (body, year), group in frame.groupby(["body", "year"], sort=True):
        cells = {path: dict(zip(rows["key"], rows["value_exact"]))
                 for path, rows in group.groupby("path", sort=True)}
        paths = list(cells)
        first = cells[paths[0]]
        for other in paths[1:]:
            differ = sorted(k for k in first.keys() | cells[other].keys()
                            if first.get(k) != cells[other].get(k))
            if differ:
                shown = ", ".join(f"{k} {first.get(k)} vs {cells[other].get(k)}"
                                  for k in differ[:3])
                lines.append(f"{body} {year}: {paths[0]} and {other} differ in {len(differ)} "
                             f"cells ({shown}{', …' if len(differ) > 3 else ''})")
    return lines
