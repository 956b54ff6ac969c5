"""The optimize loop: ask -> evaluate (in process, local workers or Dask) -> tell, with retries,
early stops for broken evaluators, and a progress bar."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import numpy as np

from predictnas.evaluators import Evaluator, SteppedEvaluator
from predictnas.exceptions import (
    BrokenEvaluatorError,
    EvaluatorMismatchError,
    InvalidSpecError,
    InvalidValuesError,
    PredictNASError,
    SpaceExhaustedError,
)
from predictnas.study._assess import assess_if_due
from predictnas.study._records import split_metrics
from predictnas.types import FrozenTrial, TrialState

if TYPE_CHECKING:
    from predictnas.study._study import Study

logger = logging.getLogger("predictnas.study")


def optimize(
    study: Study,
    evaluator: Evaluator,
    n_trials: int | None = None,
    *,
    batch_size: int | None = None,
    n_workers: int | None = None,
    executor: Any = None,
    timeout: float | None = None,
    retries: int = 0,
    catch: tuple[type[BaseException], ...] = (Exception,),
    max_initial_failures: int | None = 5,
    show_progress: bool = False,
    callbacks: Sequence[Callable[[Study, FrozenTrial], Any]] = (),
    max_seconds: float | None = None,
) -> None:
    """Runs ask -> evaluate -> tell until the study holds ``len(trials) + n_trials`` trials
    (``n_trials=None``: until the study's ``budget``).

    With ``n_workers=k`` (k > 1), k evaluations stay in flight: when one finishes it is told,
    and the next candidates are proposed with the running ones as pending. The study process
    stays the only writer of the study file.

    Args:
        evaluator: Measures the architectures.
        n_trials: Trials to add (default: up to the budget).
        batch_size: Trials per proposal step (default: the study's ``batch_size``).
        n_workers: Evaluations in flight (default: 1; see :func:`~predictnas.executors.make_executor`).
        executor: ``None``, ``"inprocess"``, ``"process"``, a ``distributed.Client`` or an ``Executor``.
        timeout: Seconds per evaluation; an evaluation past it fails.
        retries: A failed evaluation (exception, NaN, timeout, dead worker) is re-queued as a
            new trial (``user_attrs["retry_of"]``) up to this many times; retries are not
            counted against ``n_trials``.
        catch: Exceptions of the evaluator that only fail their trial; others fail it and
            propagate (Optuna's ``catch``, with the opposite default: a failing evaluation
            marks its trial failed and the study goes on).
        max_initial_failures: Stop with :class:`BrokenEvaluatorError` when this many evaluations
            of this call have finished and every one failed (``None``: never), so an evaluator
            with a bug does not spend the whole budget. A result that does not name the
            study's metrics stops the run at once (:class:`EvaluatorMismatchError`).
        show_progress: Show a tqdm bar.
        callbacks: Called as ``callback(study, trial)`` after each trial of this run finishes
            (complete, failed or stopped), as Optuna's ``callbacks``.
        max_seconds: Wall-clock seconds for the whole run (Optuna's ``timeout``): no new trial is
            asked after it; running ones finish. ``timeout`` is per evaluation.

    Trials left running by an interrupted process are evaluated first, under their own numbers.
    A ``KeyboardInterrupt`` leaves in-flight trials running, so that resuming re-runs them
    exactly like after a crash. With one worker a resumed study proposes exactly what an
    uninterrupted one would; with more, proposals depend on the order evaluations finish.
    """
    from predictnas.evaluators import FunctionEvaluator
    from predictnas.executors import make_executor

    if not isinstance(evaluator, Evaluator):
        if not callable(evaluator):
            raise InvalidSpecError(f"optimize() needs an Evaluator or a function arch -> {{metric: value}}; got "
                                   f"{type(evaluator).__name__}.")
        evaluator = FunctionEvaluator(evaluator)  # Optuna's habit: a plain objective function
    if n_trials is None:
        if study.budget is None:
            raise InvalidSpecError("optimize() needs n_trials when the study has no budget.")
        target = study.budget
    else:
        if not isinstance(n_trials, int) or isinstance(n_trials, bool) or n_trials < 0:
            raise InvalidSpecError(f"n_trials must be a non-negative integer; got {n_trials!r}.")
        target = _n_proposed(study) + n_trials
    if not isinstance(retries, int) or retries < 0:
        raise InvalidSpecError(f"retries must be a non-negative integer; got {retries!r}.")
    q = study.batch_size if batch_size is None else batch_size
    if not isinstance(q, int) or isinstance(q, bool) or q < 1:
        raise InvalidSpecError(f"batch_size must be a positive integer; got {batch_size!r}.")
    if max_initial_failures is not None and (not isinstance(max_initial_failures, int) or max_initial_failures < 1):
        raise InvalidSpecError(f"max_initial_failures must be a positive integer or None; got {max_initial_failures!r}.")
    key = hashlib.sha256(str(study.path.resolve() if study.path else id(study)).encode()).hexdigest()[:16]
    runner = make_executor(evaluator, executor, n_workers=n_workers, timeout=timeout, name=key)
    stepping = isinstance(evaluator, SteppedEvaluator) and runner.supports_steps
    if isinstance(evaluator, SteppedEvaluator) and not stepping and study.definition.get("stopper"):
        runner.shutdown()
        raise InvalidSpecError(f"{type(runner).__name__} runs a stepped evaluation to its end: early stopping runs "
                               "in-process for now (executor=\"inprocess\", n_workers=1), or create the study without a stopper.")
    if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float)) or max_seconds <= 0):
        raise InvalidSpecError(f"max_seconds must be a positive number of seconds; got {max_seconds!r}.")
    if not all(callable(c) for c in callbacks):
        raise InvalidSpecError(f"callbacks must be functions (study, trial) -> None; got {list(callbacks)!r}.")
    loop = _Loop(study, retries, catch, max_initial_failures, _Progress(study, target) if show_progress else None)
    loop.callbacks = tuple(callbacks)
    deadline = None if max_seconds is None else time.perf_counter() + max_seconds
    limit = runner.max_in_flight
    queue = [t for t in study.trials if t.state is TrialState.RUNNING]
    for trial in queue:
        logger.info("re-running trial %d left running by an interrupted run", trial.number)
    in_flight: dict[Future[Any], tuple[FrozenTrial, float]] = {}
    exhausted = ""
    try:
        with _cheap_source(study, evaluator):
            while True:
                while queue and (limit is None or len(in_flight) < limit):
                    trial = queue.pop(0)
                    future = runner.submit(trial.arch, on_step=_reporter(study, trial)) if stepping else runner.submit(trial.arch)
                    in_flight[future] = (trial, time.perf_counter())
                    loop.collect(in_flight, queue, block=False)
                free = q if limit is None else limit - len(in_flight)
                n = min(q, free, target - _n_proposed(study))
                if deadline is not None and time.perf_counter() >= deadline:
                    n = 0  # the run's time is up: finish what is running, ask nothing new
                if not queue and n > 0 and not exhausted:
                    try:
                        asked = study.ask(n)
                    except SpaceExhaustedError as exc:
                        exhausted = str(exc)
                        continue
                    for trial in asked:
                        if trial.state is TrialState.RUNNING:
                            queue.append(trial)
                        elif loop.progress:
                            loop.progress.update()
                    continue
                if not in_flight and not queue:
                    break
                loop.collect(in_flight, queue, block=True)
    finally:
        runner.shutdown()
        if loop.progress:
            loop.progress.close()
    if exhausted:
        logger.warning("%s The study stops at %d trials, short of its target %d.", exhausted, _n_proposed(study), target)


@contextlib.contextmanager
def _cheap_source(study: Study, evaluator: Evaluator) -> Iterator[None]:
    """For the duration of a run, the study's cheap statistics come from this evaluator (when the
    study has cheap objectives, constraints or a proposer that takes cheap statistics as
    ``features``, and the evaluator gives cheap statistics); the study's own ``cheap_function`` is
    restored afterwards, so it never leaks into a later run."""
    wants = any(o.cheap for o in study.objectives) or bool(study.constraints) or bool((study.proposer.model_spec() or {}).get("features"))
    gives = type(evaluator).cheap_statistics is not Evaluator.cheap_statistics
    declared = [o.name for o in study.objectives if o.cheap]
    if declared and not gives and study.cheap_function is None:
        raise InvalidSpecError(f"Objective(s) {declared} are declared cheap, but {type(evaluator).__name__} gives no "
                               "cheap statistics: give the evaluator those statistics (e.g. TableEvaluator(..., "
                               f"cheap={declared})), or declare the objective(s) not cheap.")
    _check_features(study, evaluator, gives)
    previous = study.cheap_function
    if wants and gives:
        study.cheap_function = evaluator.cheap_statistics
    try:
        yield
    finally:
        study.cheap_function = previous


def _check_features(study: Study, evaluator: Evaluator, gives: bool) -> None:
    """Before any evaluation: the cheap statistics the proposer takes as ``features`` must come
    from somewhere (else the first model-based step would stop the run, trials already spent)."""
    features = list((study.proposer.model_spec() or {}).get("features") or ())
    if not features or (study.cheap_function is not None and not gives):
        return
    if not gives:
        raise InvalidSpecError(f"The proposer takes the cheap statistics {features} as features, but "
                               f"{type(evaluator).__name__} gives no cheap statistics: give the evaluator them (e.g. "
                               f"TableEvaluator(..., cheap={features})), or drop the proposer option features.")
    try:
        probe = evaluator.cheap_statistics(study.space.sample(1, rng=np.random.default_rng(0))[0])
    except Exception:  # an architecture the source does not know: the step checks again
        return
    missing = [f for f in features if f not in probe]
    if missing:
        raise InvalidSpecError(f"The proposer takes the cheap statistics {features} as features, but "
                               f"{type(evaluator).__name__} gives no {missing} (it gives {sorted(probe) or 'nothing'}): "
                               f"fix the names in the proposer option features, or give the evaluator them.")


class _Loop:
    """Tells finished evaluations, queues retries, and stops a run whose evaluator is broken."""

    def __init__(self, study: Study, retries: int, catch: tuple[type[BaseException], ...], max_initial_failures: int | None,
                 progress: _Progress | None) -> None:
        self.study, self.retries, self.catch, self.progress = study, retries, catch, progress
        self.max_initial_failures = max_initial_failures
        self.finished = self.failed = 0
        self.last_error = ""
        self.callbacks: tuple[Callable[[Study, FrozenTrial], Any], ...] = ()

    def collect(self, in_flight: dict[Future[Any], tuple[FrozenTrial, float]], queue: list[FrozenTrial], *,
                block: bool) -> None:
        """Tells the finished evaluations (in trial order); ``block``: wait for at least one."""
        if block and in_flight:
            futures.wait(list(in_flight), return_when=futures.FIRST_COMPLETED)
        done = sorted((f for f in in_flight if f.done()), key=lambda f: in_flight[f][0].number)
        for future in done:
            trial, started = in_flight.pop(future)
            self.finish(trial, future, started, queue)
            if self.progress:
                self.progress.update()
            for callback in self.callbacks:
                callback(self.study, self.study.get_trial(trial.number))
        if done:
            assess_if_due(self.study)

    def finish(self, trial: FrozenTrial, future: Future[Any], started: float, queue: list[FrozenTrial]) -> None:
        study = self.study
        if future.done() and future.exception() is None and future.result().stopped_at is not None:
            return self.stopped(trial, future.result())
        self.finished += 1
        try:
            outcome = future.result()
            _check_fidelity(study, study.get_trial(trial.number))
            names = study.metric_names
            returned = dict(outcome.result.values)
            missing = [m for m in names if m not in returned]
            if missing and any(t.state is TrialState.COMPLETE for t in study.trials):
                raise InvalidValuesError(f"The evaluator returned no {missing} for this architecture (it returned "
                                         f"{sorted(returned)})")  # it named them before: this trial fails, the study goes on
            if missing:
                error = EvaluatorMismatchError(
                    f"The evaluator returned metrics {sorted(returned)}, but the study needs {names} (missing {missing}); "
                    "rename the evaluator's metrics or the study's objectives/constraints so they match.")
                self._fail(trial, f"{type(error).__name__}: {error}", time.perf_counter() - started, retry=False)
                raise error
            metrics, extras = split_metrics(returned, names)
            values = study.check_values(metrics)
        except EvaluatorMismatchError as error:
            if study.get_trial(trial.number).state is TrialState.RUNNING:
                self._fail(trial, f"{type(error).__name__}: {error}", time.perf_counter() - started, retry=False)
            raise
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("trial %d failed: %s", trial.number, error)
            self.failed += 1
            self.last_error = error
            retry = self._fail(trial, error, time.perf_counter() - started, retry=self._attempts(trial) <= self.retries)
            if retry is not None:
                logger.info("trial %d retries trial %d", retry.number, trial.number)
                queue.append(retry)
                if self.progress:
                    self.progress.add_retry()
            if not isinstance(exc, self.catch) and not isinstance(exc, PredictNASError):
                raise
            limit = self.max_initial_failures
            if limit is not None and self.failed == self.finished >= limit:
                raise BrokenEvaluatorError(
                    f"The first {self.finished} evaluations of this run all failed (last: {self.last_error}); the "
                    "evaluator is probably broken. Fix it and resume (`predictnas resume STUDY.db`), or pass "
                    "max_initial_failures=None to go on regardless.") from None
            return
        study.tell(trial, values, cheap=outcome.result.cheap, user_attrs={**extras, **outcome.result.user_attrs},
                   duration_s=outcome.duration_s)

    def stopped(self, trial: FrozenTrial, outcome: Any) -> None:
        """Ends ``trial`` as stopped after the step its stopper chose (its reports are recorded)."""
        self.finished += 1
        self.study.stop(trial, user_attrs={**outcome.result.user_attrs, "duration_s": round(outcome.duration_s, 4)})

    def _attempts(self, trial: FrozenTrial) -> int:
        count = 1
        while "retry_of" in trial.user_attrs:
            trial, count = self.study.get_trial(trial.user_attrs["retry_of"]), count + 1
        return count

    def _fail(self, trial: FrozenTrial, error: str, duration_s: float, *, retry: bool) -> FrozenTrial | None:
        """Marks ``trial`` failed and, with ``retry``, adds its retry trial in the same transaction."""
        return self.study.fail(trial, error, duration_s=duration_s, retry=retry)


def _n_proposed(study: Study) -> int:
    """Trials that count against the budget (all but retries)."""
    return study.n_budgeted


class _Progress:
    """tqdm bar: trials done, Pareto-front size, hypervolume, ETA. The hypervolume is normalised by
    bounds fixed once the front spans a range in every objective, so it can only grow (normalised
    to the observed range, a new extreme point would make it drop)."""

    def __init__(self, study: Study, target: int) -> None:
        from tqdm.auto import tqdm

        self.study, self.bounds = study, None
        finished = sum(t.state is not TrialState.RUNNING for t in study.trials)
        self.bar = tqdm(total=target, initial=finished, desc=study.name, unit="trial", dynamic_ncols=True)

    def update(self) -> None:
        self.bar.update(1)
        self.bar.set_postfix(front=len(self.study.pareto_front()), hv=self.hypervolume(), refresh=False)

    def hypervolume(self) -> str:
        """The front's hypervolume within the fixed bounds (``"-"`` until they exist)."""
        study = self.study
        if self.bounds is None:
            F = study.objective_matrix(study.pareto_front())
            if len(F) >= 2 and (F.max(axis=0) > F.min(axis=0)).all():
                self.bounds = (F.min(axis=0), F.max(axis=0))
        return "-" if self.bounds is None else f"{study.hypervolume(lower=self.bounds[0], upper=self.bounds[1]):.4f}"

    def add_retry(self) -> None:
        """A retry is one more trial to finish than the budget says."""
        self.bar.total += 1

    def close(self) -> None:
        self.bar.close()


def _reporter(study: Study, trial: FrozenTrial) -> Any:
    """``on_step`` of ``trial``: report the step's values, then ask the stopper."""
    target = _target_fidelity(study)

    def on_step(step: int, result: Any) -> bool:
        study.report(trial, step, result.values)
        if target is not None and step > target:  # past the target: stop the run now, not after the last step
            _check_fidelity(study, study.get_trial(trial.number))
        return study.should_stop(trial)

    return on_step


def _target_fidelity(study: Study) -> int | None:
    """The step a trial completes at: the stopper's ``max_step``, when it has one."""
    target = ((study.definition.get("stopper") or {}).get("options") or {}).get("max_step")
    return target if isinstance(target, int) else None


def _check_fidelity(study: Study, trial: FrozenTrial) -> None:
    """A stepped evaluation must end at the study's target fidelity, not before or after it."""
    target = _target_fidelity(study)
    if target is not None and trial.intermediate and max(trial.intermediate) != target:
        raise EvaluatorMismatchError(
            f"The evaluator's steps for trial {trial.number} ended at step {max(trial.intermediate)}, but the study's target "
            f"fidelity is step {target} (its stopper's max_step): make the evaluator run {target} steps, or create the "
            "study with the stopper's max_step equal to the evaluator's last step.")


_OPTUNA_NAMES = {"n_jobs": "n_workers", "show_progress_bar": "show_progress"}


def optimize_options(options: dict[str, Any]) -> dict[str, Any]:
    """``optimize()`` options, with Optuna's names accepted (``n_jobs``, ``show_progress_bar``) and
    any other unknown one refused in one line listing the valid ones."""
    import inspect

    valid = [p for p in inspect.signature(optimize).parameters if p not in ("study", "evaluator", "n_trials")]
    out = dict(options)
    for theirs, ours in _OPTUNA_NAMES.items():
        if theirs in out:
            if ours in out:
                raise InvalidSpecError(f"optimize(): give {ours} or Optuna's {theirs}, not both.")
            out[ours] = out.pop(theirs)
    unknown = sorted(set(out) - set(valid))
    if unknown:
        raise InvalidSpecError(f"optimize() has no option(s) {unknown}; its options: {', '.join(valid)} (Optuna's "
                               "whole-study timeout is max_seconds here; timeout is seconds per evaluation).")
    return out
