"""Where evaluations run: in the study process, a local process pool, or a Dask cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from predictnas._registry import Registry
from predictnas.evaluators import Evaluator
from predictnas.exceptions import EvaluationTimeout, InvalidSpecError, OptionalDependencyError, WorkerLost
from predictnas.executors._base import Executor, Outcome, run_evaluation
from predictnas.executors._inprocess import InProcessExecutor
from predictnas.executors._process import ProcessExecutor

__all__ = ["EXECUTORS", "EvaluationTimeout", "Executor", "InProcessExecutor", "Outcome", "ProcessExecutor", "WorkerLost",
           "dask_client", "make_executor", "run_evaluation"]


def make_executor(evaluator: Evaluator, executor: Any = None, *, n_workers: int | None = None,
                  timeout: float | None = None, name: str | None = None) -> Executor:
    """The executor ``Study.optimize`` runs ``evaluator`` on.

    Args:
        executor: ``None`` (in-process for one worker, local processes for more), ``"inprocess"``,
            ``"process"``, a ``distributed.Client``, or an :class:`Executor` already built.
        n_workers: Evaluations in flight (default: 1 in-process, CPU cores for processes, the
            cluster's threads for Dask).
        timeout: Seconds per evaluation.
        name: A stable key of the run's study (names the evaluator on Dask workers).
    """
    if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
        raise InvalidSpecError(f"n_workers must be a positive integer; got {n_workers!r}.")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise InvalidSpecError(f"timeout must be a positive number of seconds; got {timeout!r}.")
    if isinstance(executor, Executor):
        return executor
    if executor is None:
        executor = "process" if (n_workers or 1) > 1 else "inprocess"
    if isinstance(executor, str):
        return EXECUTORS.resolve(executor, where="executor")(evaluator, n_workers, timeout, name)
    if type(executor).__module__.startswith("distributed"):  # a Dask client object
        from predictnas.executors._dask import DaskExecutor

        return DaskExecutor(executor, evaluator, n_workers, timeout=timeout, name=name)
    raise InvalidSpecError(
        f"Unknown executor {executor!r}; use one of {sorted(EXECUTORS)}, a dask.distributed Client, or an Executor."
    )


def _inprocess(evaluator: Evaluator, n_workers: int | None, timeout: float | None, name: str | None) -> Executor:
    if (n_workers or 1) != 1:
        raise InvalidSpecError(f"The in-process executor runs one evaluation at a time; got n_workers={n_workers}. "
                               "Use executor=\"process\" or a Dask client for more.")
    return InProcessExecutor(evaluator, timeout=timeout)


def _process(evaluator: Evaluator, n_workers: int | None, timeout: float | None, name: str | None) -> Executor:
    return ProcessExecutor(evaluator, n_workers, timeout=timeout)


#: Executors by name: ``factory(evaluator, n_workers, timeout, study name) -> Executor`` (a Dask
#: client is passed as the object itself).
EXECUTORS: Registry[Callable[[Evaluator, int | None, float | None, str | None], Executor]] = Registry(
    "executor", {"inprocess": _inprocess, "process": _process})


def dask_client(address: str, *, timeout: float = 10.0) -> Any:
    """A ``distributed.Client`` connected to the scheduler at ``address`` (``tcp://host:8786``)."""
    try:
        from distributed import Client
    except ImportError:
        raise OptionalDependencyError(
            "Dask executors need the `distributed` package: pip install 'predictnas[dask]'."
        ) from None
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidSpecError(f"Cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc}); "
                               "is it running, and is the address tcp://HOST:PORT?") from None
