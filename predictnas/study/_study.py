"""``Study``: ask/tell/optimize over a study file; its state is the replay of the event log."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent import futures
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from predictnas._version import __version__
from predictnas.evaluators._base import Evaluator
from predictnas.exceptions import (
    IncompatibleStudyFileError,
    InvalidArchitectureError,
    InvalidSpecError,
    InvalidValuesError,
    PredictNASError,
    StudyError,
)
from predictnas.spaces import Arch, SearchSpace, space_from_spec
from predictnas.study._storage import StudyFile
from predictnas.study._types import (
    FrozenTrial,
    Objective,
    OutcomeConstraint,
    TrialState,
    is_finite_number,
    objective_matrix,
)

if TYPE_CHECKING:  # proposers import the study's value types: import them lazily here
    from predictnas.proposers import ProposalContext, Proposer

logger = logging.getLogger("predictnas.study")


class Study:
    """A multi-objective architecture search backed by a study file.

    Build one with :func:`create_study` or :func:`load_study`, never directly. Every random step
    draws from ``numpy.random.default_rng([seed, step])``, so a resumed study proposes exactly what
    an uninterrupted one would.
    """

    def __init__(self, file: StudyFile, *, proposer: Proposer | None = None) -> None:
        self._file = file
        self._trials: list[FrozenTrial] = []
        self._step = 0
        self._last_seq = 0
        self.definition: dict[str, Any] = {}
        self.diagnostics: list[dict[str, Any]] = []  # surrogate quality after each assessment
        #: One entry per proposer step: ``step``, ``n`` proposed, ``seconds`` the proposer took and
        #: what it reported (the default proposer: ``model`` that proposed, ``pool`` size).
        self.proposals: list[dict[str, Any]] = []
        self.wall_time_s = 0.0
        self._first_ts: float | None = None
        self._replay()
        if not self.definition:
            raise IncompatibleStudyFileError(f"{file.path}: holds no study definition (empty or truncated study file).")
        d = self.definition
        self.name: str = d["name"]
        self.seed: int = int(d["seed"])
        self.space: SearchSpace = space_from_spec(d["space"], source=f"{file.path or '<memory>'}:space")
        self.objectives = tuple(Objective(o["name"], o["direction"], bool(o.get("cheap", False))) for o in d["objectives"])
        self.constraints = tuple(OutcomeConstraint.parse(c) for c in d.get("constraints", []))
        self.batch_size: int = int(d.get("batch_size", 1))
        from predictnas.proposers import make_proposer

        self.proposer = proposer or make_proposer(d["proposer"]["name"], d["proposer"].get("options"))
        #: ``arch -> {name: value}`` of statistics known without evaluation (FLOPs, a latency table).
        #: Objectives declared ``cheap`` and constrained metrics it gives are known exactly to the
        #: proposer. ``optimize(evaluator)`` sets it to ``evaluator.cheap_statistics`` when the
        #: study has cheap objectives or constraints; set it yourself when driving ask/tell.
        self.cheap_function: Callable[[Arch], Mapping[str, float]] | None = None
        self._cheap_cache: dict[Arch, dict[str, float]] = {}

    # -- replay ---------------------------------------------------------------------------------
    def _replay(self) -> None:
        for seq, op, payload, ts in self._file.read(self._last_seq):
            self._last_seq = seq
            self._first_ts = self._first_ts or ts
            self.wall_time_s = ts - self._first_ts
            if op == "create":
                self.definition = payload["definition"]
            elif op == "ask":
                self._step = payload["step"] + 1
                if "proposal" in payload:
                    self.proposals.append({"step": payload["step"], "n": len(payload["trials"]), **payload["proposal"]})
                for t in payload["trials"]:
                    assert t["number"] == len(self._trials), "trial numbers are sequential"
                    self._trials.append(
                        FrozenTrial(t["number"], Arch(t["params"]), t["key"], TrialState.RUNNING, payload["step"])
                    )
            elif op == "tell":
                old = self._trials[payload["number"]]
                self._trials[payload["number"]] = dataclasses.replace(
                    old, state=TrialState(payload["state"]), values=payload.get("values", {}),
                    cheap=payload.get("cheap", {}), user_attrs={**old.user_attrs, **payload.get("user_attrs", {})},
                    error=payload.get("error"), cache_of=payload.get("cache_of"), duration_s=payload.get("duration_s"),
                )
            elif op == "budget":
                self.definition["budget"] = payload["budget"]
            elif op == "diagnostics":
                self.diagnostics.append(payload)
            elif op == "attr":
                old = self._trials[payload["number"]]
                self._trials[payload["number"]] = dataclasses.replace(
                    old, user_attrs={**old.user_attrs, payload["key"]: payload["value"]}
                )

    # -- read access ----------------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        return self._file.path

    @property
    def damage(self) -> str | None:
        """Where a file loaded with ``salvage=True`` is damaged (``None``: intact)."""
        return self._file.damage

    @property
    def budget(self) -> int | None:
        """Total number of trials (retries excluded) ``optimize()`` runs to by default."""
        return self.definition.get("budget")

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(o.direction for o in self.objectives)

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials in number order (snapshots)."""
        return list(self._trials)

    def _metric_names(self) -> list[str]:
        names = [o.name for o in self.objectives]
        return names + [c.metric for c in self.constraints if c.metric not in names]

    def is_feasible(self, trial: FrozenTrial) -> bool:
        return all(c.violation(trial.values[c.metric]) == 0 for c in self.constraints)

    def _complete(self) -> list[FrozenTrial]:
        return [t for t in self._trials if t.state is TrialState.COMPLETE]

    def objective_matrix(self, trials: Sequence[FrozenTrial]) -> np.ndarray:
        """``(n, m)`` objective values of ``trials`` in minimisation form."""
        return objective_matrix(trials, self.objectives)

    def pareto_front(self) -> list[FrozenTrial]:
        """Feasible complete trials that no other feasible complete trial dominates (cache hits excluded)."""
        from predictnas.pareto import pareto_mask

        feasible = [t for t in self._complete() if self.is_feasible(t) and t.cache_of is None]
        if not feasible:
            return []
        mask = pareto_mask(self.objective_matrix(feasible))
        return [t for t, keep in zip(feasible, mask) if keep]

    def hypervolume(self, *, lower: Sequence[float] | None = None, upper: Sequence[float] | None = None) -> float:
        """Hypervolume of the feasible complete trials (see :mod:`predictnas.pareto` for the convention).

        Args:
            lower: Per-objective lower bounds in minimisation form (default: observed minimum).
            upper: Per-objective upper bounds in minimisation form (default: observed maximum).
        """
        from predictnas.pareto import hypervolume

        feasible = [t for t in self._complete() if self.is_feasible(t)]
        if not feasible:
            return 0.0
        F = self.objective_matrix(feasible)
        lo = np.asarray(lower, dtype=float) if lower is not None else F.min(axis=0)
        hi = np.asarray(upper, dtype=float) if upper is not None else F.max(axis=0)
        return hypervolume(F, lower=lo, upper=hi)

    def trial_rows(self) -> list[dict[str, Any]]:
        """One flat dict per trial: number, state, parameters, objective values, cheap stats, ..."""
        rows = []
        for t in self._trials:
            row: dict[str, Any] = {"number": t.number, "state": t.state.value}
            row.update({p: t.arch.get(p) for p in self.space.param_names})
            row.update({m: t.values.get(m) for m in self._metric_names()})
            row.update({f"cheap_{k}": v for k, v in t.cheap.items()})
            row.update({"arch": self.space.to_string(t.arch), "key": t.key, "step": t.step,
                        "cache_of": t.cache_of, "duration_s": t.duration_s, "error": t.error})
            row.update({f"user_{k}": v for k, v in t.user_attrs.items()})
            rows.append(row)
        return rows

    def trials_dataframe(self) -> Any:
        """The trials as a pandas ``DataFrame`` (one row per trial, see :meth:`trial_rows`)."""
        import pandas as pd

        return pd.DataFrame(self.trial_rows())

    # -- ask / tell -----------------------------------------------------------------------------
    def _context(self) -> ProposalContext:
        from predictnas.proposers import ProposalContext

        return ProposalContext(
            space=self.space, objectives=self.objectives, constraints=self.constraints,
            complete=tuple(t for t in self._complete() if t.cache_of is None),
            pending=tuple(t.arch for t in self._trials if t.state is TrialState.RUNNING),
            seen_keys=frozenset(t.key for t in self._trials), step=self._step,
            cheap=self._cheap_lookup if self.cheap_function is not None else None,
            failed=tuple(t for t in self._trials if t.state is TrialState.FAILED),
        )

    def _cheap_lookup(self, archs: Sequence[Arch]) -> dict[str, np.ndarray]:
        """``{name: (n,) values}`` from :attr:`cheap_function` (cached; NaN where it fails)."""
        assert self.cheap_function is not None
        rows = []
        for arch in archs:
            stats = self._cheap_cache.get(arch)
            if stats is None:
                try:
                    stats = {k: float(v) for k, v in self.cheap_function(arch).items() if is_finite_number(v)}
                except Exception as exc:  # an unknown architecture: no exact values
                    logger.debug("cheap statistics of %s failed: %s", self.space.to_string(arch), exc)
                    stats = {}
                self._cheap_cache[arch] = stats
            rows.append(stats)
        names = sorted({k for stats in rows for k in stats})
        return {k: np.array([stats.get(k, np.nan) for stats in rows]) for k in names}

    def ask(self, n: int = 1, *, archs: Iterable[Mapping[str, Any]] | None = None) -> list[FrozenTrial]:
        """Creates ``n`` trials proposed by the proposer, or one per given architecture.

        An architecture whose canonical key already has a complete trial is not evaluated again:
        its trial is recorded complete at once with the earlier values (``cache_of`` says which).

        Returns:
            The new trials; those still ``RUNNING`` must be evaluated and told.
        """
        self._check_writable()
        if archs is None:
            if not isinstance(n, int) or n < 1:
                raise InvalidValuesError(f"ask(n) needs a positive integer n; got {n!r}.")
            rng = np.random.default_rng([self.seed, self._step])
            started = time.perf_counter()
            proposed = self.proposer.propose(self._context(), n, rng=rng)
            proposal = {"seconds": round(time.perf_counter() - started, 4),
                        **_jsonable(dict(getattr(self.proposer, "last_step", None) or {}))}
        else:
            try:
                proposed = [self.space.make_arch(a) for a in archs]
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(f"ask(archs=...): {exc}") from None
        done = {t.key: t for t in self._complete() if t.cache_of is None}
        entries, tells = [], []
        for i, arch in enumerate(proposed):
            number = len(self._trials) + i
            key = self.space.canonical_key(arch)
            entries.append({"number": number, "params": arch.to_dict(), "key": key})
            if key in done:
                source = done[key]
                tells.append(("tell", {"number": number, "state": "complete", "values": source.values,
                                       "cheap": source.cheap, "cache_of": source.number}))
                logger.info("trial %d: cache hit of trial %d (%s)", number, source.number, key)
        ask = {"step": self._step, "trials": entries}
        if archs is None:
            ask["proposal"] = proposal
        self._file.append([("ask", ask), *tells])
        self._replay()
        return [self._trials[e["number"]] for e in entries]

    def tell(
        self,
        trial: FrozenTrial | int,
        values: Mapping[str, float] | None = None,
        *,
        state: TrialState | str = TrialState.COMPLETE,
        cheap: Mapping[str, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        error: str | None = None,
        duration_s: float | None = None,
    ) -> FrozenTrial:
        """Records the outcome of a running trial (``state="failed"`` with an ``error`` for failures).

        Raises:
            InvalidValuesError: unknown trial, trial already finished, or values that do not match
                the objectives (missing, unknown, NaN/inf). Nothing is stored then.
        """
        self._check_writable()
        number = trial.number if isinstance(trial, FrozenTrial) else trial
        if not isinstance(number, int) or not 0 <= number < len(self._trials):
            raise InvalidValuesError(f"Trial {number!r} does not exist (the study has {len(self._trials)} trials).")
        if self._trials[number].state is not TrialState.RUNNING:
            raise InvalidValuesError(f"Trial {number} is already {self._trials[number].state.value}; it cannot be told again.")
        try:
            state = TrialState(state)
        except ValueError:
            raise InvalidValuesError(f"Unknown state {state!r}; use \"complete\" or \"failed\".") from None
        payload: dict[str, Any] = {"number": number, "state": state.value}
        if state is TrialState.COMPLETE:
            payload["values"] = self._check_values(values)
        elif state is TrialState.FAILED:
            payload["error"] = str(error or "failed")
        else:
            raise InvalidValuesError("tell() records a finished trial; state must be \"complete\" or \"failed\".")
        if cheap:
            payload["cheap"] = {k: float(v) for k, v in cheap.items() if is_finite_number(v)}
        if user_attrs:
            payload["user_attrs"] = _jsonable(dict(user_attrs))
        if duration_s is not None:
            payload["duration_s"] = float(duration_s)
        self._file.append([("tell", payload)])
        self._replay()
        return self._trials[number]

    def _check_values(self, values: Mapping[str, float] | None) -> dict[str, float]:
        names = self._metric_names()
        if not isinstance(values, Mapping):
            raise InvalidValuesError(
                f"Values must be a mapping of {names} to numbers; got {type(values).__name__} {values!r}."
            )
        problems = []
        missing = [m for m in names if m not in values]
        unknown = [k for k in values if k not in names]
        if missing:
            problems.append(f"missing {missing}")
        if unknown:
            problems.append(f"unknown {unknown}")
        bad = {k: v for k, v in values.items() if k in names and not is_finite_number(v)}
        if bad:
            problems.append(f"not finite numbers: {bad}")
        if problems:
            raise InvalidValuesError(f"Values {dict(values)!r} do not fit the study's metrics {names}: {'; '.join(problems)}.")
        return {m: float(values[m]) for m in names}

    def set_budget(self, budget: int) -> None:
        """Records a new total budget (e.g. ``predictnas resume --budget N``)."""
        self._check_writable()
        if not isinstance(budget, int) or budget < 1:
            raise InvalidSpecError(f"budget must be a positive integer; got {budget!r}.")
        self._file.append([("budget", {"budget": budget})])
        self._replay()

    def set_user_attr(self, trial: FrozenTrial | int, key: str, value: Any) -> None:
        self._check_writable()
        number = trial.number if isinstance(trial, FrozenTrial) else trial
        self._file.append([("attr", {"number": number, "key": str(key), "value": _jsonable(value)})])
        self._replay()

    def _check_writable(self) -> None:
        if self._file.readonly:
            raise StudyError(f"{self.path}: this study was loaded read-only.")

    # -- surrogate quality ----------------------------------------------------------------------
    def assess_surrogate(self, surrogate: str | None = None, encoding: str | None = None, *, folds: int = 5) -> dict[str, Any]:
        """Cross-validates a surrogate on the completed trials and stores the result in the study
        file (``diagnostics`` event; ``study.diagnostics`` lists them, reports plot them).

        Features: the ``encoding`` of each architecture plus the cheap statistics every completed
        trial has. Only objectives not declared cheap are modelled.

        Args:
            surrogate: ``"xgboost"``, ``"xgboost-quantile"`` or ``"gp"`` (default: the study's
                ``surrogate`` setting, else ``"xgboost"``).
            encoding: ``"tabular"``, ``"path"``, ``"graph"`` or ``"sequence"`` (default: the
                study's setting, else ``"tabular"``).

        Returns:
            ``{"n_complete", "surrogate", "encoding", "objectives": {name: {"spearman", "kendall",
            "coverage"}}}`` (coverage of 90 % intervals).
        """
        from predictnas.surrogates import ArchFeatures, cross_validate, make_surrogate

        self._check_writable()
        settings = self.definition.get("surrogate") or {}
        name = surrogate or settings.get("name", "xgboost")
        encoding = encoding or settings.get("encoding", "tabular")
        done = [t for t in self._complete() if t.cache_of is None]
        if len(done) < max(folds, 5):
            raise InvalidValuesError(f"assess_surrogate() needs at least {max(folds, 5)} completed trials; the study has {len(done)}.")
        modelled = [o.name for o in self.objectives if not o.cheap]
        cheap = sorted(set.intersection(*(set(t.cheap) for t in done))) if done else []
        features = ArchFeatures(encoding, cheap=cheap).fit(self.space, cheap={k: [t.cheap[k] for t in done] for k in cheap})
        X = features.transform([t.arch for t in done], {k: [t.cheap[k] for t in done] for k in cheap})
        Y = np.array([[t.values[m] for m in modelled] for t in done], dtype=np.float64)
        options = {"cat_dims": features.cat_dims_} if name == "gp" and features.cat_dims_ else {}
        quality = cross_validate(lambda: make_surrogate(name, **options), X, Y, names=modelled, folds=folds,
                                 rng=np.random.default_rng([self.seed, self._step, 0xD1A6]))
        payload = {"n_complete": len(done), "surrogate": name, "encoding": encoding, "features": cheap,
                   "objectives": {k: {m: (v if np.isfinite(v) else None) for m, v in q.items()} for k, q in quality.items()}}
        self._file.append([("diagnostics", payload)])
        self._replay()
        return payload

    def _assess_if_due(self) -> None:
        every = (self.definition.get("surrogate") or {}).get("assess_every")
        if not every:
            return
        n = sum(1 for t in self._complete() if t.cache_of is None)
        last = self.diagnostics[-1]["n_complete"] if self.diagnostics else 0
        if n >= max(10, last + every):
            self.assess_surrogate()

    # -- the loop -------------------------------------------------------------------------------
    def optimize(
        self,
        evaluator: Evaluator,
        n_trials: int | None = None,
        *,
        batch_size: int | None = None,
        n_workers: int | None = None,
        executor: Any = None,
        timeout: float | None = None,
        retries: int = 0,
        catch: tuple[type[BaseException], ...] = (Exception,),
        show_progress: bool = False,
    ) -> None:
        """Runs ask -> evaluate -> tell until the study holds ``len(trials) + n_trials`` trials
        (``n_trials=None``: until the study's ``budget``).

        With ``n_workers=k`` (k > 1), k evaluations stay in flight: when one finishes it is told,
        and the next candidates are proposed with the running ones as pending. This process stays
        the only writer of the study file.

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
            catch: Exceptions that only fail their trial; others fail it and propagate.
            show_progress: Show a tqdm bar.

        Trials left running by an interrupted process are evaluated first, under their own numbers.
        A ``KeyboardInterrupt`` leaves in-flight trials running, so that resuming re-runs them
        exactly like after a crash. With one worker a resumed study proposes exactly what an
        uninterrupted one would; with more, proposals depend on the order evaluations finish.
        """
        from predictnas.executors import make_executor

        if n_trials is None:
            if self.budget is None:
                raise InvalidSpecError("optimize() needs n_trials when the study has no budget.")
            target = self.budget
        else:
            target = self._n_proposed() + int(n_trials)
        if not isinstance(retries, int) or retries < 0:
            raise InvalidSpecError(f"retries must be a non-negative integer; got {retries!r}.")
        q = int(batch_size or self.batch_size)
        if self.cheap_function is None and (any(o.cheap for o in self.objectives) or self.constraints) \
                and type(evaluator).cheap_statistics is not Evaluator.cheap_statistics:
            self.cheap_function = evaluator.cheap_statistics
        runner = make_executor(evaluator, executor, n_workers=n_workers, timeout=timeout)
        limit = runner.max_in_flight
        queue = [t for t in self._trials if t.state is TrialState.RUNNING]
        for trial in queue:
            logger.info("re-running trial %d left running by an interrupted run", trial.number)
        in_flight: dict[Future[Any], tuple[FrozenTrial, float]] = {}
        progress = _Progress(self, target) if show_progress else None
        try:
            while True:
                while queue and (limit is None or len(in_flight) < limit):
                    trial = queue.pop(0)
                    in_flight[runner.submit(trial.arch)] = (trial, time.perf_counter())
                    self._collect(in_flight, queue, retries, catch, progress, block=False)
                free = q if limit is None else limit - len(in_flight)
                n = min(q, free, target - self._n_proposed())
                if not queue and n > 0:
                    for trial in self.ask(n):
                        if trial.state is TrialState.RUNNING:
                            queue.append(trial)
                        elif progress:
                            progress.update()
                    continue
                if not in_flight and not queue:
                    break
                self._collect(in_flight, queue, retries, catch, progress, block=True)
        finally:
            runner.shutdown()
            if progress:
                progress.close()

    def _collect(self, in_flight: dict[Future[Any], tuple[FrozenTrial, float]], queue: list[FrozenTrial], retries: int,
                 catch: tuple[type[BaseException], ...], progress: _Progress | None, *, block: bool) -> None:
        """Tells the finished evaluations (in trial order); ``block``: wait for at least one."""
        if block and in_flight:
            futures.wait(list(in_flight), return_when=futures.FIRST_COMPLETED)
        done = sorted((f for f in in_flight if f.done()), key=lambda f: in_flight[f][0].number)
        for future in done:
            trial, started = in_flight.pop(future)
            self._finish(trial, future, started, queue, retries, catch, progress)
            if progress:
                progress.update()
        if done:
            self._assess_if_due()

    def _finish(self, trial: FrozenTrial, future: Future[Any], started: float, queue: list[FrozenTrial], retries: int,
                catch: tuple[type[BaseException], ...], progress: _Progress | None) -> None:
        try:
            outcome = future.result()
            names = self._metric_names()
            extras = {k: v for k, v in outcome.result.values.items() if k not in names}  # kept as user attributes
            values = self._check_values({k: v for k, v in outcome.result.values.items() if k in names})
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("trial %d failed: %s", trial.number, error)
            retry = self._fail(trial, error, time.perf_counter() - started, retry=self._attempts(trial) <= retries)
            if retry is not None:
                logger.info("trial %d retries trial %d", retry.number, trial.number)
                queue.append(retry)
                if progress:
                    progress.add_retry()
            if not isinstance(exc, catch) and not isinstance(exc, PredictNASError):
                raise
            return
        self.tell(trial, values, cheap=outcome.result.cheap, user_attrs={**extras, **outcome.result.user_attrs},
                  duration_s=outcome.duration_s)

    def _n_proposed(self) -> int:
        """Trials that count against the budget (all but retries)."""
        return sum("retry_of" not in t.user_attrs for t in self._trials)

    def _attempts(self, trial: FrozenTrial) -> int:
        count = 1
        while "retry_of" in trial.user_attrs:
            trial, count = self._trials[trial.user_attrs["retry_of"]], count + 1
        return count

    def _fail(self, trial: FrozenTrial, error: str, duration_s: float, *, retry: bool) -> FrozenTrial | None:
        """Marks ``trial`` failed and, with ``retry``, adds its retry trial in the same transaction."""
        events: list[tuple[str, dict[str, Any]]] = [
            ("tell", {"number": trial.number, "state": "failed", "error": error, "duration_s": duration_s})]
        number = len(self._trials)
        if retry:
            events += [("ask", {"step": self._step, "trials": [{"number": number, "params": trial.arch.to_dict(), "key": trial.key}]}),
                       ("attr", {"number": number, "key": "retry_of", "value": trial.number})]
        self._file.append(events)
        self._replay()
        return self._trials[number] if retry else None

    def close(self) -> None:
        """Releases the study file (and its writer lock)."""
        self._file.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Progress:
    """tqdm bar: trials done, Pareto-front size, hypervolume, ETA."""

    def __init__(self, study: Study, target: int) -> None:
        from tqdm.auto import tqdm

        self.study = study
        finished = sum(t.state is not TrialState.RUNNING for t in study.trials)
        self.bar = tqdm(total=target, initial=finished, desc=study.name, unit="trial", dynamic_ncols=True)

    def update(self) -> None:
        self.bar.update(1)
        self.bar.set_postfix(front=len(self.study.pareto_front()), hv=f"{self.study.hypervolume():.4f}", refresh=False)

    def add_retry(self) -> None:
        """A retry is one more trial to finish than the budget says."""
        self.bar.total += 1

    def close(self) -> None:
        self.bar.close()


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)


