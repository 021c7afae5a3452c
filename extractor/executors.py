"""Executors: where batch's workers run `extract_file` (batch_task.py), behind one protocol.

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
than a 10-file one.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol

from .batch_task import Failed, Job, Options, Outcome, Task
from .errors import NianbaoError
from .load.ocr_engine import THREADS_VARIABLE

MAX_TASKS = 200  # files per local worker before it is replaced (bounds leaks in C libraries)
IN_FLIGHT_PER_WORKER = 4


class SchedulerError(NianbaoError):
    kind = "scheduler"


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
        context.set_forkserver_preload(["extractor.batch_task"])
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


def _timed_out(job: Job, limit: float, seconds: float) -> Failed:
    return Failed(job.path, job.sha256, "timeout",
                  f"{job.path}: extraction took longer than the {limit:g} s time limit", seconds)


def _crashed(job: Job, why: str, seconds: float) -> Failed:
    return Failed(job.path, job.sha256, "crashed",
                  f"{job.path}: the worker died while extracting this file ({why})", seconds)

