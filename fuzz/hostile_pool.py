"""Worker processes that run a job on numbered units, with two time limits.

- Inside each worker, `guarded` runs a call under `signal.setitimer`: past the
  limit, `TimeLimit` is raised where the code is, so a slow run is reported
  with the traceback of where it was stuck (a hang in our code, not a guess).
- Outside, a watchdog in the parent kills a worker whose unit has taken
  longer than the hard limit (a hang the alarm cannot interrupt, in C code),
  or that died (a crash of the interpreter, the memory limit), reports that
  unit, and starts a new worker for the rest.

Workers are forked: they inherit the parent's state (the lint context, the
plans of the sites) instead of receiving it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import resource
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

PACKAGE = "postmortem_kit"
MEMORY_LIMIT = 6 * 1024**3  # per worker: a memory bomb becomes a MemoryError, not a dead machine


class TimeLimit(BaseException):
    """Raised by the alarm; a BaseException so that `except Exception` lets it through."""


class Failure(NamedTuple):
    stage: str  # lint | site | mkdocs
    kind: str  # traceback | timeout | died
    unit: int  # the file's index, or the site's number
    where: str  # the innermost frame of our package: `read.py:312 _scalar`
    error: str  # the exception's type, then its message: `OSError: [Errno 36] ...`
    report: str  # the whole traceback or output
    seconds: float

    @property
    def signature(self) -> str:
        """What makes two failures the same bug."""
        return f"{self.stage} {self.kind} {self.error.split(':')[0]} at {self.where}"


class Result(NamedTuple):
    unit: int
    seconds: float
    accepted: bool | None  # lint: no error findings; None where it does not apply
    failures: tuple[Failure, ...] = ()


def innermost_frame(tb: traceback.StackSummary | list[traceback.FrameSummary]) -> str:
    """`file.py:line function` of the last frame in our package, else the last frame."""
    frames = [f for f in tb if f.filename != __file__]  # not the alarm's handler
    ours = [f for f in frames if f"/{PACKAGE}/" in f.filename.replace(os.sep, "/")]
    frame = (ours or frames or [None])[-1]
    if frame is None:
        return "?"
    return f"{os.path.basename(frame.filename)}:{frame.lineno} {frame.name}"


class Guarded(NamedTuple):
    value: Any  # what the call returned; None when it failed
    failure: Failure | None
    seconds: float


def guarded(stage: str, unit: int, limit: float, call: Callable[[], Any]) -> Guarded:
    """Run `call` with a time limit; an exception or the limit becomes a Failure."""
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _raise_time_limit)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        value = call()
        return Guarded(value, None, time.perf_counter() - start)
    except TimeLimit as e:
        kind, error = "timeout", f"over {limit:g} s"
        exception: BaseException = e
    except Exception as e:  # noqa: BLE001 - any exception escaping is the bug we look for
        message = str(e).split("\n")[0][:160]
        kind, error = "traceback", f"{type(e).__name__}: {message}" if message else type(e).__name__
        exception = e
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - start
    where = innermost_frame(traceback.extract_tb(exception.__traceback__))
    report = "".join(traceback.format_exception(exception))
    return Guarded(None, Failure(stage, kind, unit, where, error, report, seconds), seconds)


def _raise_time_limit(signum: int, frame: Any) -> None:
    raise TimeLimit


# --- the pool ---


Job = Callable[[int], Result]


class _Worker(NamedTuple):
    process: mp.process.BaseProcess
    tasks: Any  # its own queue, so the parent knows which batches it holds
    batches: deque[list[int]]  # sent and not yet answered, oldest first


def run_pool(
    job: Job,
    units: Sequence[int],
    *,
    stage: str,
    workers: int,
    hard_limit: float,
    batch: int = 100,
) -> Iterator[Result]:
    """Yield `job(unit)` for every unit, in any order, from forked workers."""
    pool = _Pool(job, stage, workers, hard_limit)
    pool.todo.extend(list(units[i : i + batch]) for i in range(0, len(units), batch))
    try:
        yield from pool.results()
    finally:
        pool.stop()


class _Pool:
    """Batches out to workers, results back, and a watchdog over both."""

    def __init__(self, job: Job, stage: str, workers: int, hard_limit: float) -> None:
        self.job, self.stage, self.hard_limit = job, stage, hard_limit
        self.context = mp.get_context("fork")
        self.answers = self.context.Queue()
        # per worker: the unit it is on and since when (0: between units)
        self.busy = self.context.Array("d", 2 * workers, lock=False)
        self.todo: deque[list[int]] = deque()
        self.workers = [self._start(w) for w in range(workers)]

    def results(self) -> Iterator[Result]:
        last_watch = time.monotonic()
        while self.todo or any(worker.batches for worker in self.workers):
            self._feed()
            try:
                w, answered = self.answers.get(timeout=0.5)
            except queue.Empty:
                w, answered = -1, []
            if time.monotonic() - last_watch > 1:
                last_watch = time.monotonic()
                yield from self._watch()
            if isinstance(answered, str):  # the harness itself failed: stop loudly
                raise RuntimeError(f"fuzz worker failed:\n{answered}")
            if w >= 0:
                self.workers[w].batches.popleft()
                yield from answered

    def stop(self) -> None:
        for worker in self.workers:
            worker.tasks.put(None)
        for worker in self.workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()

    def _feed(self) -> None:
        for worker in self.workers:
            while self.todo and len(worker.batches) < 2:
                worker.batches.append(self.todo.popleft())
                worker.tasks.put(worker.batches[-1])

    def _watch(self) -> Iterator[Result]:
        """A worker stuck past the hard limit is killed, a dead one replaced;
        the unit it was on is reported, the rest of its batches done again."""
        for w, worker in enumerate(self.workers):
            unit, since = int(self.busy[2 * w]), self.busy[2 * w + 1]
            stuck = since > 0 and time.monotonic() - since > self.hard_limit
            if not worker.batches or not (stuck or not worker.process.is_alive()):
                continue
            if stuck:
                worker.process.kill()
            worker.process.join()
            kind = "timeout" if stuck else "died"
            error = (
                f"killed after {self.hard_limit:g} s"
                if stuck
                else f"worker exited with {worker.process.exitcode}"
            )
            seconds = time.monotonic() - since if since > 0 else 0.0
            failure = Failure(self.stage, kind, unit, "?", error, error, seconds)
            yield Result(unit, seconds, None, (failure,))
            retry = [[u for u in batch if u != unit] for batch in worker.batches]
            self.todo.extendleft(reversed([batch for batch in retry if batch]))
            self.workers[w] = self._start(w)

    def _start(self, w: int) -> _Worker:
        self.busy[2 * w + 1] = 0
        tasks = self.context.Queue()
        process = self.context.Process(
            target=_work, args=(self.job, tasks, self.answers, self.busy, w), daemon=True
        )
        process.start()
        return _Worker(process, tasks, deque())


def _work(job: Job, tasks: Any, results: Any, busy: Any, w: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    while (units := tasks.get()) is not None:
        answered = []
        try:
            for unit in units:
                busy[2 * w], busy[2 * w + 1] = unit, time.monotonic()
                answered.append(job(unit))
                busy[2 * w + 1] = 0
        except BaseException:  # noqa: BLE001 - a bug of the harness, not of the package
            results.put((w, traceback.format_exc()))
            return
        results.put((w, answered))
