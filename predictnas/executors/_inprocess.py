"""``InProcessExecutor``: evaluate in the study process, one architecture at a time (the default)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager

from predictnas.evaluators import Evaluator
from predictnas.exceptions import EvaluationTimeout
from predictnas.executors._base import Executor, OnStep, Outcome, run_evaluation
from predictnas.spaces import Arch


class InProcessExecutor(Executor):
    """Evaluates inside ``submit``; the returned future is already done.

    Args:
        evaluator: The evaluator.
        timeout: Seconds per evaluation, enforced with ``SIGALRM`` (main thread, Unix). A hang
            inside a C extension is only interrupted when it returns to Python; use the process
            or Dask executor where evaluations may hang for good.
    """

    max_in_flight = None
    supports_steps = True

    def __init__(self, evaluator: Evaluator, *, timeout: float | None = None) -> None:
        self.evaluator, self.timeout = evaluator, timeout

    def submit(self, arch: Arch, on_step: OnStep | None = None) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        try:
            with _alarm(self.timeout):
                future.set_result(run_evaluation(self.evaluator, arch, on_step))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # the trial fails; the study goes on
            future.set_exception(exc)
        return future


@contextmanager
def _alarm(timeout: float | None) -> Iterator[None]:
    usable = timeout is not None and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _expired(signum: int, frame: object) -> None:
        raise EvaluationTimeout(f"evaluation ran past its timeout of {timeout:g} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, float(timeout))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
