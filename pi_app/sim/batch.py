"""Many simulated runs (``backsight sim --all`` / ``--random N``), over worker processes.

Each run is independent: a scenario, or the seed of a random one (drawn where it runs),
and a policy, giving ``run_scenario``'s result. ``Batch`` runs them in-process (one job)
or on spawned workers, one run at a time each over a pipe, and hands back the results
in the batch's order whatever order they finish in: any number of jobs prints the same
bytes. Workers ignore SIGINT; on Ctrl-C the parent stops them at once and keeps the runs
finished. A worker's log records come back with its result and are logged here, once
each, so they never interleave with stdout or the progress bar; the batch's
``log_level`` sets which (the simulated devices' journal is for single runs, so a
batch of many keeps only errors unless asked for more). A run that fails stops the
batch with one error naming it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from logging.handlers import QueueHandler
from typing import Any

from pi_app.exc import BacksightError

#: the terminal size assumed when it reports none (a serial console, a bare pty): tqdm
#: would otherwise draw a zero-width bar, or none at all on zero rows
FALLBACK_COLUMNS, FALLBACK_ROWS = 80, 24
#: how long an idle worker gets to exit after being told to, and a terminated one to die
WORKER_EXIT_TIMEOUT_S = 5.0


class RunFailed(BacksightError):
    """A run of the batch raised: the message names the run and what it raised."""


@dataclass(frozen=True)
class Run:
    """One run of a batch: ``scenario``, or else the random scenario of ``random_seed``
    worn with ``kit``, under ``policy``. Picklable, so it can be sent to a worker
    process (which draws the random scenario itself)."""

    policy: str
    scenario: Any = None            # a pi_app.sim.scenario_types.Scenario
    random_seed: int | None = None
    kit: str = "default"            # a pi_app.sim.randomize.KITS name, for random_seed

    @property
    def label(self) -> str:
        """The run as a person names it: scenario (or random run) and policy."""
        if self.random_seed is not None:
            from pi_app.sim.randomize import random_name

            return f"{random_name(self.random_seed, self.kit)} ({self.policy})"
        return f"{getattr(self.scenario, 'name', '?')} ({self.policy})"

    def execute(self) -> dict:
        from pi_app.sim.rig import run_scenario

        scenario = self.scenario
        if self.random_seed is not None:
            from pi_app.sim.randomize import random_scenario

            scenario = random_scenario(self.random_seed, self.kit)
        return run_scenario(scenario, self.policy)


def _failed(run: Run, exc: BaseException) -> RunFailed:
    return RunFailed(f"run {run.label} failed: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class BatchResult:
    """The runs that finished, in the batch's order, and whether Ctrl-C cut it short."""

    results: list[dict]
    total: int
    interrupted: bool


