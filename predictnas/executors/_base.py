"""The ``Executor`` interface: run evaluations somewhere and hand back ``concurrent.futures`` futures."""

from __future__ import annotations

import abc
import time
from concurrent.futures import Future
from collections.abc import Callable
from dataclasses import dataclass

from predictnas.evaluators import EvalResult, Evaluator, SteppedEvaluator, as_result
from predictnas.spaces import Arch


@dataclass(frozen=True)
class Outcome:
    """What one evaluation produced, and how long it ran where it ran (seconds)."""

    result: EvalResult
    duration_s: float
    stopped_at: int | None = None  # the step a stepped evaluation was stopped after


#: ``on_step(step, result) -> stop?``: called after each step of a :class:`SteppedEvaluator`.
OnStep = Callable[[int, EvalResult], bool]


def run_evaluation(evaluator: Evaluator, arch: Arch, on_step: OnStep | None = None) -> Outcome:
    """Evaluates ``arch``; the function every executor runs (in the study process or a worker).
    With ``on_step`` and a stepped evaluator, each step's result goes to ``on_step``, and the
    evaluation ends after the step it answers ``True`` to."""
    start = time.perf_counter()
    if on_step is None or not isinstance(evaluator, SteppedEvaluator):
        return Outcome(as_result(evaluator.evaluate(arch)), time.perf_counter() - start)
    steps, result = evaluator.steps(arch), None
    try:
        for step, raw in enumerate(steps, start=1):
            result = as_result(raw)
            if on_step(step, result):
                return Outcome(result, time.perf_counter() - start, stopped_at=step)
    finally:
        close = getattr(steps, "close", None)
        if close is not None:
            close()
    if result is None:
        raise ValueError(f"{type(evaluator).__name__}.steps({arch!r}) yielded no result.")
    return Outcome(result, time.perf_counter() - start)


class Executor(abc.ABC):
    """Runs evaluations of one evaluator; the study process stays the only writer of the study file.

    An executor receives its evaluator when it is built and ships it to its workers once.
    ``submit`` returns a ``concurrent.futures.Future`` resolving to an :class:`Outcome`, or to the
    exception the evaluation raised (:class:`EvaluationTimeout`, :class:`WorkerLost`, ...).
    """

    #: Evaluations the executor runs at once; ``None``: ``submit`` evaluates before it returns.
    max_in_flight: int | None = None
    #: Whether ``submit`` takes ``on_step`` (a stepped evaluation reported step by step).
    supports_steps: bool = False

    @abc.abstractmethod
    def submit(self, arch: Arch, on_step: OnStep | None = None) -> Future[Outcome]:
        """Starts evaluating ``arch``; an evaluation past the executor's timeout fails with
        :class:`EvaluationTimeout`. ``on_step`` only where :attr:`supports_steps`."""

    def shutdown(self) -> None:
        """Stops the workers (running evaluations are abandoned; their trials stay running)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
