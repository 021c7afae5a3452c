"""batch: many report files into a store, in parallel, surviving bad files, crashes and kills.

The main process walks the inputs, hashes each file, skips what the store already has (same
sha256 and extractor version, or the same file failing before), and hands the rest to workers;
it alone writes the store, each report whole in one transaction (reports that finish together
share one). Workers run `extract_file`: load, extract, infer the body, audit, and build the
store rows, so the CPU work is theirs.

Files go to the workers largest first: a scanned report (megabytes of page images, seconds of
OCR per page) then starts at once instead of holding up the end of the run while the other
workers sit idle, and the small text-layer files fill the workers around it.

Executors:
- `local`: a pebble `ProcessPool`. A file over the time limit has its worker killed and
  replaced (pebble does both), as has a worker that dies (a crash in a C library, the OOM
  killer); workers are also recycled every `MAX_TASKS` files so memory stays flat. Each worker
  loads the OCR models once, on its first scanned page, and keeps them for its later files;
  its OCR runs on one thread (the workers are the parallelism: two one-thread workers read
  more pages per CPU-second than one worker spreading each page over two threads).
- `dask`: a dask.distributed cluster runs the same `extract_file`. Dask retries a task whose
  worker dies and then fails it (`KilledWorker`); it has no task time limit, so the client
  restarts a worker whose file has been processing longer than the limit (workers need a
  nanny, the default of `dask worker`).

At most a few files per worker are in flight, so a 10,000-file run holds no more in memory
than a 10-file one. A killed run restarted with the same arguments redoes only the files whose
transaction had not committed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .version import __version__
from .audit import audit
from .bodies import ManifestEntry, apply_manifest, infer, opening_text, read_manifest
from .errors import NianbaoError
from .extras import require
from .inputs import walk
from .limits import DEFAULT_LIMITS, Limits
from .load import load
from .knowledge import Knowledge
from .load.ocr_engine import THREADS_VARIABLE
from .pipeline import extract_document
from .store import ReportRows, Store, report_rows

MAX_TASKS = 200  # files per local worker before it is replaced (bounds leaks in C libraries)
IN_FLIGHT_PER_WORKER = 4
# Finished reports share a transaction: up to WRITE_GROUP of them, none waiting longer than
# WRITE_DELAY seconds. One transaction per report cost the writing process ~7 ms of CPU each, a
# third of a worker's time per report, which two workers on two cores could not spare.
WRITE_GROUP = 32
WRITE_DELAY = 0.25
DEFAULT_TIMEOUT = 120.0


class SchedulerError(NianbaoError):
    kind = "scheduler"


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


@dataclass
class Summary:
    found: int = 0
    stored: int = 0
    skipped: int = 0  # already in the store
    duplicates: int = 0  # same content as another file of this run
    failures: Counter = field(default_factory=Counter)  # error kind → files
    manifest_unused: int = 0  # manifest rows naming no file of this run (a typo in a path?)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def processed(self) -> int:
        return self.stored + self.failed


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


class Executor(Protocol):
    slots: int  # files it takes in flight at once

    @property
    def pending(self) -> int: ...
    def submit(self, job: Job) -> None: ...
    def completed(self, timeout: float | None = None) -> list[Outcome]:
        """The outcomes that are in, waiting for one at most `timeout` s (None: until one is)."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """A pebble process pool: per-file time limit, dead workers replaced, workers recycled."""

    def __init__(self, jobs: int, task: Task, options: Options, timeout: float) -> None:
        from pebble import ProcessPool

        # forkserver: workers start from a clean process, not a fork of this one with DuckDB's
        # and rich's threads running.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["extractor.batch"])
        self.pool = ProcessPool(max_workers=jobs, max_tasks=MAX_TASKS, context=context,
                                initializer=_one_ocr_thread)
        self.task, self.options, self.timeout = task, options, timeout
        self.futures: dict = {}
        self.slots = jobs * IN_FLIGHT_PER_WORKER

    @property
    def pending(self) -> int:
        return len(self.futures)

    def submit(self, job: Job) -> None:
        future = self.pool.schedule(self.task, (job, self.options), timeout=self.timeout)
        self.futures[future] = (job, time.perf_counter())

    def completed(self, timeout: float | None = None) -> list[Outcome]:
        from pebble import ProcessExpired

        done, _ = wait(list(self.futures), timeout=timeout, return_when=FIRST_COMPLETED)
        outcomes = []
        for future in done:
            job, start = self.futures.pop(future)
            seconds = time.perf_counter() - start
            try:
                outcomes.append(future.result())
            except FutureTimeout:
                outcomes.append(_timed_out(job, self.timeout, seconds))
            except ProcessExpired as exc:
                outcomes.append(_crashed(job, f"exit code {exc.exitcode}", seconds))
        return outcomes

    def close(self) -> None:
        self.pool.stop()
        self.pool.join()


class DaskExecutor:
    """The same task on a dask.distributed cluster."""

    POLL = 1.0  # seconds between checks of the time limit

    def __init__(self, scheduler: str, task: Task, options: Options, timeout: float) -> None:
        from distributed import Client

        try:
            self.client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(f"{scheduler}: cannot reach the Dask scheduler ({exc})") from None
        self.task, self.options, self.timeout = task, options, timeout
        self.futures: dict = {}  # key → (future, job, submitted)
        self.seen_processing: dict[str, float] = {}
        workers = self.client.scheduler_info()["workers"].values()
        self.slots = max(1, sum(w.get("nthreads", 1) for w in workers)) * IN_FLIGHT_PER_WORKER

    @property
    def pending(self) -> int:
        return len(self.futures)

    def submit(self, job: Job) -> None:
        future = self.client.submit(self.task, job, self.options, pure=False)
        self.futures[future.key] = (future, job, time.perf_counter())

    def completed(self, timeout: float | None = None) -> list[Outcome]:
        from distributed import wait as dask_wait

        until = None if timeout is None else time.perf_counter() + timeout
        while True:
            futures = [f for f, _, _ in self.futures.values()]
            poll = self.POLL if until is None else max(0.0, min(self.POLL, until - time.perf_counter()))
            try:
                dask_wait(futures, timeout=poll, return_when="FIRST_COMPLETED")
            except TimeoutError:
                pass
            outcomes = [self._outcome(key) for key, (f, _, _) in list(self.futures.items())
                        if f.done()]
            outcomes += self._enforce_time_limit()
            if outcomes or (until is not None and time.perf_counter() >= until):
                return outcomes

    def _outcome(self, key: str) -> Outcome:
        future, job, submitted = self.futures.pop(key)
        self.seen_processing.pop(key, None)
        if future.status == "finished":
            return future.result()
        return _crashed(job, f"{type(future.exception()).__name__}: {future.exception()}",
                        time.perf_counter() - submitted)

    def _enforce_time_limit(self) -> list[Outcome]:
        """Files processing on a worker for longer than the limit: the worker is restarted
        (dask has no task time limit) and the file recorded as timed out."""
        now = time.perf_counter()
        over: dict[str, list[str]] = {}
        for worker, keys in self.client.processing().items():
            for key in keys:
                if key in self.futures:
                    started = self.seen_processing.setdefault(key, now)
                    if now - started > self.timeout:
                        over.setdefault(worker, []).append(key)
        outcomes = []
        for worker, keys in over.items():
            for key in keys:
                future, job, _ = self.futures.pop(key)
                future.cancel()
                outcomes.append(_timed_out(job, self.timeout, now - self.seen_processing.pop(key)))
            self.client.restart_workers([worker], raise_for_error=False)
        return outcomes

    def close(self) -> None:
        self.client.close()


def _one_ocr_thread() -> None:
    """A local worker's OCR engine runs on one thread (unless the user chose otherwise)."""
    os.environ.setdefault(THREADS_VARIABLE, "1")


def largest_first(files: list[Path]) -> list[Path]:
    """The files in order of decreasing size (a stable sort: equal sizes keep their order)."""

    def size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:  # reported as unreadable when its turn comes
            return 0

    return sorted(files, key=size, reverse=True)


def _timed_out(job: Job, limit: float, seconds: float) -> Failed:
    return Failed(job.path, job.sha256, "timeout",
                  f"{job.path}: extraction took longer than the {limit:g} s time limit", seconds)


def _crashed(job: Job, why: str, seconds: float) -> Failed:
    return Failed(job.path, job.sha256, "crashed",
                  f"{job.path}: the worker died while extracting this file ({why})", seconds)


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
        failed_before = set() if retry_errors else store.failed_files(__version__)
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
    summary.seconds = time.perf_counter() - start
    return summary


def _drive(files: Iterator[Path], pool: Executor, store: Store, stored: set[str],
           failed_before: set, entries: dict[str, ManifestEntry], summary: Summary,
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
            if sha in stored or (name, sha) in failed_before:
                summary.skipped += 1
                advance()
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