class _RecordList:
    """The queue a ``QueueHandler`` fills inside a worker: a plain list."""

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []

    def put_nowait(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _execute_logged(run: Run, level: int) -> tuple[dict, list[logging.LogRecord]]:
    """``run.execute()`` and the log records (``level`` and up) it made, ready to pickle
    (message formatted, no arguments or traceback objects)."""
    queue = _RecordList()
    handler = QueueHandler(queue)   # type: ignore[arg-type]  # needs only put_nowait
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    try:
        return run.execute(), queue.records
    finally:
        root.removeHandler(handler)


def _serve(conn, level: int) -> None:
    """A worker process: ``(index, run)`` in, ``(index, result, records, error)`` out,
    until ``None`` or the pipe closes. Ctrl-C is the parent's to handle (a terminal sends
    it to the whole process group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        index, run = job
        try:
            result, records = _execute_logged(run, level)
            conn.send((index, result, records, None))
        except Exception as exc:    # handed to the parent, which raises it there
            conn.send((index, None, [], _picklable(exc)))


def _picklable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling, else a RuntimeError with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while worker processes start: a spawned child inherits the ignored
    disposition, so a Ctrl-C while it imports cannot print a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _root_level(level: int) -> Iterator[None]:
    """The root logger at ``level`` for a while (what in-process runs may log)."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(level)
    try:
        yield
    finally:
        root.setLevel(previous)


class InProcessRunner:
    """Runs one after the other in this process (``--jobs 1``)."""

    def __init__(self, level: int) -> None:
        self.level = level

    def finished(self, runs: Sequence[Run]) -> Iterator[tuple[int, dict]]:
        """``(index, result)`` as each run finishes."""
        for index, run in enumerate(runs):
            with _root_level(self.level):
                try:
                    result = run.execute()
                except Exception as exc:
                    raise _failed(run, exc) from exc
            yield index, result


class _Worker:
    """One spawned process that runs what it is sent, one run at a time."""

    def __init__(self, context, level: int) -> None:
        self.conn, child_end = context.Pipe()
        self.busy = False
        self._process = context.Process(target=_serve, args=(child_end, level), daemon=True,
                                        name="backsight-sim-worker")
        self._process.start()
        child_end.close()

    def send(self, index: int, run: Run) -> None:
        self.conn.send((index, run))
        self.busy = True

    def receive(self) -> tuple[int, dict, list[logging.LogRecord], Exception | None]:
        try:
            reply = self.conn.recv()
        except (EOFError, OSError):
            raise BacksightError("a sim worker process died (out of memory?); "
                                 "try fewer --jobs") from None
        self.busy = False
        return reply

    def close(self) -> None:
        """Stop the process: told to, when idle; terminated, when busy (its run is
        dropped). Any number of times."""
        if self._process is None:
            return
        if not self.busy:
            try:
                self.conn.send(None)
            except OSError:
                pass
            self._process.join(WORKER_EXIT_TIMEOUT_S)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(WORKER_EXIT_TIMEOUT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self.conn.close()
        self._process.close()
        self._process = None


class PoolRunner:
    """Runs spread over ``jobs`` spawned worker processes, logging at ``level``."""

    def __init__(self, jobs: int, level: int) -> None:
        self.jobs = jobs
        self.level = level

    def finished(self, runs: Sequence[Run]) -> Iterator[tuple[int, dict]]:
        """``(index, result)`` as each run finishes, in any order. Leaving early (an
        error, Ctrl-C) stops the workers there and then."""
        import multiprocessing
        from multiprocessing.connection import wait

        context = multiprocessing.get_context("spawn")
        level = self.level
        todo = iter(enumerate(runs))
        workers: list[_Worker] = []
        try:
            with _sigint_ignored():
                for _ in range(self.jobs):
                    workers.append(_Worker(context, level))
            for worker in workers:
                self._hand_out(worker, todo)
            while any(w.busy for w in workers):
                ready = wait([w.conn for w in workers if w.busy])
                for worker in [w for w in workers if w.conn in ready]:
                    index, result, records, error = worker.receive()
                    if error is not None:
                        raise _failed(runs[index], error) from error
                    self._hand_out(worker, todo)
                    for record in records:
                        logging.getLogger(record.name).handle(record)
                    yield index, result
        finally:
            for worker in workers:
                worker.close()

    @staticmethod
    def _hand_out(worker: _Worker, todo: Iterator[tuple[int, Run]]) -> None:
        job = next(todo, None)
        if job is not None:
            worker.send(*job)


class Progress:
    """Runs done / total and the ETA on stderr (tqdm), or nothing when disabled. While
    it shows, log lines are written above the bar instead of through it."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self._bar = None
        self._redirect = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            sized = _terminal_is_sized(sys.stderr)
            self._bar = tqdm(total=self.total, unit="run", file=sys.stderr, leave=False,
                             dynamic_ncols=sized, ncols=None if sized else FALLBACK_COLUMNS,
                             nrows=None if sized else FALLBACK_ROWS)
            self._redirect = logging_redirect_tqdm()
            self._redirect.__enter__()
        return self

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Remove the bar; any number of times."""
        if self._redirect is not None:
            self._redirect.__exit__(None, None, None)
            self._redirect = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _terminal_is_sized(stream) -> bool:
    """Whether the terminal ``stream`` writes to reports its columns and rows."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return size.columns > 0 and size.lines > 0


class Batch:
    """Runs ``runs`` with ``jobs`` workers (1: in this process) and keeps their results
    in order; Ctrl-C ends it early with the runs finished so far. The runs log at
    ``log_level`` (default: the root logger's level now)."""

    def __init__(self, runs: Sequence[Run], jobs: int, log_level: int | None = None) -> None:
        self.runs = list(runs)
        self.jobs = max(1, min(jobs, len(self.runs)))
        self.log_level = logging.getLogger().getEffectiveLevel() if log_level is None \
            else log_level

    def run(self, progress: Progress | None = None) -> BatchResult:
        runner = InProcessRunner(self.log_level) if self.jobs == 1 \
            else PoolRunner(self.jobs, self.log_level)
        done: dict[int, dict] = {}
        interrupted = False
        try:
            with closing(runner.finished(self.runs)) as finished:
                for index, result in finished:
                    done[index] = result
                    if progress is not None:
                        progress.advance()
        except KeyboardInterrupt:
            interrupted = True
        return BatchResult([done[i] for i in sorted(done)], len(self.runs), interrupted)
