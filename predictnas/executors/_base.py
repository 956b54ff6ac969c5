"""The ``Executor`` interface: run evaluations somewhere and hand back ``concurrent.futures`` futures."""

from __future__ import annotations

import abc
import time
from concurrent.futures import Future
from dataclasses import dataclass

from predictnas.evaluators import EvalResult, Evaluator, as_result
from predictnas.spaces import Arch


@dataclass(frozen=True)
class Outcome:
    """What one evaluation produced, and how long it ran where it ran (seconds)."""

    result: EvalResult
    duration_s: float


def run_evaluation(evaluator: Evaluator, arch: Arch) -> Outcome:
    """Evaluates ``arch``; the function every executor runs (in the study process or a worker)."""
    start = time.perf_counter()
    result = as_result(evaluator.evaluate(arch))
    return Outcome(result, time.perf_counter() - start)


class Executor(abc.ABC):
    """Runs evaluations of one evaluator; the study process stays the only writer of the study file.

    An executor receives its evaluator when it is built and ships it to its workers once.
    ``submit`` returns a ``concurrent.futures.Future`` resolving to an :class:`Outcome`, or to the
    exception the evaluation raised (:class:`EvaluationTimeout`, :class:`WorkerLost`, ...).
    """

    #: Evaluations the executor runs at once; ``None``: ``submit`` evaluates before it returns.
    max_in_flight: int | None = None

    @abc.abstractmethod
    def submit(self, arch: Arch) -> Future[Outcome]:
        """Starts evaluating ``arch``; an evaluation past the executor's timeout fails with
        :class:`EvaluationTimeout`."""

    def shutdown(self) -> None:
        """Stops the workers (running evaluations are abandoned; their trials stay running)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
