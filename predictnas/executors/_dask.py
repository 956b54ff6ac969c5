"""``DaskExecutor``: evaluate on a Dask distributed cluster (``pip install predictnas[dask]``)."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future, InvalidStateError
from typing import Any

from distributed import WorkerPlugin, get_worker

from predictnas.evaluators import Evaluator
from predictnas.exceptions import EvaluationError, EvaluationTimeout, WorkerLost
from predictnas.executors._base import Executor, OnStep, Outcome, run_evaluation
from predictnas.spaces import Arch

logger = logging.getLogger("predictnas.executors")


class DaskExecutor(Executor):
    """Evaluates as tasks of a ``distributed.Client``.

    The evaluator (with everything it holds, e.g. a trained supernet's weights) reaches every
    worker once, as a worker plugin; workers that join later or restart receive it too. Each task
    only carries an architecture.

    A worker that dies is handled by Dask first: it re-runs the task elsewhere up to
    ``distributed.scheduler.allowed-failures`` times (default 3); then the task fails with
    ``KilledWorker`` and the trial is marked failed. An evaluation running past ``timeout``
    (counted from its start on a worker) fails, and its worker is restarted, since a running
    Python thread cannot be stopped (workers need a nanny, as ``LocalCluster`` and ``dask worker``
    have).

    Args:
        client: A connected ``distributed.Client``.
        evaluator: The evaluator (must pickle).
        n_workers: Evaluations in flight (default: the cluster's total worker threads).
        timeout: Seconds per evaluation.
        name: Names the evaluator plugin on the workers (``optimize`` passes a key of the study
            file, so a later run of the same study replaces a plugin a killed client left).
    """

    def __init__(self, client: Any, evaluator: Evaluator, n_workers: int | None = None, *,
                 timeout: float | None = None, name: str | None = None) -> None:
        self.client, self.timeout = client, timeout
        # one plugin per study: a client killed before it could remove its plugin is replaced, not stacked
        self._name = f"predictnas-{name or uuid.uuid4().hex}"
        try:
            client.register_plugin(_EvaluatorPlugin(evaluator), name=self._name)
        except Exception as exc:
            raise EvaluationError(f"The evaluator cannot be sent to the Dask workers ({type(exc).__name__}: {exc}).") from None
        self.max_in_flight = int(n_workers or max(1, sum(client.nthreads().values())))
        self._lock = threading.Lock()
        self._running: dict[str, tuple[Future[Outcome], Any]] = {}  # task key -> (future, dask future)
        self._timers: list[threading.Timer] = []
        if timeout is not None:
            client.subscribe_topic(self._name, self._on_start)

    def submit(self, arch: Arch, on_step: OnStep | None = None) -> Future[Outcome]:  # steps: in-process only
        future: Future[Outcome] = Future()
        future.set_running_or_notify_cancel()
        task = self.client.submit(_evaluate_on_worker, self._name, arch, pure=False)
        with self._lock:
            self._running[task.key] = (future, task)
        task.add_done_callback(lambda done: self._settle(future, done))
        return future

    def _on_start(self, event: tuple[float, Any]) -> None:
        """A worker started a task: its timeout clock starts now."""
        with self._lock:
            entry = self._running.get(event[1]["key"])
            if entry is None:
                return
            timer = threading.Timer(self.timeout, self._expire, (*entry, event[1]["worker"]))  # type: ignore[arg-type]
            timer.daemon = True
            timer.start()
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]

    def _expire(self, future: Future[Outcome], task: Any, worker: str) -> None:
        if future.done():
            return
        _set(future, exception=EvaluationTimeout(f"evaluation ran past its timeout of {self.timeout:g} s; its worker was restarted"))
        try:
            task.cancel()
            self.client.restart_workers([worker], timeout=60, raise_for_error=False)
        except Exception as exc:  # e.g. a worker without a nanny: it finishes the task on its own
            logger.warning("could not restart the Dask worker %s of a timed-out evaluation: %s", worker, exc)

    def _settle(self, future: Future[Outcome], task: Any) -> None:
        with self._lock:
            self._running.pop(task.key, None)
        status = task.status
        if status == "finished":
            _set(future, result=task.result())
        elif status == "error":
            exc = task.exception()
            if type(exc).__name__ == "KilledWorker":
                exc = WorkerLost(f"Dask workers died while running the evaluation ({exc})")
            _set(future, exception=exc)
        else:
            _set(future, exception=WorkerLost(f"the Dask task ended as {status!r}"))

    def shutdown(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for timer in self._timers:  # a restart after a timeout finishes before the client may close
            timer.join(70)
        try:
            if self.timeout is not None:
                self.client.unsubscribe_topic(self._name)
            self.client.unregister_worker_plugin(self._name)
        except Exception as exc:
            logger.warning("could not remove the evaluator from the Dask workers: %s", exc)


class _EvaluatorPlugin(WorkerPlugin):
    """Holds the evaluator on each worker."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator


def _evaluate_on_worker(name: str, arch: Arch) -> Outcome:
    worker = get_worker()
    worker.log_event(name, {"key": worker.get_current_task(), "worker": worker.address})
    return run_evaluation(worker.plugins[name].evaluator, arch)


def _set(future: Future[Outcome], *, result: Outcome | None = None, exception: BaseException | None = None) -> None:
    try:
        future.set_exception(exception) if exception is not None else future.set_result(result)  # type: ignore[arg-type]
    except InvalidStateError:  # the timeout (or the result) came first
        pass