def create_study(
    *,
    space: SearchSpace | str,
    objectives: Mapping[str, str] | Sequence[Objective],
    storage: str | Path | None = None,
    seed: int = 0,
    proposer: str = "bo",
    proposer_options: Mapping[str, Any] | None = None,
    constraints: Sequence[str] = (),
    name: str | None = None,
    budget: int | None = None,
    batch_size: int = 1,
    surrogate: Mapping[str, Any] | None = None,
    evaluator: Mapping[str, Any] | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Creates a study (and its study file when ``storage`` is given).

    Args:
        space: A ``SearchSpace`` or a built-in space name / spec path.
        objectives: ``{"acc": "maximize", "flops": "minimize"}`` or a list of ``Objective`` (2 or more).
        storage: Path of the SQLite study file; ``None`` keeps the study in memory.
        seed: Seed of every random step.
        proposer: ``"bo"`` (default: :class:`~predictnas.proposers.BayesOptProposer`),
            ``"nsga2-surrogate"``, ``"nsga2"`` or ``"random"``; ``proposer_options`` are its
            keyword options.
        constraints: Outcome constraints such as ``"latency <= 5"``.
        name: Study name (default: the file stem or ``"study"``).
        budget: Total number of trials ``optimize()`` runs to by default.
        batch_size: Trials proposed per step by ``optimize()``.
        surrogate: ``{"name": "xgboost"|"xgboost-quantile"|"gp", "encoding": "tabular"|..., "assess_every": k}``:
            with ``assess_every``, ``optimize()`` cross-validates the surrogate each time ``k`` more
            trials completed (from 10 on) and stores the quality in the study file.
        evaluator: How to rebuild the evaluator on resume (set by study definitions).
        load_if_exists: Load the existing file instead of failing when ``storage`` exists.
    """
    from predictnas.spaces import load_space

    if storage is not None and Path(storage).exists():
        if load_if_exists:
            return load_study(storage)
        raise StudyError(
            f"{storage}: a study file already exists; resume it with load_study() / `predictnas resume`, "
            "or choose another storage path."
        )
    space = load_space(space) if not isinstance(space, SearchSpace) else space
    objs = [Objective(k, v) for k, v in objectives.items()] if isinstance(objectives, Mapping) else list(objectives)
    if len(objs) < 1 or len({o.name for o in objs}) != len(objs):
        raise InvalidSpecError(f"A study needs one or more objectives with distinct names; got {[o.name for o in objs]}.")
    parsed = [OutcomeConstraint.parse(c) for c in constraints]
    from predictnas.proposers import make_proposer

    make_proposer(proposer, dict(proposer_options or {}))  # validate early
    if budget is not None and (not isinstance(budget, int) or budget < 1):
        raise InvalidSpecError(f"budget must be a positive integer; got {budget!r}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidSpecError(f"batch_size must be a positive integer; got {batch_size!r}.")
    definition = {
        "name": name or (Path(storage).stem if storage is not None else "study"),
        "seed": int(seed),
        "space": space.spec,
        "objectives": [{"name": o.name, "direction": o.direction, "cheap": o.cheap} for o in objs],
        "constraints": [str(c) for c in parsed],
        "proposer": {"name": proposer, "options": dict(proposer_options or {})},
        "budget": budget,
        "batch_size": batch_size,
        "surrogate": _check_surrogate_settings(surrogate),
        "evaluator": dict(evaluator) if evaluator else None,
        "predictnas_version": __version__,
    }
    file = StudyFile(storage, create=storage is not None, initial=[("create", {"definition": definition})])
    return Study(file)


def _check_surrogate_settings(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    from predictnas.encoders import ENCODERS
    from predictnas.surrogates import SURROGATES

    if settings is None:
        return None
    known = {"name": SURROGATES, "encoding": ENCODERS}
    out = dict(settings)
    for key in out:
        if key not in ("name", "encoding", "assess_every"):
            raise InvalidSpecError(f"surrogate: unknown key {key!r}; use name, encoding, assess_every.")
    for key, choices in known.items():
        if key in out and out[key] not in choices:
            raise InvalidSpecError(f"surrogate.{key} = {out[key]!r} is not one of {sorted(choices)}.")
    every = out.get("assess_every")
    if every is not None and (not isinstance(every, int) or isinstance(every, bool) or every < 1):
        raise InvalidSpecError(f"surrogate.assess_every must be a positive integer; got {every!r}.")
    return out


def load_study(storage: str | Path, *, readonly: bool = False, salvage: bool = False) -> Study:
    """Opens an existing study file to continue it (or to read it with ``readonly=True``).

    Args:
        salvage: Read-only: read a damaged file up to its first damaged event (``study.damage``
            says where) instead of refusing it.

    Raises:
        StudyNotFoundError, IncompatibleStudyFileError, StudyLockedError, StudyWriteError: with a
            one-line reason.
    """
    file = StudyFile(storage, readonly=readonly, salvage=salvage)
    try:
        return Study(file)
    except (KeyError, TypeError, InvalidSpecError) as exc:
        file.close()
        raise IncompatibleStudyFileError(f"{storage}: the study definition inside is invalid ({exc}).") from None
    except BaseException:
        file.close()
        raise
