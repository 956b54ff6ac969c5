"""``Study``: ask/tell over a study file; its state is the replay of the event log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from predictnas.evaluators import EvalResult, Evaluator
from predictnas.exceptions import (IncompatibleStudyFileError, InvalidArchitectureError, InvalidSpecError, InvalidValuesError,
                                   ProtocolError, StudyError, StudyFileDamagedError)
from predictnas.spaces import Arch, SearchSpace, space_from_spec
from predictnas.study._cheap import CheapStatistics, cached_statistics
from predictnas.study._context import proposal_context
from predictnas.study._device import measure_front, measured_value
from predictnas.study._events import EventKind, StudyState
from predictnas.study._intermediate import decide, fail_events, report_events, stop_events, tabular_features
from predictnas.study._records import jsonable, rebuild_proposer, stored_values, tell_payload, trial_rows
from predictnas.study._storage import StudyFile
from predictnas.study._verify import verification_events, verify, verify_candidates
from predictnas.types import FrozenTrial, Objective, OutcomeConstraint, TrialState, objective_matrix

if TYPE_CHECKING:  # proposers import the study's value types: import them lazily here
    from predictnas.proposers import ProposalContext, Proposer

logger = logging.getLogger("predictnas.study")

Event = tuple[str, dict[str, Any]]


class Study:
    """A multi-objective architecture search backed by a study file.

    Build one with :func:`create_study` or :func:`load_study`, never directly. Every random step
    draws from ``numpy.random.default_rng([seed, step])``, so a resumed study proposes exactly what
    an uninterrupted one would.
    """

    def __init__(self, file: StudyFile, *, proposer: Proposer | None = None, trust: bool = False) -> None:
        self._file = file
        self._state = StudyState()
        self._replay()
        if not self._state.definition:
            raise IncompatibleStudyFileError(f"{file.path}: holds no study definition (empty or truncated study file).")
        d = self._state.definition
        self.name: str = d["name"]
        self.seed: int = int(d["seed"])
        self.space: SearchSpace = space_from_spec(d["space"], source=f"{file.path or '<memory>'}:space")
        self.objectives = tuple(Objective(o["name"], o["direction"], bool(o.get("cheap", False))) for o in d["objectives"])
        self.constraints = tuple(OutcomeConstraint.parse(c) for c in d.get("constraints", []))
        self.batch_size: int = int(d.get("batch_size", 1))
        from predictnas.study._warmstart import prior_studies

        self.warm_start = prior_studies(d.get("warm_start") or [], self.space)
        self._proposer = proposer
        if not file.readonly:  # a study read for status / export / report never builds its proposer
            if file.path is not None:
                from predictnas.study._trust import require_approved

                require_approved(d, file.path, trust=trust, skip_proposer=proposer is not None)
            self._proposer = proposer or rebuild_proposer(d["proposer"], d.get("surrogate"), where=str(file.path or "<memory>"))
        self._stopper = None
        if d.get("stopper") and not file.readonly:
            from predictnas.stoppers import make_stopper

            self._stopper = make_stopper(d["stopper"]["name"], d["stopper"].get("options"))
        #: ``arch -> {name: value}`` of statistics known without evaluation (FLOPs, a latency table).
        #: Objectives declared ``cheap`` and constrained metrics it gives are known exactly to the
        #: proposer. ``optimize(evaluator)`` sets it to ``evaluator.cheap_statistics`` for the
        #: duration of the call; set it yourself when driving ask/tell by hand.
        self.cheap_function: Callable[[Arch], Mapping[str, float]] | None = None
        self._cheap_by_function: dict[int, CheapStatistics] = {}

    # -- the log --------------------------------------------------------------------------------
    def _replay(self) -> None:
        """Applies the events written since the last replay."""
        try:
            for seq, op, payload, ts in self._file.read(self._state.last_seq):
                self._state.apply(seq, op, payload, ts, salvage=self._file.salvage)
        except ProtocolError as exc:
            raise StudyFileDamagedError(f"{self._file.path}: {exc}; nothing was changed. `predictnas export` reads the "
                                        "intact events and `predictnas repair` writes them into a new study file.") from None

    def _write(self, events: Sequence[Event]) -> None:
        """The one way events reach the file: checked against a copy of the state first, so the
        file never holds an event its replay would refuse."""
        self._check_writable()
        try:
            self._state.check(events)
        except ProtocolError as exc:
            raise StudyError(f"{self.path}: refused to write an invalid event ({exc}); nothing was stored.") from None
        self._file.append(events)
        self._replay()

    # -- read access ----------------------------------------------------------------------------
    @property
    def proposer(self) -> Proposer:
        """The proposer ``ask`` uses (none in a study loaded read-only: reading never loads code it names)."""
        if self._proposer is None:
            raise StudyError(f"{self.path}: was loaded read-only, so its proposer was not built; load it with "
                             "load_study(path) to ask for trials.")
        return self._proposer

    @proposer.setter
    def proposer(self, proposer: Proposer) -> None:
        self._proposer = proposer

    @property
    def path(self) -> Path | None:
        return self._file.path

    @property
    def definition(self) -> dict[str, Any]:
        return self._state.definition

    @property
    def diagnostics(self) -> list[dict[str, Any]]:
        """Surrogate quality after each assessment (``diagnostics`` events)."""
        return self._state.diagnostics

    @property
    def proposals(self) -> list[dict[str, Any]]:
        """One entry per proposer step: ``step``, ``n`` proposed, ``seconds`` the proposer took and
        what it reported (the default proposer: the ``model`` that proposed, the ``pool`` size)."""
        return self._state.proposals

    @property
    def wall_time_s(self) -> float:
        """Seconds from the first to the last event (pauses between runs included)."""
        return (self._state.last_ts or 0.0) - (self._state.first_ts or 0.0)  # both set by the first event

    @property
    def setup_s(self) -> float | None:
        """Seconds before the first proposal (building the evaluator, e.g. training a supernet); ``None`` before it."""
        return self._state.setup_s

    @property
    def active_time_s(self) -> float:
        """Seconds the study was running: :attr:`wall_time_s` without pauses of 5 minutes or more
        between consecutive events (e.g. between a run and its resume)."""
        return self._state.busy_s

    @property
    def damage(self) -> str | None:
        """Where a file loaded with ``salvage=True`` is damaged (``None``: intact)."""
        return self._file.damage

    @property
    def lost(self) -> list[str]:
        """What a salvaging load skipped: damaged events and the events that depended on them."""
        return [*self._file.lost, *self._state.lost]

    @property
    def budget(self) -> int | None:
        """Total number of trials (retries excluded) ``optimize()`` runs to by default."""
        return self._state.definition.get("budget")

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(o.direction for o in self.objectives)

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials in number order (snapshots)."""
        return list(self._state.trials.values())  # numbers only grow, so insertion order is number order

    def get_trial(self, number: int) -> FrozenTrial:
        """The trial numbered ``number`` (``KeyError`` when there is none)."""
        return self._state.trials[number]

    @property
    def step(self) -> int:
        """The step of the next ``ask`` (every random step draws from ``[seed, step]``)."""
        return self._state.step

    @property
    def n_budgeted(self) -> int:
        """Trials that count against the budget: all but retries."""
        assert self._state.index is not None  # only a write check's scratch state has none
        return len(self._state.trials) - self._state.index.n_retries

    @property
    def metric_names(self) -> list[str]:
        """What an evaluation must return: the objectives, then constrained metrics not among them."""
        names = [o.name for o in self.objectives]
        return names + [c.metric for c in self.constraints if c.metric not in names]

    def is_feasible(self, trial: FrozenTrial) -> bool:
        return all(c.violation(measured_value(trial, c.metric)) == 0 for c in self.constraints)

    def _complete(self) -> list[FrozenTrial]:
        return self._state.ordered(TrialState.COMPLETE, cached=True)

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
        """Hypervolume of the feasible complete trials (:mod:`predictnas.pareto`'s convention), normalised
        by per-objective ``lower`` / ``upper`` bounds in minimisation form (default: the observed range)."""
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
        return trial_rows(self.trials, self.space, self.metric_names)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """Optuna's name for :meth:`pareto_front`."""
        return self.pareto_front()

    def trials_dataframe(self, *, front: bool = False) -> Any:
        """The trials as a pandas ``DataFrame`` (one row per trial, see :meth:`trial_rows`); ``front``:
        the Pareto front's only."""
        import pandas as pd

        rows, keep = self.trial_rows(), {t.number for t in self.pareto_front()} if front else None
        return pd.DataFrame([r for r in rows if keep is None or r["number"] in keep])

    # -- ask / tell -----------------------------------------------------------------------------
    @property
    def _cheap(self) -> CheapStatistics | None:
        """The cached statistics of :attr:`cheap_function` (one cache per function)."""
        return cached_statistics(self._cheap_by_function, self.cheap_function)

    def _context(self) -> ProposalContext:
        return proposal_context(self._state, self.space, self.objectives, self.constraints, self._cheap, self.warm_start)

    def ask(self, n: int = 1, *, archs: Iterable[Mapping[str, Any]] | None = None) -> list[FrozenTrial]:
        """Creates ``n`` trials proposed by the proposer, or one per given architecture.

        An architecture whose canonical key already has a complete trial is not evaluated again:
        its trial is recorded complete at once with the earlier values (``cache_of`` says which).

        Returns:
            The new trials; those still ``RUNNING`` must be evaluated and told.
        """
        self._check_writable()
        proposal: dict[str, Any] | None = None
        if archs is None:
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise InvalidValuesError(f"ask(n) needs a positive integer n; got {n!r}.")
            declared = [o.name for o in self.objectives if o.cheap]
            if declared and self.cheap_function is None:
                raise StudyError(f"Objective(s) {declared} are declared cheap, but the study has no cheap_function to "
                                 "look them up: set study.cheap_function (optimize(evaluator) sets it from "
                                 "evaluator.cheap_statistics), or declare them not cheap.")
            from predictnas.proposers import new_and_distinct, rest_of_space

            rng = np.random.default_rng([self.seed, self._state.step])
            started = time.perf_counter()
            ctx = self._context()
            proposed = new_and_distinct(self.proposer.propose(ctx, n, rng=rng), ctx)
            report = jsonable(dict(self.proposer.step_report() or {}))
            if not proposed:  # the proposer found nothing new: the rest of the space, in random order, or the end
                proposed = rest_of_space(ctx, n, rng)
                report = {"model": "random (the proposer found no new architecture)"}
            proposal = {"seconds": round(time.perf_counter() - started, 4), **report}
        else:
            try:
                proposed = [self.space.make_arch(a) for a in archs]
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(f"ask(archs=...): {exc}") from None
        done = self._state.index.done_by_key if self._state.index is not None else {}
        first = self._state.next_number
        entries, tells = [], []
        for i, arch in enumerate(proposed):
            number = first + i
            key = self.space.canonical_key(arch)
            entries.append({"number": number, "params": arch.to_dict(), "key": key})
            if key in done:
                source = self._state.trials[done[key]]
                tells.append((EventKind.TELL.value, {"number": number, "state": "complete", "values": source.values,
                                                     "cheap": source.cheap, "cache_of": source.number}))
                logger.info("trial %d: cache hit of trial %d (%s)", number, source.number, key)
        ask: dict[str, Any] = {"step": self._state.step, "trials": entries}
        if proposal is not None:
            ask["proposal"] = proposal
        self._write([(EventKind.ASK.value, ask), *tells])
        return [self._state.trials[e["number"]] for e in entries]

    def tell(
        self,
        trial: FrozenTrial | int,
        values: Mapping[str, Any] | EvalResult | None = None,
        *,
        state: TrialState | str = TrialState.COMPLETE,
        cheap: Mapping[str, Any] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        error: str | None = None,
        duration_s: float | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Records the outcome of a running trial (``state="failed"`` with an ``error`` for failures).

        Args:
            values: Metric -> value (any real number type: float, numpy scalar, 0-d tensor), or
                an evaluator's ``EvalResult`` (its cheap statistics and user attributes are kept).
            skip_if_finished: Return a finished trial (e.g. a cache hit) as it is instead of raising.

        Raises:
            InvalidValuesError: unknown trial, trial already finished, or values that do not match
                the objectives (missing, unknown, NaN/inf). Nothing is stored then.
        """
        self._check_writable()
        number = trial.number if isinstance(trial, FrozenTrial) else trial
        known = self._state.trials.get(number) if isinstance(number, int) and not isinstance(number, bool) else None
        if known is None:
            raise InvalidValuesError(f"Trial {number!r} does not exist (the study has trials 0..{self._state.next_number - 1}).")
        if known.state is not TrialState.RUNNING:
            if skip_if_finished:
                return known
            why = f" (a cache hit of trial {known.cache_of}: its result was recorded when it was asked)" if known.cache_of is not None else ""
            raise InvalidValuesError(f"Trial {number} is already {known.state.value}{why}; only running trials need a "
                                     "tell (tell(..., skip_if_finished=True) returns it as it is).")
        if isinstance(values, EvalResult):
            cheap = {**values.cheap, **(cheap or {})}
            user_attrs = {**values.user_attrs, **(user_attrs or {})}
            values = values.values
        payload = tell_payload(number, state, values, check=self.check_values, cheap=cheap, user_attrs=user_attrs,
                               error=error, duration_s=duration_s)
        self._write([(EventKind.TELL.value, payload)])
        return self._state.trials[number]

    def check_values(self, values: Mapping[str, Any] | None) -> dict[str, float]:
        """``values`` as the study stores them (``{metric: float}``), or ``InvalidValuesError`` naming
        what is missing, unknown or not a finite real number."""
        return stored_values(values, self.metric_names)

    def set_budget(self, budget: int) -> None:
        """Records a new total budget (e.g. ``predictnas resume --budget N``)."""
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise InvalidSpecError(f"budget must be a positive integer; got {budget!r}.")
        self._write([(EventKind.BUDGET.value, {"budget": budget})])

    def set_user_attr(self, trial: FrozenTrial | int, key: str, value: Any) -> None:
        """Stores ``key: value`` (JSON-serialisable, else its ``repr``) with an existing trial."""
        number = trial.number if isinstance(trial, FrozenTrial) else trial
        if not isinstance(number, int) or isinstance(number, bool) or number not in self._state.trials:
            raise InvalidValuesError(f"Trial {number!r} does not exist (the study has trials 0..{self._state.next_number - 1}); "
                                     "nothing was stored.")
        self._write([(EventKind.ATTR.value, {"number": number, "key": str(key), "value": jsonable(value)})])

    # -- intermediate results and early stopping (:mod:`predictnas.study._intermediate`) ----------
    def report(self, trial: FrozenTrial | int, step: int, values: Mapping[str, Any]) -> None:
        """Records what a running trial measured at ``step`` (e.g. an epoch), like Optuna's
        ``trial.report``; a step reported again (a re-run after an interruption) keeps the first."""
        events = report_events(self._state, trial, step, values)
        if events:
            self._write(events)

    def should_stop(self, trial: FrozenTrial | int) -> bool:
        """Whether the study's stopper ends ``trial`` after its last report (never without one)."""
        return self._stopper is not None and decide(self._state, self._stopper, trial, self.objectives,
                                                        partial(tabular_features, self.space))

    def stop(self, trial: FrozenTrial | int, *, user_attrs: Mapping[str, Any] | None = None) -> FrozenTrial:
        """Ends a running trial early: ``stopped``, its last reported values kept at ``fidelity``."""
        events = stop_events(self._state, trial, jsonable(dict(user_attrs)) if user_attrs else None)
        self._write(events)
        return self.get_trial(events[0][1]["number"])

    def measure_front(self, measure: Callable[[Arch], float], metric: str = "latency", *, max_measurements: int | None = None) -> list[FrozenTrial]:
        """Measures ``metric`` of the front on the device until all of it is (:mod:`predictnas.study._device`); the trials measured."""
        return measure_front(self, measure, metric, max_measurements=max_measurements)

    def verify_candidates(self) -> list[FrozenTrial]:
        """Stopped trials that could be on the front at the target fidelity, most promising first
        (see :mod:`predictnas.study._verify`)."""
        return verify_candidates(self._state, self.objectives)

    def verify(self, evaluator: Evaluator | Callable[[Arch], Any], n: int | None = None, *, order: str = "rank") -> list[FrozenTrial]:
        """Trains up to ``n`` of :meth:`verify_candidates` (``None``: all) to the end, in their order (``"model"``: most
        predicted HV gain first), each a new trial (``user_attrs["verifies"]``); returns them."""
        self._check_writable()

        def begin(stopped: FrozenTrial) -> FrozenTrial:
            self._write(verification_events(self._state, stopped))
            return self._state.trials[self._state.next_number - 1]

        return verify(self, evaluator, n, begin, order)

    def fail(self, trial: FrozenTrial, error: str, *, duration_s: float | None = None,
             retry: bool = False) -> FrozenTrial | None:
        """Records a running ``trial`` failed; with ``retry``, a new trial of the same architecture
        in the same write (its ``user_attrs["retry_of"]`` names ``trial``), which is returned."""
        number = self._state.next_number
        self._write(fail_events(self._state, trial, error, duration_s=duration_s, retry=retry))
        return self._state.trials[number] if retry else None

    def _check_writable(self) -> None:
        if self._file.readonly:
            raise StudyError(f"{self.path}: this study was loaded read-only.")

    # -- surrogate quality and the loop (their own modules) -------------------------------------
    def assess_surrogate(self, surrogate: str | None = None, encoding: str | None = None, *, folds: int = 5) -> dict[str, Any]:
        """Cross-validates a surrogate on the completed trials and stores the result in the study
        file (see :func:`predictnas.study._assess.assess_surrogate`)."""
        from predictnas.study._assess import assess_surrogate

        self._check_writable()
        payload = assess_surrogate(self, surrogate, encoding, folds=folds)
        self._write([(EventKind.DIAGNOSTICS.value, payload)])
        return payload

    def optimize(self, evaluator: Evaluator, n_trials: int | None = None, **options: Any) -> None:
        """Runs ask -> evaluate -> tell up to ``len(trials) + n_trials`` trials (``None``: the ``budget``); options
        (batch size, workers, timeouts, retries, callbacks, ...): :func:`predictnas.study._optimize.optimize`."""
        from predictnas.study._optimize import optimize, optimize_options

        optimize(self, evaluator, n_trials, **optimize_options(options))

    def check_saved(self) -> None:
        """Raises ``StudyWriteError`` when the study file on disk is no longer the one this study
        wrote (deleted or replaced meanwhile; what it held is saved to a recovery file first)."""
        self._file.check_same_file()

    def close(self) -> None:
        """Releases the study file (and its writer lock)."""
        self._file.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
