"""``Study``: ask/tell over a study file; its state is the replay of the event log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from predictnas._version import __version__
from predictnas.evaluators._base import EvalResult, Evaluator
from predictnas.exceptions import (
    IncompatibleStudyFileError,
    InvalidArchitectureError,
    InvalidSpecError,
    InvalidValuesError,
    SpaceExhaustedError,
    StudyError,
    StudyFileDamagedError,
)
from predictnas.spaces import Arch, SearchSpace, space_from_spec
from predictnas.study._events import EventKind, ProtocolError, StudyState
from predictnas.study._storage import StudyFile
from predictnas.types import FrozenTrial, Objective, OutcomeConstraint, TrialState, as_real, objective_matrix

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
        #: ``arch -> {name: value}`` of statistics known without evaluation (FLOPs, a latency table).
        #: Objectives declared ``cheap`` and constrained metrics it gives are known exactly to the
        #: proposer. ``optimize(evaluator)`` sets it to ``evaluator.cheap_statistics`` for the
        #: duration of the call; set it yourself when driving ask/tell by hand.
        self.cheap_function: Callable[[Arch], Mapping[str, float]] | None = None
        self._cheap_cache: dict[tuple[int, Arch], dict[str, float] | str] = {}

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
        """The proposer that ``ask`` uses (a study loaded read-only has none: reading a study file
        never loads the code it names)."""
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
        s = self._state
        return (s.last_ts - s.first_ts) if s.first_ts is not None and s.last_ts is not None else 0.0

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

    def _metric_names(self) -> list[str]:
        names = [o.name for o in self.objectives]
        return names + [c.metric for c in self.constraints if c.metric not in names]

    def is_feasible(self, trial: FrozenTrial) -> bool:
        return all(c.violation(trial.values[c.metric]) == 0 for c in self.constraints)

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
        for t in self.trials:
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

        state, index = self._state, self._state.index
        assert index is not None
        complete = tuple(state.ordered(TrialState.COMPLETE))  # cache hits left out
        if self.cheap_function is not None:
            self._check_cheap(complete)
        return ProposalContext(
            space=self.space, objectives=self.objectives, constraints=self.constraints, complete=complete,
            pending=tuple(t.arch for t in state.ordered(TrialState.RUNNING)),
            seen_keys=frozenset(index.keys), step=state.step,
            cheap=self._cheap_lookup if self.cheap_function is not None else None,
            failed=tuple(state.ordered(TrialState.FAILED)), warm_start=self.warm_start,
        )

    def _cheap_stats(self, arch: Arch) -> dict[str, float] | str:
        """The cheap statistics of ``arch`` (cached per cheap function), or why they failed."""
        assert self.cheap_function is not None
        key = (id(self.cheap_function), arch)
        stats = self._cheap_cache.get(key)
        if stats is None:
            try:
                raw = self.cheap_function(arch)
                stats = {k: v for k, v in ((k, as_real(v)) for k, v in raw.items()) if v is not None}
            except Exception as exc:  # an architecture the source does not know: no exact values
                stats = f"{type(exc).__name__}: {exc}"
            self._cheap_cache[key] = stats
        return stats

    def _cheap_lookup(self, archs: Sequence[Arch]) -> dict[str, np.ndarray]:
        """``{name: (n,) values}`` from :attr:`cheap_function`; NaN where it fails (such candidates
        are left out of a proposal; how many is logged)."""
        rows = [self._cheap_stats(arch) for arch in archs]
        failed = [r for r in rows if isinstance(r, str)]
        if failed:
            logger.warning("cheap statistics failed for %d of %d architectures (e.g. %s); they are not proposed",
                           len(failed), len(rows), failed[0])
        good = [r if isinstance(r, dict) else {} for r in rows]
        names = sorted({k for stats in good for k in stats})
        return {k: np.array([stats.get(k, np.nan) for stats in good]) for k in names}

    def _check_cheap(self, complete: Sequence[FrozenTrial]) -> None:
        """A declared cheap objective must be known for every evaluated trial: otherwise the
        proposer would quietly model it instead (a silent change of method)."""
        declared = [o.name for o in self.objectives if o.cheap]
        for trial in complete:
            stats = self._cheap_stats(trial.arch)
            missing = [n for n in declared if isinstance(stats, str) or n not in stats]
            if missing:
                reason = stats if isinstance(stats, str) else f"it returned only {sorted(stats)}"
                raise StudyError(f"Objective(s) {missing} are declared cheap, but the cheap statistics of trial "
                                 f"{trial.number} ({self.space.to_string(trial.arch)}) failed: {reason}. Fix the "
                                 "evaluator's cheap_statistics, or declare the objective(s) not cheap.")

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
            rng = np.random.default_rng([self.seed, self._state.step])
            started = time.perf_counter()
            ctx = self._context()
            proposed = _new_and_distinct(self.proposer.propose(ctx, n, rng=rng), ctx)
            report = _jsonable(dict(getattr(self.proposer, "last_step", None) or {}))
            if not proposed:  # the proposer found nothing new: the rest of the space, in random order, or the end
                proposed = _rest_of_space(ctx, n, rng)
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
            payload["cheap"] = {k: v for k, v in ((k, as_real(v)) for k, v in cheap.items()) if v is not None}
        if user_attrs:
            payload["user_attrs"] = _jsonable(dict(user_attrs))
        if duration_s is not None:
            payload["duration_s"] = float(duration_s)
        self._write([(EventKind.TELL.value, payload)])
        return self._state.trials[number]

    def _check_values(self, values: Mapping[str, Any] | None) -> dict[str, float]:
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
        numbers = {k: as_real(v) for k, v in values.items() if k in names}
        bad = {k: values[k] for k, v in numbers.items() if v is None}
        if bad:
            problems.append(f"not finite real numbers: {bad}")
        if problems:
            raise InvalidValuesError(f"Values {dict(values)!r} do not fit the study's metrics {names}: {'; '.join(problems)}.")
        return {m: float(numbers[m]) for m in names}  # type: ignore[arg-type]

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
        self._write([(EventKind.ATTR.value, {"number": number, "key": str(key), "value": _jsonable(value)})])

    def _check_writable(self) -> None:
        if self._file.readonly:
            raise StudyError(f"{self.path}: this study was loaded read-only.")

    # -- surrogate quality and the loop (their own modules) -------------------------------------
    def assess_surrogate(self, surrogate: str | None = None, encoding: str | None = None, *, folds: int = 5) -> dict[str, Any]:
        """Cross-validates a surrogate on the completed trials and stores the result in the study
        file (see :func:`predictnas.study._assess.assess_surrogate`)."""
        from predictnas.study._assess import assess_surrogate

        return assess_surrogate(self, surrogate, encoding, folds=folds)

    def optimize(self, evaluator: Evaluator, n_trials: int | None = None, **options: Any) -> None:
        """Runs ask -> evaluate -> tell until the study holds ``len(trials) + n_trials`` trials
        (``n_trials=None``: until the study's ``budget``); see
        :func:`predictnas.study._optimize.optimize` for the options (batch size, workers,
        executor, timeout, retries, failure limits, progress bar)."""
        from predictnas.study._optimize import optimize

        optimize(self, evaluator, n_trials, **options)

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


def _new_and_distinct(proposed: Sequence[Arch], ctx: ProposalContext) -> list[Arch]:
    """The proposals without repeats and without architectures that already have a trial (a proposer
    that breaks this contract, e.g. a batch larger than what is left, never costs an evaluation)."""
    seen, out = set(ctx.seen_keys), []
    for arch in proposed:
        key = ctx.space.canonical_key(arch)
        if key not in seen:
            seen.add(key)
            out.append(arch)
    return out


def _rest_of_space(ctx: ProposalContext, n: int, rng: np.random.Generator) -> list[Arch]:
    """Up to ``n`` architectures without a trial, or ``SpaceExhaustedError`` when none is left."""
    from predictnas.proposers._base import fresh_random

    rest = fresh_random(ctx, n, rng, set(ctx.seen_keys))
    if not rest:
        raise SpaceExhaustedError(f"Space {ctx.space.name!r} is exhausted: each of its {len(ctx.seen_keys)} distinct "
                                  "architectures has a trial; nothing was stored.")
    return rest


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
        return value
    except RecursionError:
        if isinstance(value, dict):
            return {str(k): _jsonable(v) for k, v in value.items()}
        return f"<not stored: a {type(value).__name__} nested too deeply to store>"
    except (TypeError, ValueError):
        if isinstance(value, dict):
            return {str(k): _jsonable(v) for k, v in value.items()}
        number = as_real(value)
        return number if number is not None else repr(value)


def proposer_record(proposer: str | Proposer, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the study file stores to rebuild the proposer on resume: ``{"name", "options"}`` with
    a registered name or a ``"package.module:Class"`` entry point. A proposer instance is recorded
    by its class and the constructor options it keeps as attributes (scikit-learn convention);
    one that cannot be rebuilt that way is recorded with ``"rebuild": false`` and must be passed
    to :func:`load_study` again."""
    from predictnas._registry import entry_point_of
    from predictnas.proposers import PROPOSERS, Proposer, make_proposer, proposer_options

    if isinstance(proposer, str):
        make_proposer(proposer, dict(options or {}))  # validate early: unknown names and options
        return {"name": proposer, "options": dict(options or {})}
    if not isinstance(proposer, Proposer):
        raise InvalidSpecError(f"proposer must be a name, an entry point \"package.module:Class\" or a Proposer; "
                               f"got {type(proposer).__name__}.")
    if options:
        raise InvalidSpecError("proposer_options are for a proposer given by name; an instance carries its own.")
    cls = type(proposer)
    name = next((k for k, v in PROPOSERS.items() if v is cls), entry_point_of(cls))
    accepted = proposer_options(cls)
    recorded = {k: getattr(proposer, k) for k in accepted if hasattr(proposer, k)}
    rebuild = ("<locals>" not in name and cls.__module__ != "__main__" and set(recorded) == set(accepted)
               and _jsonable(recorded) == recorded)
    if rebuild:
        try:
            make_proposer(name, recorded)
        except (InvalidSpecError, TypeError, ValueError):
            rebuild = False
    return {"name": name, "options": recorded if rebuild else None, **({} if rebuild else {"rebuild": False})}


def rebuild_proposer(record: Mapping[str, Any], surrogate: Mapping[str, Any] | None, *, where: str) -> Proposer:
    """The proposer a study file records (see :func:`proposer_record`)."""
    from predictnas.proposers import make_proposer

    if record.get("rebuild") is False:
        raise StudyError(f"{where}: was created with a proposer instance ({record['name']}) that cannot be rebuilt from "
                         "the file; pass it again: load_study(path, proposer=...).")
    options = dict(record.get("options") or {})
    if record["name"] == "bo" and surrogate and surrogate.get("name") and "surrogate" not in options:
        options["surrogate"] = surrogate["name"]  # the study's surrogate setting chooses the model that proposes
        options.setdefault("encoding", surrogate.get("encoding", "tabular"))
    return make_proposer(record["name"], options)


def create_study(
    *,
    space: SearchSpace | str,
    objectives: Mapping[str, str] | Sequence[Objective],
    storage: str | Path | None = None,
    seed: int = 0,
    proposer: str | Proposer = "bo",
    proposer_options: Mapping[str, Any] | None = None,
    constraints: Sequence[str] = (),
    name: str | None = None,
    budget: int | None = None,
    batch_size: int = 1,
    surrogate: Mapping[str, Any] | None = None,
    evaluator: Mapping[str, Any] | None = None,
    warm_start: Sequence[str | Path | Mapping[str, Any]] = (),
    load_if_exists: bool = False,
) -> Study:
    """Creates a study (and its study file when ``storage`` is given). Everything is validated
    before the file is written: a failed create leaves nothing behind.

    Args:
        space: A ``SearchSpace`` (from a spec: ``load_space`` / ``space_from_spec``) or a built-in
            space name / spec path.
        objectives: ``{"acc": "maximize", "flops": "minimize"}`` or a list of ``Objective``.
        storage: Path of the SQLite study file; ``None`` keeps the study in memory.
        seed: Seed of every random step.
        proposer: ``"bo"`` (default: :class:`~predictnas.proposers.BayesOptProposer`),
            ``"nsga2-surrogate"``, ``"nsga2"``, ``"random"``, an entry point
            ``"package.module:Class"``, or a ``Proposer`` instance (see :func:`proposer_record`);
            ``proposer_options`` are the named proposer's keyword options.
        constraints: Outcome constraints such as ``"latency <= 5"``.
        name: Study name (default: the file stem or ``"study"``).
        budget: Total number of trials ``optimize()`` runs to by default.
        batch_size: Trials proposed per step by ``optimize()``.
        surrogate: ``{"name": "gp"|"xgboost"|"xgboost-quantile", "encoding": "tabular"|..., "assess_every": k}``:
            the model the default proposer searches with (and that diagnostics assess); with
            ``assess_every``, ``optimize()`` cross-validates it each time ``k`` more trials
            completed (from 10 on) and stores the quality in the study file.
        evaluator: How to rebuild the evaluator on resume (set by study definitions).
        warm_start: Earlier study files on the same space whose results inform this study's
            surrogate and initial design: paths, or ``{"path": ..., "map": {new_objective:
            old_metric}}`` (objectives map by name otherwise). Their completed trials are copied
            into this study's file with the source path and a content hash (see
            :mod:`predictnas.study._warmstart`).
        load_if_exists: Load the existing file instead of failing when ``storage`` exists.
    """
    from predictnas.spaces import load_space

    if storage is not None and Path(storage).exists():
        if load_if_exists:
            return load_study(storage, proposer=None if isinstance(proposer, str) else proposer)
        raise StudyError(
            f"{storage}: a study file already exists; resume it with load_study() / `predictnas resume`, "
            "or choose another storage path."
        )
    space = load_space(space) if not isinstance(space, SearchSpace) else space
    if not space.spec:
        raise InvalidSpecError(f"Space {space.name!r} has no spec, so a study file could not rebuild it: build it with "
                               "load_space(...) or space_from_spec({...}) instead of SearchSpace(...).")
    objs = [Objective(k, v) for k, v in objectives.items()] if isinstance(objectives, Mapping) else list(objectives)
    from predictnas._text import check_name

    for o in objs:
        check_name(o.name, "objective name")
    if name is not None:
        check_name(name, "study name")
    if len(objs) < 1 or len({o.name for o in objs}) != len(objs):
        raise InvalidSpecError(f"A study needs one or more objectives with distinct names; got {[o.name for o in objs]}.")
    parsed = [OutcomeConstraint.parse(c) for c in constraints]
    record = proposer_record(proposer, proposer_options)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InvalidSpecError(f"seed must be a non-negative integer; got {seed!r}.")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
        raise InvalidSpecError(f"budget must be a positive integer; got {budget!r}.")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise InvalidSpecError(f"batch_size must be a positive integer; got {batch_size!r}.")
    definition = {
        "name": name or (Path(storage).stem if storage is not None else "study"),
        "seed": int(seed),
        "space": space.spec,
        "objectives": [{"name": o.name, "direction": o.direction, "cheap": o.cheap} for o in objs],
        "constraints": [str(c) for c in parsed],
        "proposer": record,
        "budget": budget,
        "batch_size": batch_size,
        "surrogate": _check_surrogate_settings(surrogate),
        "evaluator": dict(evaluator) if evaluator else None,
        "predictnas_version": __version__,
    }
    if warm_start:
        from predictnas.study._warmstart import warm_start_records

        definition["warm_start"] = warm_start_records(warm_start, space, objs)
    events: list[Event] = [(EventKind.CREATE.value, {"definition": definition})]
    instance = None if isinstance(proposer, str) else proposer
    Study(StudyFile(None, initial=events), proposer=instance).close()  # the definition must load, before any file exists
    if storage is not None:  # the user's own definition: what it names is approved for this file
        from predictnas.study._trust import approve

        approve(definition, storage)
    file = StudyFile(storage, create=storage is not None, initial=events)
    return Study(file, proposer=instance)


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


def load_study(storage: str | Path, *, readonly: bool = False, salvage: bool = False,
               proposer: Proposer | None = None, trust: bool = False) -> Study:
    """Opens an existing study file to continue it (or to read it with ``readonly=True``).

    Args:
        salvage: Read-only: read a damaged file, skipping the damaged events and those that
            depend on them (``study.damage`` says where, ``study.lost`` what was skipped),
            instead of refusing it.
        proposer: Use this proposer instead of rebuilding the recorded one (needed when the
            study was created with a proposer instance that cannot be rebuilt).
        trust: Approve the code the file names (entry points, an import folder, a checkpoint
            outside its folder) and record the approval. Without it, a writable load of a file
            whose code you have not approved (one you received) raises ``UntrustedStudyError``
            naming that code; a read-only load never runs any (see :mod:`predictnas.study._trust`).

    Raises:
        StudyNotFoundError, IncompatibleStudyFileError, StudyLockedError, StudyWriteError: with a
            one-line reason.
    """
    file = StudyFile(storage, readonly=readonly, salvage=salvage)
    try:
        return Study(file, proposer=proposer, trust=trust)
    except (KeyError, TypeError, InvalidSpecError) as exc:
        file.close()
        raise IncompatibleStudyFileError(f"{storage}: the study definition inside is invalid ({exc}).") from None
    except BaseException:
        file.close()
        raise
