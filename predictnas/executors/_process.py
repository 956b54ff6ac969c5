"""``ProcessExecutor``: a pool of local worker processes, each holding one copy of the evaluator.

Every worker unpickles the evaluator once, at start-up. A worker that dies (SIGKILL, segfault,
out of memory) or runs past the timeout is killed and replaced; only its own evaluation fails.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from predictnas.evaluators import Evaluator
from predictnas.exceptions import EvaluationError, EvaluationTimeout, WorkerLost
from predictnas.executors._base import Executor, OnStep, Outcome, run_evaluation
from predictnas.spaces import Arch


def _dumps(obj: Any) -> bytes:
    try:
        import cloudpickle  # functions defined in __main__ or notebooks travel by value

        return cloudpickle.dumps(obj)
    except ImportError:
        return pickle.dumps(obj)


def _exit_with_parent(parent: int, every_s: float = 0.5) -> None:
    """Ends this worker (at once, mid-evaluation too) when the study process that started it is
    gone: a killed study leaves no workers behind finishing evaluations nobody will record."""

    def watch() -> None:
        while True:
            time.sleep(every_s)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="predictnas-parent-watch", daemon=True).start()


def _worker_main(conn: multiprocessing.connection.Connection, payload: bytes, threads: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the study process's to handle
    _exit_with_parent(parent)
    try:
        evaluator = pickle.loads(payload)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
    except BaseException as exc:
        conn.send(("broken", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            arch = conn.recv()
        except EOFError:
            return
        if arch is None:
            return
        try:
            message: tuple[str, Any] = ("ok", run_evaluation(evaluator, arch))
        except BaseException as exc:
            message = ("error", exc)
        try:
            conn.send(message)
        except (BrokenPipeError, ConnectionResetError):  # the study process is gone
            return
        except Exception:  # an exception that does not pickle travels as text
            conn.send(("error", EvaluationError(f"{type(message[1]).__name__}: {message[1]}")))


@dataclass
class _Worker:
    process: Any
    conn: multiprocessing.connection.Connection
    ready: bool = False
    retired: bool = False  # dead, and not replaced (the executor is broken)
    task: tuple[Future[Outcome], float] | None = None  # (future, started at)


class ProcessExecutor(Executor):
    """Evaluates on ``n_workers`` local processes.

    Args:
        evaluator: Pickled once (with cloudpickle when installed) and sent to each worker once.
        n_workers: Worker processes (default: the number of CPU cores).
        timeout: Seconds per evaluation; the worker is killed and replaced when it runs past it.
        mp_context: ``"spawn"`` (default; safe with torch), ``"forkserver"`` or ``"fork"``. With
            spawn/forkserver a script must guard its entry point with ``if __name__ == "__main__":``.
        start_timeout: Seconds to wait for the workers to load the evaluator.

    Raises:
        EvaluationError: the evaluator cannot be pickled, or the workers cannot load it.
    """

    def __init__(self, evaluator: Evaluator, n_workers: int | None = None, *, timeout: float | None = None,
                 mp_context: str = "spawn", start_timeout: float = 300.0) -> None:
        n = int(n_workers or os.cpu_count() or 1)
        if n < 1:
            raise ValueError(f"n_workers must be a positive integer; got {n_workers!r}.")
        try:
            self._payload = _dumps(evaluator)
        except Exception as exc:
            raise EvaluationError(
                f"The evaluator ({type(evaluator).__name__}) cannot be sent to worker processes ({type(exc).__name__}: "
                f"{exc}); define it at module level, or evaluate in-process (n_workers=1)."
            ) from None
        self.max_in_flight = n
        self.timeout = timeout
        self._threads = max(1, (os.cpu_count() or 1) // n)
        self._ctx = multiprocessing.get_context(mp_context)
        self._lock = threading.Lock()
        self._queue: deque[tuple[Future[Outcome], Arch]] = deque()
        self._closed = False
        self._broken: str | None = None  # why replacement workers cannot start
        self._start_failures = 0
        self._workers = [self._start_worker() for _ in range(n)]
        self._await_ready(start_timeout)
        self._monitor = threading.Thread(target=self._watch, name="predictnas-process-executor", daemon=True)
        self._monitor.start()

    # -- workers --------------------------------------------------------------------------------
    def _start_worker(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self._payload, self._threads, os.getpid()), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _await_ready(self, start_timeout: float) -> None:
        deadline = time.monotonic() + start_timeout
        for worker in self._workers:
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self.shutdown()
                raise EvaluationError(f"Worker processes did not load the evaluator within {start_timeout:g} s.")
            try:
                kind, detail = worker.conn.recv()
            except EOFError:
                kind, detail = "broken", f"the worker exited with code {worker.process.exitcode}"
            if kind != "ready":
                self.shutdown()
                raise EvaluationError(f"Worker processes cannot load the evaluator ({detail}); make its module importable "
                                      "by the workers, or evaluate in-process (n_workers=1).")
            worker.ready = True

    def _replace(self, index: int) -> None:
        old = self._workers[index]
        if old.process.is_alive():
            old.process.kill()
        old.process.join(5)
        old.conn.close()
        self._workers[index] = self._start_worker()

    def _dispatch(self) -> None:
        """Hands queued evaluations to idle workers (caller holds the lock)."""
        for worker in self._workers:
            while self._queue and worker.ready and worker.task is None:
                future, arch = self._queue.popleft()
                if not future.set_running_or_notify_cancel():
                    continue
                worker.conn.send(arch)
                worker.task = (future, time.monotonic())

    # -- the interface --------------------------------------------------------------------------
    def submit(self, arch: Arch, on_step: OnStep | None = None) -> Future[Outcome]:  # steps: in-process only
        future: Future[Outcome] = Future()
        with self._lock:
            if self._closed:
                raise EvaluationError("This executor is shut down.")
            if self._broken:
                raise EvaluationError(f"Worker processes cannot be started any more ({self._broken}).")
            self._queue.append((future, arch))
            self._dispatch()
        return future

    def _watch(self) -> None:
        while not self._closed:
            with self._lock:
                live = [w for w in self._workers if not w.retired]
                waitables = [w.conn for w in live] + [w.process.sentinel for w in live]
            wait_s = 0.2
            if self.timeout is not None:
                wait_s = min(wait_s, self.timeout / 4)
            multiprocessing.connection.wait(waitables, timeout=wait_s)
            with self._lock:
                if self._closed:
                    return
                for index, worker in enumerate(self._workers):
                    if not worker.retired:
                        self._check(index, worker)
                self._dispatch()

    def _check(self, index: int, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                kind, detail = worker.conn.recv()
                if kind == "ready":
                    worker.ready = True
                    self._start_failures = 0
                elif worker.task is not None:
                    future, _ = worker.task
                    worker.task = None
                    future.set_result(detail) if kind == "ok" else future.set_exception(detail)
        except (EOFError, OSError):
            pass
        if not worker.process.is_alive():
            code = worker.process.exitcode
            reason = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            if worker.task is not None:
                worker.task[0].set_exception(WorkerLost(f"the worker process died during the evaluation ({reason})"))
                worker.task = None
            if not worker.ready:  # died while starting: do not respawn for ever
                self._start_failures += 1
                if self._start_failures >= 3:
                    worker.retired = True
                    self._broken = f"3 replacement workers died while loading the evaluator, the last with {reason}"
                    for future, _ in self._queue:
                        future.set_exception(WorkerLost(self._broken))
                    self._queue.clear()
                    for other in self._workers:  # the others are dying the same way: stop replacing them
                        other.retired = other.retired or not other.ready
                    return
            self._replace(index)
        elif worker.task is not None and self.timeout is not None and time.monotonic() - worker.task[1] > self.timeout:
            worker.task[0].set_exception(EvaluationTimeout(f"evaluation ran past its timeout of {self.timeout:g} s; its worker was replaced"))
            worker.task = None
            self._replace(index)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            abandoned = [f for f, _ in self._queue] + [w.task[0] for w in self._workers if w.task is not None]
            self._queue.clear()
            for worker in self._workers:
                worker.task = None
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for future in abandoned:
            if not future.done():
                future.cancel() or future.set_exception(WorkerLost("the executor was shut down"))
        for worker in self._workers:
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.conn.close()
